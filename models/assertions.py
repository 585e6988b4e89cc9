"""Signed actions: who did what to which case, in a form a workflow can check on its own.

The API, once it has verified a person's token and their scope, signs one assertion
per human action: the actor (subject, role, scope), the action (the Update's name), the
case (its workflow id), a digest of the request and a short validity. It travels as the
Update's second argument. The workflow's validator verifies it with the public keys the
worker trusts before anything enters history, so an action sent straight to Temporal
without the API's signature — unsigned, forged, expired, for another case or request,
or sent a second time — is refused with one clear message.

Validators do not run on replay, so a rotated or retired key never breaks a history:
the handler reads the claims of an assertion its validator already accepted
(`accepted_claims`) without verifying it again.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Final

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from models.actors import Actor
from models.bounds import Identifier, WorkflowId
from models.errors import Refusal
from models.refusal_wording import bounded, excerpt
from models.signed import MAX_TOKEN_CHARS, SignedAction

__all__ = ["MAX_TOKEN_CHARS", "SignedAction"]  # where callers have always found them

ALGORITHM: Final = "Ed25519"
"""The JWS algorithm (RFC 9864's fully specified name for EdDSA on Ed25519)."""
LIFETIME: Final = timedelta(minutes=10)
"""How long a signed action may take to reach its workflow."""
CLOCK_LEEWAY: Final = timedelta(seconds=60)
"""Skew tolerated between the signer's clock and the workflow's."""
SEEN_LIMIT: Final = 500
"""Nonces a case remembers; only unexpired ones are kept, so this is a ceiling, not a window."""

UNVERIFIED: Final = "ActorUnverified"
"""The refusal type of an action whose signed assertion does not hold."""


class ActionClaims(BaseModel):
    """What the signer vouches for."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: Identifier = Field(description="The Update's name, e.g. 'review'")
    workflow_id: WorkflowId
    digest: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of the request")
    actor: Actor
    issued_at: AwareDatetime
    expires_at: AwareDatetime
    nonce: Identifier


def payload_digest(payload: BaseModel) -> str:
    """sha256 of the request's canonical JSON, the same on the signer's side and the case's."""
    canonical = json.dumps(
        payload.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _unverified(vi: str, en: str) -> Refusal:
    return Refusal(UNVERIFIED, bounded(f"{vi} — {en}"))


def _decode(signed: SignedAction, keys: KeySet) -> ActionClaims | Refusal:
    try:
        compact = jws.deserialize_compact(signed.token, keys, algorithms=[ALGORITHM])
    except (JoseError, ValueError) as error:
        return _unverified(
            f"chữ ký của thao tác không hợp lệ ({excerpt(str(error))})",
            "the action's signature does not verify against the keys this system trusts",
        )
    try:
        return ActionClaims.model_validate_json(compact.payload)
    except ValidationError:
        return _unverified(
            "nội dung chữ ký không đúng định dạng", "the signed assertion's claims are malformed"
        )


def _binding_refusal(
    claims: ActionClaims, *, action: str, workflow_id: str, digest: str
) -> Refusal | None:
    if claims.action != action:
        return _unverified(
            f"chữ ký dành cho thao tác {claims.action!r}, không phải {action!r}",
            f"the assertion was signed for action {claims.action!r}, not {action!r}",
        )
    if claims.workflow_id != workflow_id:
        return _unverified(
            f"chữ ký dành cho hồ sơ {excerpt(claims.workflow_id)!r}, không phải hồ sơ này",
            f"the assertion was signed for case {excerpt(claims.workflow_id)!r}, not this one",
        )
    if claims.digest != digest:
        return _unverified(
            "nội dung yêu cầu khác với nội dung đã ký",
            "the request differs from the one that was signed",
        )
    return None


def _time_refusal(claims: ActionClaims, now: datetime) -> Refusal | None:
    if claims.issued_at - CLOCK_LEEWAY > now:
        return _unverified(
            "chữ ký mang thời điểm trong tương lai", "the assertion is dated in the future"
        )
    if now > claims.expires_at + CLOCK_LEEWAY or claims.expires_at - claims.issued_at > LIFETIME:
        return _unverified(
            f"chữ ký đã hết hạn lúc {claims.expires_at:%Y-%m-%d %H:%M:%S} UTC; hãy thao tác lại",
            f"the assertion expired at {claims.expires_at:%Y-%m-%d %H:%M:%S} UTC; act again",
        )
    return None


def verify_action(
    signed: SignedAction | None,
    keys: KeySet | None,
    *,
    action: str,
    workflow_id: str,
    payload: BaseModel,
    now: datetime,
    seen: Collection[str],
) -> Actor | Refusal:
    """The verified actor of an action, or why the action cannot be taken as theirs."""
    if signed is None:
        return _unverified(
            "thao tác không có chữ ký xác thực người thực hiện; hãy thực hiện qua API của hệ thống",
            "the action carries no signed assertion of who takes it; send it through the API",
        )
    if keys is None or not keys.keys:
        return _unverified(
            "máy xử lý chưa được cấu hình khóa xác thực (OCOP_ACTION_KEYS_FILE)",
            "the worker trusts no signing keys (OCOP_ACTION_KEYS_FILE)",
        )
    claims = _decode(signed, keys)
    if isinstance(claims, Refusal):
        return claims
    digest = payload_digest(payload)
    refusal = _binding_refusal(claims, action=action, workflow_id=workflow_id, digest=digest)
    refusal = refusal or _time_refusal(claims, now)
    if refusal is None and claims.nonce in seen:
        refusal = _unverified(
            "chữ ký này đã được dùng một lần; mỗi thao tác cần chữ ký mới",
            "this assertion was used before; every action needs a fresh one",
        )
    return refusal or claims.actor


def verify_standing(
    signed: SignedAction | None, keys: KeySet | None, *, action: str, workflow_id: str, digest: str
) -> ActionClaims | Refusal:
    """A standing authorisation: who opened a cycle or set its schedule, checked when the
    cycle acts on it (months later), so its time of issue is kept, not its expiry."""
    if signed is None:
        return _unverified(
            "chu trình không do một quản trị viên đã xác thực mở",
            "the cycle was not opened by a verified administrator",
        )
    if keys is None or not keys.keys:
        return _unverified("không có khóa xác thực", "no signing keys are trusted")
    claims = _decode(signed, keys)
    if isinstance(claims, Refusal):
        return claims
    return _binding_refusal(claims, action=action, workflow_id=workflow_id, digest=digest) or claims


def accepted_claims(signed: SignedAction) -> ActionClaims:
    """The claims of an assertion the validator accepted, read without verifying again.

    For handlers only: they run on replay, when keys may have rotated since.
    """
    _header, body, _signature = signed.token.split(".")
    padded = body + "=" * (-len(body) % 4)
    return ActionClaims.model_validate_json(base64.urlsafe_b64decode(padded))


def remembered_nonces(
    seen: dict[str, datetime], claims: ActionClaims, now: datetime
) -> dict[str, datetime]:
    """The nonces a case keeps after accepting `claims`: the unexpired ones, newest last."""
    kept = {
        nonce: expires
        for nonce, expires in seen.items()
        if expires + CLOCK_LEEWAY >= now and nonce != claims.nonce
    }
    kept[claims.nonce] = claims.expires_at
    return dict(list(kept.items())[-SEEN_LIMIT:])
