"""Dossier numbers people can say on the phone: `HS-QN-2024-0037`.

The rule's own tests, then a cycle that numbers what it receives (time-skipping server),
then the number used to find the case through the API and the command line (dev
server, whose visibility answers queries on search attributes).
"""

from __future__ import annotations

import json
import random
import string

import pytest
from pydantic import ValidationError

from infra.cases import open_case
from models.admin_units import UNITS, UnitKind
from models.cycle_settings import CycleCarried, cycle_dossier_number
from models.dossier_numbers import dossier_number, is_dossier_number, province_letters
from tests.cli_output import ok, refused
from tests.factories import PRODUCER_EMAIL, case_input, honey_dossier
from tests.fixtures.api import ApiWorld
from tests.fixtures.cycle import CycleCli, CycleWorld, cycle_settings
from tests.fixtures.smtp import CapturedMessage, SmtpTestServer
from tests.test_cli_cycle import example_cycle, write
from tests.waiting import eventually


def unique_letters() -> str:
    """Letters no other test's cycle uses: the dev server is shared."""
    return "".join(random.choices(string.ascii_uppercase, k=5))


def subjects(messages: list[CapturedMessage]) -> list[str]:
    return [str(message["Subject"]) for message in messages]


# ---------------------------------------------------------------------- the rule


def test_a_province_is_written_by_the_initials_of_its_proper_name() -> None:
    assert province_letters("quang-ninh") == "QN"
    assert province_letters("hai-phong") == "HP"
    assert province_letters("ho-chi-minh") == "HCM"
    assert province_letters("dak-lak") == "DL"  # Đắk Lắk: Đ is written D
    # Quảng Nam shares Quảng Ninh's initials and takes a letter more.
    assert (province_letters("quang-nam"), province_letters("quang-ngai")) == ("QNA", "QNG")
    assert dossier_number("QN", 2024, 37) == "HS-QN-2024-0037"


def test_no_two_provinces_share_their_letters() -> None:
    first_level = [
        code for code, unit in UNITS.items() if unit.kind in (UnitKind.CITY, UnitKind.PROVINCE)
    ]
    letters = {code: province_letters(code) for code in first_level}
    assert len(first_level) >= 63
    shared = {
        code: value for code, value in letters.items() if list(letters.values()).count(value) > 1
    }
    assert shared == {}


def test_a_number_is_told_apart_from_a_case_id() -> None:
    assert is_dossier_number("HS-QN-2024-0037")
    assert not is_dossier_number("ocop-product-quang-ninh-mo-binhlieu")
    assert not is_dossier_number("HS-qn-2024-0037")
    assert not is_dossier_number("HS-QN-24-37")


def test_a_province_sets_its_own_letters_and_only_capitals() -> None:
    assert cycle_settings(dossier_prefix="QNI").dossier_prefix == "QNI"
    with pytest.raises(ValidationError) as refusal:
        cycle_settings(dossier_prefix="qn")
    assert refusal.value.errors()[0]["loc"] == ("dossier_prefix",)
    assert "[A-Z]{2,5}" in str(refusal.value)


def test_a_run_from_before_numbering_carries_no_count() -> None:
    """Recorded continue-as-new payloads lack the field; they still load."""
    carried = CycleCarried.model_validate(
        {
            "clock": {
                "real_origin": "2024-03-04T02:00:00Z",
                "business_origin": "2024-03-04T02:00:00Z",
            },
            "run_number": 2,
        }
    )
    assert carried.dossiers_numbered is None


# ------------------------------------------------------------------- the cycle


@pytest.mark.record_history
async def test_the_cycle_numbers_its_dossiers_in_order_and_every_letter_quotes_the_number(
    cycle_world: CycleWorld,
) -> None:
    cycle = await cycle_world.start(cycle_settings(dossier_prefix="QN"))
    honey = cycle.dossier("MO-BINHLIEU", "Mật ong rừng Bình Liêu", email="hoptien@example.vn")
    fish = cycle.dossier(
        "MAM-NGU-DAIYEN", "Mắm ngự Đại Yên", locality="ha-long", email="daiyen@example.vn"
    )
    first = await cycle.submit(honey)
    second = await cycle.submit(fish)
    assert (first.dossier_number, second.dossier_number) == ("HS-QN-2024-0001", "HS-QN-2024-0002")
    # A refused second submission of a product takes no number.
    await cycle.refusal(honey)
    assert cycle_dossier_number(cycle.input, 3) == "HS-QN-2024-0003"

    status = await cycle.case("MO-BINHLIEU").status()
    assert status.dossier_number == "HS-QN-2024-0001"
    await cycle.case("MO-BINHLIEU").mail_sent()
    [received] = cycle_world.cases.smtp.messages_to("hoptien@example.vn")
    assert "Mã hồ sơ: HS-QN-2024-0001" in str(received["Subject"])
    body = received.get_body(preferencelist=("plain",))
    assert body is not None and "HS-QN-2024-0001" in str(body.get_content())
    assert status.workflow_id not in str(body.get_content())  # the number, not the id


# ------------------------------------------------------- finding a case by number


@pytest.mark.devserver
async def test_the_api_finds_the_case_by_its_dossier_number(api_world: ApiWorld) -> None:
    world = api_world
    number = f"HS-{unique_letters()}-2024-0037"
    dossier = honey_dossier().model_copy(
        update={"province": world.province, "product_code": f"MO-{number[3:8]}"}
    )
    case = case_input(dossier).model_copy(update={"dossier_number": number})
    handle = await open_case(world.client, case, world.task_queue)

    async def found() -> dict[str, object] | None:
        answer = await world.call("GET", f"/api/v1/cases/{number}", "producer")
        return answer.json() if answer.status_code == 200 else None

    status = await eventually(found, f"the case of dossier {number} in visibility")
    assert (status["workflow_id"], status["dossier_number"]) == (handle.id, number)
    step = await world.call(
        "POST",
        f"/api/v1/cases/{number}/review",
        "reviewer-bl",
        json={"action": "accept", "reviewer": "x"},
    )
    assert step.status_code == 200, step.text
    assert step.json()["workflow_id"] == handle.id
    # Someone else's producer is refused as for the case's id.
    other = await world.call("GET", f"/api/v1/cases/{number}", "other-producer")
    assert other.status_code == 403
    unknown = await world.call("GET", f"/api/v1/cases/HS-{unique_letters()}-2024-0001", "producer")
    assert unknown.status_code == 404 and unknown.json()["detail"].startswith("dossier 'HS-")
    await eventually(
        lambda: _quoting(world.smtp, number), f"a letter to {PRODUCER_EMAIL} quoting {number}"
    )


async def _quoting(smtp: SmtpTestServer, number: str) -> list[str] | None:
    quoted = [s for s in subjects(smtp.messages_to(PRODUCER_EMAIL)) if number in s]
    return quoted or None


@pytest.mark.devserver
async def test_the_command_line_prints_the_number_and_finds_the_case_by_it(
    cycle_cli: CycleCli,
) -> None:
    letters = unique_letters()
    where = ("--province", cycle_cli.province, "--year", "2024")
    config = write(cycle_cli.folder, "cycle.yaml", example_cycle(dossier_prefix=letters))
    ok(await cycle_cli.ocop("cycle", "start", *where, "--config", str(config), who="admin"))
    honey = str(cycle_cli.dossier_file("dossier-mat-ong-binh-lieu.yaml"))
    number = f"HS-{letters}-2024-0001"
    receipt = ok(await cycle_cli.ocop("submit", honey, *where, who="hoptien"), number)
    assert f"ocop status {number}" in receipt
    fish = str(cycle_cli.dossier_file("dossier-mam-ngu-dai-yen.yaml"))
    as_json = json.loads(ok(await cycle_cli.ocop("submit", fish, *where, "--json", who="daiyen")))
    assert as_json["dossier_number"] == f"HS-{letters}-2024-0002"

    async def status() -> str | None:
        answer = await cycle_cli.ocop("status", number)
        return answer.stdout if answer.exit_code == 0 else None

    shown = await eventually(status, f"ocop status {number}")
    assert "Mật ong rừng Bình Liêu" in shown and number in shown
    refused(
        await cycle_cli.ocop("status", f"HS-{letters}-2024-0099"),
        1,
        f"no case has dossier number HS-{letters}-2024-0099",
    )
