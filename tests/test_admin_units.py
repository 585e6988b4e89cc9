"""Administrative units and authorities as dated data: Hải Dương's certificate is
reminded and re-evaluated by Hải Phòng after 1 July 2025, while what happened in 2024
stays under Hải Dương."""

from __future__ import annotations

from datetime import date

import pytest

from contracts import case as contract
from models.admin_units import (
    MERGED_INTO,
    UNITS,
    coordination_office,
    lineage,
    ministry_on,
    peoples_committee_on,
    successor_on,
    unit_name,
)
from models.applicants import RegistrationKind
from models.case import (
    Application,
    RecognitionDecision,
    ReviewAction,
    ReviewDecision,
    ScorecardSubmission,
)
from models.cycle import LocalityFigures, figures_by_units_of
from models.cycle_rules import dossier_refusal
from models.dossier import Dossier, Language
from models.rulebook import QD1489_2025
from models.stars import Stars
from tests.factories import (
    PRODUCER_EMAIL,
    case_input,
    council,
    honey_dossier,
    local_assessment,
    scorecard_for_total,
)
from tests.fixtures.lifecycle import CaseWorld
from tests.signing import administrator, authority, member, reviewer
from tests.test_lifecycle_certificate import skip_to
from tests.test_rules_cycle import cycle

BEFORE, AFTER = date(2025, 6, 30), date(2025, 7, 1)


def test_the_country_has_63_provincial_units_until_july_2025_and_34_after() -> None:
    provinces = [u for u in UNITS.values() if u.parent is None]
    assert sum(u.exists_on(BEFORE) for u in provinces) == 63
    assert sum(u.exists_on(AFTER) for u in provinces) == 34
    assert len(MERGED_INTO) == 29
    assert successor_on("hai-duong", BEFORE) == "hai-duong"
    assert successor_on("hai-duong", AFTER) == "hai-phong"
    assert successor_on("thua-thien-hue", date(2025, 1, 1)) == "hue"
    assert successor_on("tp-hai-duong", AFTER) == "hai-phong"  # district → province → merged
    assert lineage("hai-duong") == ("hai-duong", "hai-phong")


def test_units_and_authorities_are_named_by_their_proper_names_on_their_dates() -> None:
    assert unit_name("ha-long") == "thành phố Hạ Long"
    assert unit_name("binh-lieu", Language.EN) == "Bình Liêu District"
    assert unit_name("somewhere-else") == "somewhere-else"
    assert ministry_on(date(2025, 2, 28)).name_vi == "Bộ Nông nghiệp và Phát triển nông thôn"
    assert ministry_on(date(2025, 3, 1)).decision_suffix == "QĐ-BNNMT"
    assert peoples_committee_on("hai-duong", date(2024, 3, 1)).name_vi == "UBND tỉnh Hải Dương"
    assert peoples_committee_on("hai-duong", date(2027, 3, 1)).name_vi == (
        "UBND thành phố Hải Phòng"
    )
    assert coordination_office("hai-duong", date(2027, 1, 30)) == (
        "Văn phòng Điều phối Chương trình OCOP thành phố Hải Phòng"
    )


def test_a_report_groups_by_the_units_of_any_date() -> None:
    by_locality = {
        "tp-hai-duong": LocalityFigures(submitted=3, certified=2),
        "kinh-mon": LocalityFigures(submitted=1, certified=1),
    }
    assert figures_by_units_of(by_locality, date(2024, 12, 31)) == by_locality
    assert figures_by_units_of(by_locality, date(2026, 1, 1)) == {
        "hai-phong": LocalityFigures(submitted=4, certified=3)
    }


def hai_duong_cake(base: Dossier | None = None) -> Dossier:
    return (base or honey_dossier()).model_copy(
        update={
            "province": "hai-duong",
            "locality": "tp-hai-duong",
            "product_code": "BDX-RVHG",
            "product_name": "Bánh đậu xanh Rồng Vàng Hoàng Gia",
        }
    )


def test_hai_phongs_cycle_takes_hai_duongs_dossiers_from_july_2025_only() -> None:
    cake = hai_duong_cake()
    in_2027 = cycle(year=2027).model_copy(update={"province": "hai-phong"})
    in_2024 = cycle(year=2024).model_copy(update={"province": "hai-phong"})
    assert dossier_refusal(in_2027, cake) is None
    refusal = dossier_refusal(in_2024, cake)
    assert refusal is not None and "tỉnh Hải Dương (hai-duong)" in refusal
    assert "thành phố Hải Phòng" in refusal


@pytest.mark.record_history
async def test_hai_duongs_certificate_is_reminded_and_reevaluated_by_hai_phong(
    case_world: CaseWorld,
) -> None:
    case = await case_world.open_case(case_input(hai_duong_cake()))
    await case.accept()
    await case.score_and_close("district", 62, 60, 65, 61)
    await case.recognise(
        "district",
        date(2024, 3, 1),
        decision="125/QĐ-UBND",
        certificate="HD-01",
        authority="UBND thành phố Hải Dương",
    )
    await skip_to(case_world, case, date(2027, 1, 31))  # after the 30-day reminder
    await case.mail_sent()
    letters = case_world.smtp.messages_to(PRODUCER_EMAIL)
    kinds = [str(m["X-Ocop-Event"]) for m in letters]
    recognised = letters[kinds.index("recognised")].get_body(("plain",))
    last_reminder = letters[len(kinds) - 1 - kinds[::-1].index("expiry_reminder")]
    reminder = last_reminder.get_body(("plain",))
    assert recognised is not None and reminder is not None
    assert "Văn phòng Điều phối Chương trình OCOP tỉnh Hải Dương" in recognised.get_content()
    assert "Văn phòng Điều phối Chương trình OCOP thành phố Hải Phòng" in reminder.get_content()

    # The re-evaluation runs on the 2025 rules, by Hải Phòng's people.
    dossier = hai_duong_cake(
        honey_dossier(registration_kind=RegistrationKind.REEVALUATION, current_stars=3)
    ).model_copy(update={"product_code": (await case.status()).product_code})
    await case.apply(
        Application(
            dossier=dossier,
            cycle_year=2027,
            rulebook=QD1489_2025,
            councils=(council("province"), council("central")),
        )
    )
    accept = ReviewDecision(
        action=ReviewAction.ACCEPT,
        reviewer="UBND phường (Hải Phòng)",
        local_assessment=local_assessment("UBND phường (Hải Phòng)"),
    )
    await case._act(reviewer("hai-phong", "tp-hai-duong"), contract.REVIEW, accept)
    for on_roster, total in zip(council("province").members, (66, 64, 68, 65), strict=False):
        card = scorecard_for_total(on_roster.member_id, "province", total, QD1489_2025.maxima)
        await case._act(
            member("hai-phong", "province", on_roster.member_id),
            contract.SUBMIT_SCORECARD,
            ScorecardSubmission(scorecard=card),
        )
    await case.close("province")
    decided = (await case.status()).as_of.date()
    signer = peoples_committee_on("hai-duong", decided).name_vi
    decision = RecognitionDecision(
        level="province",
        authority=signer,
        decision_number="412/QĐ-UBND",
        decided_on=decided,
        certificate_number="HP-27-01",
    )
    await case._act(authority("province", signer, "hai-phong"), contract.RECOGNISE, decision)
    status = await case.status()
    assert status.certificate is not None
    assert status.certificate.authority == "UBND thành phố Hải Phòng"
    assert status.certificate.stars == Stars.THREE
    # What happened in 2024 stays Hải Dương's.
    assert [(d.authority, d.number) for d in status.decisions] == [
        ("UBND thành phố Hải Dương", "125/QĐ-UBND"),
        ("UBND thành phố Hải Phòng", "412/QĐ-UBND"),
    ]
    assert status.province == "hai-duong"


def test_a_merged_units_people_do_not_act_for_the_unit_it_joined() -> None:
    from models.actors import cycle_administration_refusal

    assert cycle_administration_refusal(administrator("hai-phong"), "hai-duong") is None
    assert cycle_administration_refusal(administrator("hai-duong"), "hai-phong") is not None
