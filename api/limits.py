"""Bounds on what one caller may send: body size, and how often they may knock.

Bodies: at most `models.bounds.MAX_REQUEST_BYTES`, the size ocop's client lets through
to Temporal, checked on Content-Length and again while the body streams (a chunked body
names no length). Rates: the token endpoint per username and per client address (a
password guesser), the public lookup per address (a scraper), with `limits`' moving
window kept in memory — one API process; behind several, a shared storage (Redis).
"""

from __future__ import annotations

import time
from typing import Final

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import ApiProblem, problem_response
from models.bounds import MAX_REQUEST_BYTES

TOKEN_PER_USERNAME: Final = RateLimitItemPerMinute(10)
TOKEN_PER_ADDRESS: Final = RateLimitItemPerMinute(30)
LOOKUP_PER_ADDRESS: Final = RateLimitItemPerMinute(60)


class RateLimits:
    def __init__(self) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, item: RateLimitItem, *key: str) -> None:
        """Count one request against `item` for `key`; 429 once it is used up."""
        if self._limiter.hit(item, *key):
            return
        reset = self._limiter.get_window_stats(item, *key).reset_time
        wait = max(1, int(reset - time.time()) + 1)
        raise ApiProblem(
            429,
            "too-many-requests",
            "Quá nhiều yêu cầu — too many requests",
            f"quá nhiều yêu cầu, hãy thử lại sau {wait} giây — too many requests "
            f"({item.amount} per {item.GRANULARITY.name}); try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class BodyLimit:
    """ASGI middleware: a body over `limit` bytes is answered 413 and never read whole."""

    def __init__(
        self,
        app: ASGIApp,
        limit: int = MAX_REQUEST_BYTES,
        larger: tuple[tuple[str, int], ...] = (),
    ) -> None:
        self.app, self.default, self.larger = app, limit, larger

    def limit_of(self, path: str) -> int:
        """The limit of a path: `larger` names prefixes that take more (the codec's)."""
        return next((size for prefix, size in self.larger if path.startswith(prefix)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_of(scope.get("path", ""))
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, int(declared), limit)
            return
        received = 0
        too_large = False

        async def counted() -> Message:
            # Past the limit the body is cut short; whatever the app answers to that is
            # dropped below and the caller is told 413 instead.
            nonlocal received, too_large
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                too_large = True
                return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def unless_too_large(message: Message) -> None:
            if not too_large:
                await send(message)

        await self.app(scope, counted, unless_too_large)
        if too_large:
            await self._refuse(scope, receive, send, received, limit)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, size: int, limit: int
    ) -> None:
        response = problem_response(
            Request(scope, receive),
            413,
            "request-too-large",
            "Yêu cầu quá lớn — request too large",
            f"yêu cầu quá lớn ({size // 1024} KB, tối đa {limit // 1024} KB) — the request "
            f"is too large ({size // 1024} KB; at most {limit // 1024} KB accepted): "
            "send fewer documents or shorter texts",
        )
        await response(scope, receive, send)
