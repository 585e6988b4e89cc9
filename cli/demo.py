"""``ocop demo``: five real OCOP products through their whole life, in about a minute.

Why it exists: a newcomer should see on one machine, with nothing but the embedded
stack, what the engine does — a district review with a supplement request, councils
scoring at district, province and central level (one divergence re-score),
recognition of 3★, 4★ and 5★, then three years of certificate life: expiry reminders,
a re-evaluation that changes the stars, a lapse and a revocation — and where to look
afterwards. The products and producers are real names (see DESIGN.md); what happens to
them here is invented.

How: every case runs the real workflow on a compressed business calendar
(``CasePolicy.clock_speed``: 1 business day ≈ 50 ms by default), so the 36 months of
validity pass in about a minute while every letter shows real dates. People act as
soon as a case lets them, through the workflow's Updates, as the command line will;
the official deadlines of the default policy stay as they are.

Each run has its own tag, used in product codes, workflow ids and decision and
certificate numbers: the register keeps every earlier run, and refuses a second
product with the same code in a province or a second certificate with the same number.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import socket
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, NoReturn

import aiosmtplib
import typer
from rich import box
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.table import Table
from sqlalchemy import func, select
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from infra.binaries import BinaryNotFoundError
from infra.cases import case_handle, open_case
from infra.database import create_engine
from infra.devserver import (
    DevServer,
    DevServerError,
    PortInUseError,
    SearchAttributeConflictError,
    ensure_ports_free,
    port_is_free,
    register_search_attributes,
    stack_ports,
    ui_url,
)
from infra.mailsink import MailSink, mail_dir_for
from infra.settings import ConfigurationError, Settings, load_settings
from infra.temporal import connect
from models.applicants import ApplicantKind, RegistrationKind
from models.case import (
    Application,
    CasePolicy,
    CaseStage,
    CaseStatus,
    Certificate,
    CloseSession,
    Contact,
    LifecycleInput,
    RecognitionDecision,
    ReviewAction,
    ReviewDecision,
    RevocationDecision,
    RevocationGround,
    ScorecardSubmission,
    SupplementSubmission,
    product_workflow_id,
)
from models.catalogue import DOCUMENT_LABELS_VI, DocumentKind, required_documents
from models.clock import VIETNAM, BusinessClock, start_of_day
from models.council import Council, CouncilMember, CouncilRole
from models.dossier import Applicant, DocumentRef, Dossier
from models.register import NotificationRecord
from models.rulebook import QD148_2023, Rulebook
from models.scorecard import PartMaxima, Scorecard
from workflows.product_lifecycle import ProductLifecycleWorkflow

console = Console(soft_wrap=True, highlight=False)
err_console = Console(stderr=True, soft_wrap=True)

RULEBOOK: Rulebook = QD148_2023
CYCLE_START = datetime(2024, 3, 1, 8, 0, tzinfo=VIETNAM)
DEFAULT_DAYS_PER_SECOND = 20.0
DEFAULT_TIMEOUT_SECONDS = 300.0
WORKER_STOP_SECONDS = 30.0

# People act as soon as a case lets them: an Update takes ~0.1 s of wall time, ~2
# business days, well inside every official deadline. Machine speed still decides how
# long an evaluation takes, so the ending is ordered by milestones, not by dates: the
# rice and the cake enter only once the honey, the fish sauce and the cordyceps hold
# their certificates, so theirs expire last and are still valid when the demo ends.
RICE_SUBMITTED_DAYS_LATER = 30  # Hậu Giang's dossiers arrive a month after that
REVOCATION_AFTER_DAYS = 400  # the post-inspection that finds the fault, after recognition

_LEVEL_EN = {"district": "district", "province": "provincial", "central": "central"}


class DemoError(Exception):
    """The demo cannot go on; the message is the one line the user sees."""


# ------------------------------------------------------------------------ the products


@dataclass(frozen=True)
class Product:
    """A real OCOP product and its producer, with where it is assessed."""

    short: str
    name: str
    code: str
    applicant: str
    kind: ApplicantKind
    email: str
    province: str
    province_vi: str
    locality: str
    district_authority: str
    group: str
    product_set: str

    @property
    def province_authority(self) -> str:
        return f"UBND tỉnh {self.province_vi}"


HONEY = Product(
    short="Mật ong Bình Liêu",
    name="Mật ong rừng Bình Liêu",
    code="MO-BINHLIEU",
    applicant="HTX Hợp Tiến",
    kind=ApplicantKind.COOPERATIVE,
    email="htx.hoptien@example.vn",
    province="quang-ninh",
    province_vi="Quảng Ninh",
    locality="binh-lieu",
    district_authority="UBND huyện Bình Liêu",
    group="food",
    product_set="raw_semi_processed",
)
FISH_SAUCE = Product(
    short="Mắm ngự Đại Yên",
    name="Mắm ngự",
    code="MAM-NGU-DAIYEN",
    applicant="Công ty CP Thủy sản Đại Yên",
    kind=ApplicantKind.ENTERPRISE,
    email="thuysan.daiyen@example.vn",
    province="quang-ninh",
    province_vi="Quảng Ninh",
    locality="ha-long",
    district_authority="UBND thành phố Hạ Long",
    group="food",
    product_set="condiments",
)
CORDYCEPS = Product(
    short="Đông trùng hạ thảo Vietcor",
    name="Viên nang Đông trùng hạ thảo Vietcor",
    code="VIETCOR-VIENNANG",
    applicant="HTX Việt Hoàng",
    kind=ApplicantKind.COOPERATIVE,
    email="htx.viethoang@example.vn",
    province="quang-ninh",
    province_vi="Quảng Ninh",
    locality="ha-long",
    district_authority="UBND thành phố Hạ Long",
    group="herbal",
    product_set="health_supplements",
)
RICE = Product(
    short="Gạo sạch Vị Thủy",
    name="Gạo sạch Vị Thủy",
    code="GAO-VITHUY",
    applicant="HTX Tân Long",
    kind=ApplicantKind.COOPERATIVE,
    email="htx.tanlong@example.vn",
    province="hau-giang",
    province_vi="Hậu Giang",
    locality="vi-thuy",
    district_authority="UBND huyện Vị Thủy",
    group="food",
    product_set="raw_semi_processed",
)
MUNG_BEAN_CAKE = Product(
    short="Bánh đậu xanh Rồng Vàng",
    name="Bánh đậu xanh Rồng Vàng Hoàng Gia",
    code="BDX-RONGVANG-HG",
    applicant="Công ty CP Hoàng Giang",
    kind=ApplicantKind.ENTERPRISE,
    email="hoanggiang.banhdauxanh@example.vn",
    province="hai-duong",
    province_vi="Hải Dương",
    locality="tp-hai-duong",
    district_authority="UBND thành phố Hải Dương",
    group="food",
    product_set="processed_food",
)
PRODUCTS: tuple[Product, ...] = (HONEY, FISH_SAUCE, CORDYCEPS, RICE, MUNG_BEAN_CAKE)
MINISTRY = "Bộ Nông nghiệp và Phát triển nông thôn"


def _document(kind: DocumentKind, owner: str) -> DocumentRef:
    file_name = f"{owner.lower()}-{kind.value}.pdf"
    return DocumentRef(
        file_name=file_name,
        kind=kind,
        sha256=hashlib.sha256(file_name.encode()).hexdigest(),
        size_bytes=180_000 + len(file_name) * 1_000,
    )


def _dossier(
    product: Product,
    code: str,
    kind: RegistrationKind = RegistrationKind.FIRST,
    current_stars: int | None = None,
    leave_out: Sequence[DocumentKind] = (),
) -> Dossier:
    needed = sorted(required_documents(product.group, kind))
    return Dossier(
        province=product.province,
        locality=product.locality,
        product_code=code,
        product_name=product.name,
        applicant=Applicant(name=product.applicant, kind=product.kind, email=product.email),
        group=product.group,
        product_set=product.product_set,
        registration_kind=kind,
        current_stars=current_stars,
        documents=tuple(_document(k, product.code) for k in needed if k not in leave_out),
    )


def _council(level: str, product: Product) -> Council:
    """Five members, the chair first: quorum (3/4) is four scorecards with the chair's."""
    place = product.province if level != "central" else "trung-uong"
    members = [
        CouncilMember(
            member_id=f"{level}-chair",
            name=f"Chủ tịch Hội đồng OCOP cấp {_level_vi(level)}",
            email=f"chutich.{level}.{place}@hoidong.example.vn",
            role=CouncilRole.CHAIR,
        ),
        *(
            CouncilMember(
                member_id=f"{level}-m{i}",
                name=f"Thành viên {i}, Hội đồng OCOP cấp {_level_vi(level)}",
                email=f"thanhvien{i}.{level}.{place}@hoidong.example.vn",
            )
            for i in range(1, 5)
        ),
    ]
    return Council(level=level, members=tuple(members))


def _expires_on(certificate: Certificate) -> date:
    return certificate.valid_until + timedelta(days=1)


def _level_vi(level: str) -> str:
    return {"district": "huyện", "province": "tỉnh", "central": "trung ương"}.get(level, level)


def _scorecard(member_id: str, level: str, total: int, maxima: PartMaxima) -> Scorecard:
    """A plausible scorecard reaching `total`: parts filled in proportion to their maxima."""
    part_a = min(maxima.part_a, round(total * maxima.part_a / 100))
    part_b = min(maxima.part_b, round(total * maxima.part_b / 100))
    part_c = total - part_a - part_b
    if part_c > maxima.part_c:
        part_a += part_c - maxima.part_c
        part_c = maxima.part_c
    return Scorecard(
        member_id=member_id,
        level=level,
        part_a=part_a,
        part_b=part_b,
        part_c=part_c,
        mandatory_criteria_met=True,
    )


def _stars(value: int | None) -> str:
    return f"{int(value)}★" if value is not None else "—"


def _run_tag() -> str:
    """Six base-36 digits of the current second: unique per run, short in numbers."""
    value, digits = int(time.time()), ""
    while value:
        value, rest = divmod(value, 36)
        digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[rest] + digits
    return digits[-6:]


# --------------------------------------------------------------------------- the stack


@dataclass
class DemoStack:
    """What the demo runs on; `server` is None when a running Temporal was reused."""

    client: Client
    server: DevServer | None
    sink_started: bool
    worker: asyncio.Task[None]


def _is_local(host: str) -> bool:
    return host in {"", "localhost", "127.0.0.1", "::1", "0.0.0.0", "::"}


def _tcp_answers(host: str, port: int) -> bool:
    connect_host = "127.0.0.1" if host in {"", "0.0.0.0", "::"} else host
    try:
        with socket.create_connection((connect_host, port), timeout=2):
            return True
    except OSError:
        return False


async def _running_temporal(settings: Settings) -> Client | None:
    """A client of the Temporal already serving the configured address, or None.

    A plain TCP probe comes first: exiting right after a refused `Client.connect` can
    abort the interpreter (temporalio 1.35's core runtime), and most runs find nothing.
    """
    if not await asyncio.to_thread(_tcp_answers, settings.temporal_host, settings.temporal_port):
        return None
    try:
        client = await asyncio.wait_for(connect(settings), timeout=5)
        await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=settings.temporal_namespace),
            timeout=timedelta(seconds=5),
        )
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise DemoError(
                f"Temporal at {settings.temporal_address} has no namespace "
                f"{settings.temporal_namespace!r}; create it or set OCOP_TEMPORAL_NAMESPACE"
            ) from None
        raise DemoError(
            f"something answers on {settings.temporal_address} but it is not a usable "
            f"Temporal server ({error.message}); stop it or set OCOP_TEMPORAL_ADDRESS"
        ) from None
    except (RuntimeError, OSError, TimeoutError) as error:
        await asyncio.sleep(0.3)  # see the docstring: let the core runtime settle
        reason = "no answer within 5 s" if isinstance(error, TimeoutError) else _one_line(error)
        raise DemoError(
            f"something listens on {settings.temporal_address} but it is not a Temporal "
            f"server ({reason[:120]}); stop it or set OCOP_TEMPORAL_ADDRESS"
        ) from None
    return client


async def _smtp_answers(settings: Settings) -> bool:
    smtp = aiosmtplib.SMTP(hostname=settings.smtp_host, port=settings.smtp_port, timeout=5)
    try:
        await smtp.connect()
        await smtp.quit()
    except (aiosmtplib.SMTPException, OSError, TimeoutError):
        return False
    return True


@contextlib.asynccontextmanager
async def demo_stack(settings: Settings) -> AsyncIterator[DemoStack]:
    """The embedded stack in this process, or the parts of one that already run.

    A Temporal answering on the configured address (e.g. `ocop dev up` in another
    terminal) is reused and left running; so is a mail server on the SMTP port. The
    demo always runs its own worker: workers share a task queue, so a second one is
    harmless, and relying on another process's worker could wait forever.
    """
    from worker import run_worker  # late: it imports every workflow and activity

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    async with contextlib.AsyncExitStack() as stack:
        sink_started = False
        if _is_local(settings.smtp_host) and port_is_free(settings.smtp_host, settings.smtp_port):
            sink = MailSink(mail_dir_for(settings), settings.smtp_host, settings.smtp_port)
            await sink.start()
            stack.push_async_callback(sink.stop)
            sink_started = True
        elif not await _smtp_answers(settings):
            raise DemoError(
                f"nothing usable answers SMTP on {settings.smtp_host}:{settings.smtp_port}; "
                "free the port or set OCOP_SMTP_HOST / OCOP_SMTP_PORT"
            )

        client = await _running_temporal(settings)
        server: DevServer | None = None
        if client is None:
            if not _is_local(settings.temporal_host):
                raise DemoError(f"no Temporal server answers on {settings.temporal_address}")
            ensure_ports_free(stack_ports(settings)[:2])  # gRPC and Web UI
            server = DevServer(settings)
            stack.push_async_callback(server.stop)
            await server.start()
            client = await connect(settings)
        await register_search_attributes(client, settings.temporal_namespace)

        stop = asyncio.Event()
        worker = asyncio.create_task(run_worker(settings, stop), name="ocop-demo-worker")
        stack.push_async_callback(_stop_worker, worker, stop)
        yield DemoStack(client=client, server=server, sink_started=sink_started, worker=worker)


async def _stop_worker(task: asyncio.Task[None], stop: asyncio.Event) -> None:
    stop.set()
    try:
        await asyncio.wait_for(asyncio.shield(task), timeout=WORKER_STOP_SECONDS)
    except TimeoutError:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    except Exception:  # already reported by the watchdog
        logging.getLogger("ocop.demo").debug("worker ended with an error", exc_info=True)


# ----------------------------------------------------------------------- driving cases


@dataclass
class DemoRun:
    """One run: its tag, calendar speed, client and the numbering of its documents."""

    client: Client
    task_queue: str
    tag: str
    days_per_second: float
    started: float = field(default_factory=time.monotonic)
    _serial: int = 0

    @property
    def speed(self) -> float:
        """Business seconds per real second, as CasePolicy.clock_speed wants it."""
        return self.days_per_second * 86_400

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def business_now(self) -> datetime:
        """The cycle calendar as this process sees it (cases start on it)."""
        return CYCLE_START + timedelta(seconds=self.elapsed() * self.speed)

    def next_serial(self) -> str:
        self._serial += 1
        return f"{self.tag}.{self._serial:02d}"

    def real_seconds(self, business_days: float) -> float:
        return business_days / self.days_per_second


class Case:
    """One product's case, driven the way the people around it would act.

    Its business clock is read once from the case's history. Why not from the `status`
    query: a query answers with the time of the case's last workflow task, so while the
    case sleeps towards a reminder its `business_now` stands still.
    """

    def __init__(self, run: DemoRun, product: Product) -> None:
        self.run = run
        self.product = product
        self.code = f"{product.code}-{run.tag}"
        self.workflow_id = product_workflow_id(product.province, self.code)
        self.handle: WorkflowHandle[ProductLifecycleWorkflow, Any] = case_handle(
            run.client, self.workflow_id
        )
        self.councils = {
            level.name: _council(level.name, product) for level in RULEBOOK.levels if level.scores
        }
        self.clock: BusinessClock | None = None
        self.last_certificate: Certificate | None = None
        self._reminders_seen: set[tuple[str, int]] = set()
        self._stage_seen: CaseStage | None = None

    # -- reading

    async def status(self) -> CaseStatus:
        return await self.handle.query(ProductLifecycleWorkflow.status)

    def business_now(self) -> datetime:
        if self.clock is None:
            return self.run.business_now()
        return self.clock.business_now(datetime.now(UTC))

    def today(self) -> date:
        return self.business_now().astimezone(VIETNAM).date()

    def say(self, text: str, day: date | None = None) -> None:
        shown = (day or self.today()).isoformat()
        console.print(f"[dim]{shown}[/]  [bold]{escape(self.product.short):<28}[/] {text}")

    async def _read_clock(self, business_start: datetime) -> BusinessClock:
        """The case's clock starts at its first workflow task (`workflow.now()` there)."""
        async for event in self.handle.fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
                return BusinessClock(
                    real_origin=event.event_time.ToDatetime(tzinfo=UTC),
                    business_origin=business_start,
                    speed=self.run.speed,
                )
        raise DemoError(f"{self.product.name}: the case has not started")

    async def follow(
        self,
        until: Callable[[CaseStatus], bool],
        what: str,
        business_days: float,
        poll: float = 0.1,
    ) -> CaseStatus:
        """Poll the case, telling what it does by itself, until `until` holds.

        `business_days` is how long the wait should take; twice that (plus slack for a
        slow machine) is allowed before the demo gives up with a clear message.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.run.real_seconds(business_days) * 2 + 30
        while True:
            status = await self.status()
            self._report(status)
            if until(status):
                return status
            if loop.time() > deadline:
                raise DemoError(
                    f"{self.product.name}: still waiting for {what} after "
                    f"{business_days:.0f} business days (stage {status.stage.value})"
                )
            await asyncio.sleep(poll)

    async def until_date(self, day: date) -> None:
        """Sleep on the case's calendar until `day` starts, reporting what it does meanwhile."""
        target = start_of_day(day)
        while True:
            self._report(await self.status())
            remaining = (target - self.business_now()).total_seconds() / self.run.speed
            if remaining <= 0:
                return
            await asyncio.sleep(min(remaining, 0.25) + 0.005)

    def _report(self, status: CaseStatus) -> None:
        """Print what the case did on its own (reminders, a lapse), dated when it did it."""
        certificate = status.certificate
        if certificate is not None:
            self.last_certificate = certificate
            for days_before in sorted(certificate.reminders_sent, reverse=True):
                if (certificate.number, days_before) not in self._reminders_seen:
                    self._reminders_seen.add((certificate.number, days_before))
                    self.say(
                        f"[yellow]expiry reminder[/] ({days_before} days before): certificate "
                        f"{escape(certificate.number)} is valid until "
                        f"{certificate.valid_until.isoformat()}",
                        day=_expires_on(certificate) - timedelta(days=days_before),
                    )
        if status.stage != self._stage_seen:
            self._stage_seen = status.stage
            lapsed = self.last_certificate
            if status.stage == CaseStage.LAPSED and lapsed is not None:
                self.say(
                    f"[red]lapsed[/]: nobody applied for re-evaluation, so certificate "
                    f"{escape(lapsed.number)} ({_stars(lapsed.stars)}) ended with "
                    f"{lapsed.valid_until.isoformat()}",
                    day=_expires_on(lapsed),
                )

    # -- acting

    async def _update(self, what: str, call: Any, argument: Any) -> Any:
        try:
            return await self.handle.execute_update(call, argument)
        except WorkflowUpdateFailedError as error:
            cause = error.cause or error
            raise DemoError(f"{self.product.name}: {what} was refused: {cause}") from None

    async def submit(self, leave_out: Sequence[DocumentKind] = ()) -> None:
        """Open the case; return once it has taken the dossier in and awaits review."""
        admin = Contact(
            name=f"Văn phòng Điều phối OCOP tỉnh {self.product.province_vi}",
            email=f"vpdp.ocop.{self.product.province.replace('-', '')}@example.vn",
        )
        business_start = self.run.business_now()
        case = LifecycleInput(
            dossier=_dossier(self.product, self.code, leave_out=leave_out),
            rulebook=RULEBOOK,
            policy=CasePolicy(clock_speed=self.run.speed),
            councils=tuple(self.councils.values()),
            administrators=(admin,),
            cycle_year=business_start.year,
            business_start=business_start,
        )
        await open_case(self.run.client, case, self.run.task_queue, workflow_id=self.workflow_id)
        status = await self.follow(
            lambda s: s.stage == CaseStage.LOCAL_REVIEW, "the district review", 10
        )
        self._stage_seen = status.stage
        self.clock = await self._read_clock(business_start)
        kind = self.product.kind.value.replace("_", " ")
        self.say(
            f"submitted by {escape(self.product.applicant)} ({kind}, "
            f"{escape(self.product.province_vi)})",
            day=business_start.astimezone(VIETNAM).date(),
        )

    async def accept(self) -> None:
        decision = ReviewDecision(
            action=ReviewAction.ACCEPT,
            reviewer=f"Phòng Nông nghiệp, {self.product.district_authority}",
        )
        await self._update("accepting the dossier", ProductLifecycleWorkflow.review, decision)
        self.say("dossier complete: accepted by the district")

    async def request_and_supply(self, missing: DocumentKind) -> None:
        """The district asks for a missing document; the producer brings it at once.

        Nothing else happens between the two Updates: on the compressed calendar the
        15-day supplement window lasts well under a second.
        """
        decision = ReviewDecision(
            action=ReviewAction.REQUEST_SUPPLEMENT,
            reviewer=f"Phòng Nông nghiệp, {self.product.district_authority}",
            reason=f"Hồ sơ còn thiếu: {DOCUMENT_LABELS_VI[missing]}",
            documents_requested=(missing,),
        )
        supplement = SupplementSubmission(
            submitted_by=self.product.applicant, documents=(_document(missing, self.code),)
        )
        await self._update("the supplement request", ProductLifecycleWorkflow.review, decision)
        await self._update("the supplement", ProductLifecycleWorkflow.supply_supplement, supplement)
        self.say(
            f"[yellow]supplement requested[/] by the district "
            f"({escape(DOCUMENT_LABELS_VI[missing])}) and received from the producer"
        )

    async def council(self, level: str, *attempts: tuple[int, ...]) -> CaseStatus:
        """Each attempt: the first members (chair first) score these totals, then close."""
        council = self.councils[level]
        for totals in attempts:
            for member, total in zip(council.members, totals, strict=False):
                card = _scorecard(member.member_id, level, total, RULEBOOK.maxima)
                await self._update(
                    f"the scorecard of {member.member_id}",
                    ProductLifecycleWorkflow.submit_scorecard,
                    ScorecardSubmission(scorecard=card),
                )
            closed = await self._update(
                f"closing the {level} council session",
                ProductLifecycleWorkflow.close_session,
                CloseSession(level=level, closed_by=f"Thư ký Hội đồng OCOP cấp {_level_vi(level)}"),
            )
            if closed.result is None:
                self.say(
                    f"[magenta]{_LEVEL_EN[level]} council must re-score[/]: totals "
                    f"{min(totals)}–{max(totals)} differ by {max(totals) - min(totals)} "
                    f"points (more than {RULEBOOK.council.max_divergence})"
                )
                continue
            status = await self.status()
            decided_on = status.business_now.astimezone(VIETNAM).date()
            next_level = _LEVEL_EN.get(status.level or "", status.level or "?")
            if status.stage == CaseStage.COUNCIL_SCORING:
                outcome = f"sent up to the {next_level} council"
            else:
                outcome = f"awaits recognition at {next_level} level"
            self.say(
                f"{_LEVEL_EN[level]} council: {closed.result.mean} points, "
                f"{_stars(closed.result.stars)} — {outcome}",
                day=decided_on,
            )
            return status
        raise DemoError(f"{self.product.name}: the {level} council never agreed")

    async def recognise(self, level: str, authority: str) -> Certificate:
        # The validator refuses decisions dated in the case's future: date it by the
        # case's own calendar, as its status shows it right after the council closed.
        decided_on = (await self.status()).business_now.astimezone(VIETNAM).date()
        serial = self.run.next_serial()
        decision = RecognitionDecision(
            level=level,
            authority=authority,
            decision_number=f"{serial}/QĐ-{'BNN-KTHT' if level == 'central' else 'UBND'}",
            decided_on=decided_on,
            certificate_number=f"{serial}/GCN-OCOP",
        )
        await self._update("the recognition decision", ProductLifecycleWorkflow.recognise, decision)
        status = await self.status()
        certificate = status.certificate
        if certificate is None:
            raise DemoError(f"{self.product.name}: recognised, yet no certificate")
        self.last_certificate = certificate
        self._stage_seen = status.stage
        self.say(
            f"[green]recognised {_stars(certificate.stars)}[/] by {escape(authority)}: decision "
            f"{escape(decision.decision_number)}, certificate {escape(certificate.number)} "
            f"valid until {certificate.valid_until.isoformat()}",
            day=decided_on,
        )
        return certificate

    async def apply_for_reevaluation(self, stars: int) -> None:
        application = Application(
            dossier=_dossier(
                self.product, self.code, RegistrationKind.REEVALUATION, current_stars=stars
            ),
            cycle_year=self.today().year,
        )
        await self._update(
            "the re-evaluation application", ProductLifecycleWorkflow.apply, application
        )
        self.say("applies for [cyan]re-evaluation[/] (a new round of the same case)")
        await self.follow(
            lambda s: s.round_number == 2 and s.stage == CaseStage.LOCAL_REVIEW,
            "the re-evaluation round to open",
            10,
        )

    async def revoke(self, grounds: RevocationGround, details: str) -> date:
        decision = RevocationDecision(
            authority=self.product.province_authority,
            decision_number=f"{self.run.next_serial()}/QĐ-UBND",
            decided_on=self.today(),
            grounds=grounds,
            details=details,
        )
        await self._update("the revocation", ProductLifecycleWorkflow.revoke, decision)
        number = self.last_certificate.number if self.last_certificate else "?"
        self.say(
            f"[red]revoked[/] by {escape(decision.authority)} (decision "
            f"{escape(decision.decision_number)}): certificate {escape(number)} — "
            f"{escape(details)}",
            day=decision.decided_on,
        )
        return decision.decided_on

    async def mail_sent(self) -> None:
        await self.follow(lambda s: s.emails_queued == 0, "its emails to be sent", 30)


# ----------------------------------------------------------------------- the scenario


def _has_reminder(days_before: int) -> Callable[[CaseStatus], bool]:
    return lambda s: s.certificate is not None and days_before in s.certificate.reminders_sent


@dataclass
class Milestones:
    """What the cases wait for from each other (see RICE_SUBMITTED_DAYS_LATER)."""

    supplied: asyncio.Event = field(default_factory=asyncio.Event)
    first_certificates: asyncio.Event = field(default_factory=asyncio.Event)
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    awaiting: int = 3  # the honey, the fish sauce and the cordyceps

    def certified(self) -> None:
        self.awaiting -= 1
        if self.awaiting == 0:
            self.first_certificates.set()


async def honey(case: Case, milestones: Milestones) -> str:
    """3★ at district after a supplement; nobody re-evaluates, so it lapses."""
    await case.submit(leave_out=(DocumentKind.TEST_RESULTS,))
    await case.request_and_supply(DocumentKind.TEST_RESULTS)
    # The 15-day supplement window is the one deadline a slow step could miss: the
    # honey's review runs alone, before the other cases load the worker.
    milestones.supplied.set()
    await case.accept()
    await case.council("district", (62, 60, 65, 61))
    certificate = await case.recognise("district", case.product.district_authority)
    milestones.certified()
    await case.until_date(certificate.valid_until)
    final = await case.follow(
        lambda s: s.stage == CaseStage.LAPSED, "the certificate to lapse", 5, poll=0.05
    )
    return f"on {_expires_on(final.certificate or certificate).isoformat()}"


async def fish_sauce(case: Case, milestones: Milestones) -> str:
    """3★ at district; re-evaluated after the last reminder and raised to 4★."""
    await milestones.supplied.wait()
    await case.submit()
    await case.accept()
    await case.council("district", (58, 55, 60, 57))
    certificate = await case.recognise("district", case.product.district_authority)
    milestones.certified()
    await case.until_date(_expires_on(certificate) - timedelta(days=31))
    await case.follow(_has_reminder(30), "the 30-day expiry reminder", 5, poll=0.05)
    await case.apply_for_reevaluation(stars=3)
    await case.accept()
    await case.council("district", (76, 74, 78, 75))
    await case.council("province", (80, 78, 79, 81))
    renewed = await case.recognise("province", case.product.province_authority)
    return f"re-evaluated {_stars(certificate.stars)} → {_stars(renewed.stars)}"


async def cordyceps(case: Case, milestones: Milestones) -> str:
    """4★ at province; revoked after a post-inspection finds the quality short."""
    await milestones.supplied.wait()
    await case.submit()
    await case.accept()
    await case.council("district", (73, 71, 74, 72))
    await case.council("province", (75, 77, 74, 76))
    certificate = await case.recognise("province", case.product.province_authority)
    milestones.certified()
    await case.until_date(certificate.valid_from + timedelta(days=REVOCATION_AFTER_DAYS))
    revoked_on = await case.revoke(
        RevocationGround.QUALITY_MISMATCH,
        "Hậu kiểm: hàm lượng cordycepin thấp hơn mức đã công bố",
    )
    return f"on {revoked_on.isoformat()} (quality mismatch)"


async def mung_bean_cake(case: Case, milestones: Milestones) -> str:
    """Up to the central council (after one divergence re-score at province): 5★."""
    await milestones.first_certificates.wait()
    await case.submit()
    await case.accept()
    await case.council("district", (88, 86, 90, 87))
    await case.council("province", (95, 82, 93, 91), (92, 90, 94, 91))
    await case.council("central", (93, 91, 94, 92))
    await case.recognise("central", MINISTRY)
    await case.follow(lambda _: milestones.finished.is_set(), "the end", 1_200, poll=0.25)
    return "still valid"


async def rice(case: Case, milestones: Milestones) -> str:
    """4★ at province; still valid when the demo ends."""
    await milestones.first_certificates.wait()
    await asyncio.sleep(case.run.real_seconds(RICE_SUBMITTED_DAYS_LATER))
    await case.submit()
    await case.accept()
    await case.council("district", (74, 72, 75, 73))
    await case.council("province", (82, 80, 84, 81))
    await case.recognise("province", case.product.province_authority)
    await case.follow(lambda _: milestones.finished.is_set(), "the end", 1_200, poll=0.25)
    return "still valid"


async def _year_marks(run: DemoRun, finished: asyncio.Event) -> None:
    """A rule at each new business year, so the fast-forward reads as time passing."""
    year = run.business_now().year
    while not finished.is_set():
        now = run.business_now()
        if now.year != year:
            year = now.year
            console.rule(f"[dim]{year}[/]", style="dim")
        await asyncio.sleep(0.1)


@dataclass
class Outcome:
    case: Case
    note: str
    status: CaseStatus | None = None


async def play(run: DemoRun) -> list[Outcome]:
    """Drive the five cases concurrently; return once the scripted endings happened."""
    cases = {product.code: Case(run, product) for product in PRODUCTS}
    milestones = Milestones()
    notes: dict[str, str] = {}

    async def ending(product: Product, coroutine: Any) -> None:
        notes[product.code] = await coroutine

    async def scripted() -> None:
        async with asyncio.TaskGroup() as group:
            for product, story in (
                (HONEY, honey),
                (FISH_SAUCE, fish_sauce),
                (CORDYCEPS, cordyceps),
            ):
                group.create_task(ending(product, story(cases[product.code], milestones)))
        milestones.finished.set()

    async with asyncio.TaskGroup() as group:
        group.create_task(scripted())
        for product, story in ((RICE, rice), (MUNG_BEAN_CAKE, mung_bean_cake)):
            group.create_task(ending(product, story(cases[product.code], milestones)))
        group.create_task(_year_marks(run, milestones.finished))

    outcomes = []
    for product in PRODUCTS:
        case = cases[product.code]
        await case.mail_sent()
        outcomes.append(Outcome(case=case, note=notes[product.code], status=await case.status()))
    return outcomes


# ------------------------------------------------------------------------ the command


def _first_error(error: BaseException) -> BaseException:
    """The first leaf of (nested) exception groups: the one line worth showing."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


async def _mail_counts(settings: Settings, workflow_ids: list[str]) -> dict[str, int]:
    engine = create_engine(settings.register_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(NotificationRecord.status, func.count())
                .where(NotificationRecord.workflow_id.in_(workflow_ids))
                .group_by(NotificationRecord.status)
            )
            return {str(status): int(count) for status, count in rows}
    finally:
        await engine.dispose()


async def run_demo(settings: Settings, days_per_second: float, time_limit: float) -> None:
    """Bring the stack up, play the scenario under a watchdog, print where to look."""
    started = time.monotonic()
    tag = _run_tag()
    console.print(
        f"[bold]ocop demo[/] · run {tag} · {len(PRODUCTS)} real products · rules "
        f"{RULEBOOK.id} · compressed calendar: 1 business day ≈ "
        f"{1000 / days_per_second:.0f} ms, 36 months ≈ {1096 / days_per_second:.0f} s"
    )
    console.print("[dim]Real products and producers; the outcomes are invented.[/]")
    async with demo_stack(settings) as stack:
        where = "reused the Temporal server at" if stack.server is None else "started Temporal at"
        sink = "mail sink" if stack.sink_started else "reused the mail server at"
        console.print(
            f"Stack: {where} {settings.temporal_address} (Web UI {ui_url(settings)}), "
            f"{sink} {settings.smtp_host}:{settings.smtp_port}, worker on task queue "
            f"{settings.task_queue!r}\n"
        )
        run = DemoRun(
            client=stack.client,
            task_queue=settings.task_queue,
            tag=tag,
            days_per_second=days_per_second,
        )
        scenario = asyncio.create_task(play(run), name="ocop-demo-scenario")
        watched: set[asyncio.Task[Any]] = {scenario, stack.worker}
        server_exit = asyncio.create_task(stack.server.wait()) if stack.server is not None else None
        if server_exit is not None:
            watched.add(server_exit)
        try:
            done, _ = await asyncio.wait(
                watched, timeout=time_limit, return_when=asyncio.FIRST_COMPLETED
            )
            if scenario not in done:
                if stack.worker in done:
                    error = stack.worker.exception()
                    raise DemoError(
                        "the worker stopped"
                        + (f": {_one_line(error)}" if error else " before the demo ended")
                    )
                if server_exit is not None and server_exit in done:
                    raise DemoError(
                        f"the Temporal dev server exited (code {server_exit.result()}); "
                        f"see {settings.data_dir.resolve() / 'temporal.log'}"
                    )
                raise DemoError(f"the demo did not finish within {time_limit:.0f} s")
            try:
                outcomes = scenario.result()
            except Exception as error:  # task-group errors, unwrapped into one line
                leaf = _first_error(error)
                if isinstance(leaf, DemoError):
                    raise leaf from None
                raise DemoError(f"{type(leaf).__name__}: {_one_line(leaf)}") from None
        finally:
            for task in (scenario, server_exit):
                if task is not None and not task.done():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
        mail = await _mail_counts(settings, [o.case.workflow_id for o in outcomes])
        stopping = ["the worker"]
        if stack.server is not None:
            stopping.append("Temporal")
        if stack.sink_started:
            stopping.append("the mail sink")
        listed = " and ".join(
            [", ".join(stopping[:-1]), stopping[-1]] if len(stopping) > 1 else stopping
        )
        console.print(f"\nStopping {listed} …")
    _print_summary(outcomes)
    _print_where_to_look(settings, stack, mail, outcomes, time.monotonic() - started)


def _print_summary(outcomes: list[Outcome]) -> None:
    table = Table(
        title="Where each product stands",
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("Product", ratio=3)
    table.add_column("Stars", no_wrap=True)
    table.add_column("Certificate", ratio=2)
    table.add_column("Stage", ratio=3)
    for outcome in outcomes:
        status = outcome.status
        assert status is not None
        certificate = status.certificate or outcome.case.last_certificate
        if status.current_stars is not None and certificate is not None:
            stars = f"{_stars(status.current_stars)} {certificate.level}"
        elif certificate is not None:
            stars = f"— (was {_stars(certificate.stars)})"
        else:
            stars = "—"
        shown = (
            f"{certificate.number} until {certificate.valid_until}"
            if certificate is not None
            else "—"
        )
        style = "red" if status.stage in (CaseStage.LAPSED, CaseStage.REVOKED) else "green"
        table.add_row(
            escape(outcome.case.product.name),
            stars,
            escape(shown),
            f"[{style}]{status.stage.value}[/]: {escape(outcome.note)}",
        )
    console.print()
    console.print(table)


def _print_where_to_look(
    settings: Settings,
    stack: DemoStack,
    mail: dict[str, int],
    outcomes: list[Outcome],
    elapsed: float,
) -> None:
    data = settings.data_dir.resolve()
    web = f"{ui_url(settings)}/namespaces/{settings.temporal_namespace}/workflows"
    if stack.server is not None:
        web += "  (stopped with the demo: `ocop dev up` serves it again, with every case)"
    example = outcomes[0].case
    producer = example.product.email
    sent, failed = mail.get("sent", 0), mail.get("failed", 0)
    lines = [
        ("Temporal Web UI", web),
        (
            "Mail",
            f"{sent} emails sent{f', {failed} failed' if failed else ''} — "
            f"`ocop dev mail`, `ocop dev mail --to {producer}`",
        ),
        (
            "A case",
            f"`ocop status {example.product.province} {example.code}`, `ocop history "
            f"{example.product.province} {example.code}`"
            + ("  (with `ocop dev up` running)" if stack.server is not None else ""),
        ),
        ("Data folder", f"{data}  (temporal.db, register.db, mail/)"),
        ("Workflow ids", f"ocop-product-…-{outcomes[0].case.code.rsplit('-', 1)[-1].lower()}"),
    ]
    console.print("\n[bold]Where to look[/]")
    for name, value in lines:
        console.print(f"  [bold]{name:<16}[/]{escape(value)}")
    still_open = [o for o in outcomes if o.status and o.status.stage == CaseStage.CERTIFIED]
    if still_open:
        carried_by = (
            "the running stack carries them on"
            if stack.server is None
            else "they carry on whenever the stack runs again (`ocop dev up`)"
        )
        console.print(
            f"\n[dim]{len(still_open)} cases stay open with valid certificates: {carried_by}; "
            "on the compressed calendar their certificates lapse within seconds.[/]"
        )
    console.print(f"\nDemo finished in {elapsed:.0f} s.")


def _configure_logging(verbose: bool) -> None:
    root = logging.getLogger()
    if not any(isinstance(h, RichHandler) for h in root.handlers):
        handler = RichHandler(console=err_console, show_path=False, rich_tracebacks=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
        root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    logging.getLogger("mail.log").setLevel(logging.WARNING)


def _fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]Error:[/] {escape(message)}")
    raise typer.Exit(code)


def demo(
    days_per_second: Annotated[
        float,
        typer.Option(
            "--days-per-second",
            min=5.0,
            max=200.0,
            help="Business days that pass per real second (the calendar's compression).",
        ),
    ] = DEFAULT_DAYS_PER_SECOND,
    timeout: Annotated[
        float, typer.Option("--timeout", min=10.0, help="Give up after this many seconds.")
    ] = DEFAULT_TIMEOUT_SECONDS,
    verbose: Annotated[
        bool, typer.Option("--verbose", help="Show the worker's log and full errors.")
    ] = False,
) -> None:
    """Run five real OCOP products through certification and three years of certificate life.

    Brings up the embedded stack (or reuses one started by `ocop dev up`), then shows a
    supplement request, a divergence re-score, 3★/4★/5★ recognitions, expiry reminders,
    a re-evaluation, a lapse and a revocation on a compressed calendar.
    """
    try:
        settings = load_settings()
    except ConfigurationError as error:
        _fail(str(error), code=2)
    _configure_logging(verbose)
    try:
        asyncio.run(run_demo(settings, days_per_second, timeout))
    except KeyboardInterrupt:
        _fail("interrupted; the stack was stopped", code=130)
    except (
        DemoError,
        PortInUseError,
        DevServerError,
        BinaryNotFoundError,
        SearchAttributeConflictError,
    ) as error:
        _fail(_one_line(error))
    except Exception as error:
        if verbose:
            err_console.print_exception()
        _fail(f"the demo failed: {type(error).__name__}: {_one_line(error)}")
