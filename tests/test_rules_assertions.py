"""The signed-action rules on their own: what makes an assertion hold, and each way it fails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from contracts.case import CLOSE_SESSION
from infra.action_keys import ActionKeyError, ActionKeys
from models.actors import Actor, Role, Scope
from models.assertions import (
    LIFETIME,
    SEEN_LIMIT,
    UNVERIFIED,
    SignedAction,
    accepted_claims,
    payload_digest,
    remembered_nonces,
    verify_action,
)
from models.case import CloseSessionRequest
from models.errors import Refusal

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
CASE = "ocop-product-quang-ninh-mo-binhlieu"
SECRETARY = Actor(
    subject="kc-7f3a",
    display_name="Thư ký Hội đồng OCOP huyện",
    role=Role.COUNCIL_SECRETARY,
    scope=Scope(province="quang-ninh", level="district"),
)
REQUEST = CloseSessionRequest(level="district", closed_by="Thư ký Hội đồng OCOP huyện")


def check(keys: ActionKeys, signed: SignedAction | None, **changes: object) -> Actor | Refusal:
    arguments: dict[str, object] = {
        "action": CLOSE_SESSION.name,
        "workflow_id": CASE,
        "payload": REQUEST,
        "now": NOW + timedelta(seconds=5),
        "seen": (),
    }
    arguments.update(changes)
    return verify_action(signed, keys.public_keyset(), **arguments)  # type: ignore[arg-type]


def refusal_of(result: Actor | Refusal) -> str:
    assert isinstance(result, Refusal), f"accepted as {result!r}"
    assert result.type == UNVERIFIED
    return result.message


def signed(keys: ActionKeys, **changes: object) -> SignedAction:
    arguments: dict[str, object] = {
        "action": CLOSE_SESSION.name,
        "workflow_id": CASE,
        "payload": REQUEST,
        "now": NOW,
    }
    arguments.update(changes)
    return keys.sign(SECRETARY, **arguments)  # type: ignore[arg-type]


def test_a_fresh_assertion_names_its_verified_actor() -> None:
    keys = ActionKeys.generate()
    assert check(keys, signed(keys)) == SECRETARY


def test_unsigned_forged_and_tampered_assertions_are_refused() -> None:
    keys = ActionKeys.generate()
    assert "không có chữ ký" in refusal_of(check(keys, None))
    forged = signed(ActionKeys.generate())
    assert "does not verify" in refusal_of(check(keys, forged))
    header, _body, signature = signed(keys).token.split(".")
    other = signed(keys, workflow_id="ocop-product-quang-ninh-other").token.split(".")[1]
    tampered = SignedAction(token=f"{header}.{other}.{signature}")
    assert "does not verify" in refusal_of(check(keys, tampered))
    assert "trusts no signing keys" in refusal_of(
        verify_action(
            signed(keys),
            None,
            action=CLOSE_SESSION.name,
            workflow_id=CASE,
            payload=REQUEST,
            now=NOW,
            seen=(),
        )
    )


def test_an_assertion_binds_its_action_case_and_request() -> None:
    keys = ActionKeys.generate()
    assert "not 'review'" in refusal_of(check(keys, signed(keys), action="review"))
    assert "not this one" in refusal_of(check(keys, signed(keys), workflow_id=CASE + "-x"))
    other = CloseSessionRequest(level="province", closed_by="Thư ký Hội đồng OCOP huyện")
    assert "differs from the one that was signed" in refusal_of(
        check(keys, signed(keys), payload=other)
    )


def test_an_assertion_is_good_for_ten_minutes_and_not_before_it_is_made() -> None:
    keys = ActionKeys.generate()
    token = signed(keys)
    assert check(keys, token, now=NOW + LIFETIME) == SECRETARY  # within the leeway
    assert "expired at 2026-12-02 09:10:00 UTC" in refusal_of(
        check(keys, token, now=NOW + LIFETIME + timedelta(minutes=2))
    )
    assert "in the future" in refusal_of(check(keys, token, now=NOW - timedelta(minutes=5)))
    long_lived = signed(keys, lifetime=timedelta(hours=1))
    assert "expired" in refusal_of(check(keys, long_lived))


def test_an_assertion_is_used_once() -> None:
    keys = ActionKeys.generate()
    token = signed(keys)
    nonce = accepted_claims(token).nonce
    assert "used before" in refusal_of(check(keys, token, seen={nonce: NOW}))


def test_a_case_remembers_only_unexpired_nonces_and_at_most_its_limit() -> None:
    keys = ActionKeys.generate()
    claims = accepted_claims(signed(keys))
    old = {"gone": NOW - timedelta(hours=1), "kept": NOW + timedelta(minutes=3)}
    kept = remembered_nonces(old, claims, NOW)
    assert list(kept) == ["kept", claims.nonce]
    many = {f"n{i}": NOW + timedelta(minutes=5) for i in range(SEEN_LIMIT + 50)}
    assert len(remembered_nonces(many, claims, NOW)) == SEEN_LIMIT
    assert claims.nonce in remembered_nonces(many, claims, NOW)


def test_rotation_keeps_old_assertions_and_retiring_refuses_them() -> None:
    keys = ActionKeys.generate()
    before = signed(keys)
    rotated = keys.rotated()
    after = signed(rotated)
    assert check(rotated, before) == SECRETARY
    assert check(rotated, after) == SECRETARY
    retired = rotated.retired(keys.key_ids[0])
    assert "does not verify" in refusal_of(check(retired, before))
    assert check(retired, after) == SECRETARY
    with pytest.raises(ActionKeyError, match="last key"):
        retired.retired(retired.key_ids[0])


def test_the_digest_ignores_key_order_and_sees_every_field() -> None:
    same = CloseSessionRequest.model_validate(
        {"closed_by": "Thư ký Hội đồng OCOP huyện", "level": "district"}
    )
    assert payload_digest(same) == payload_digest(REQUEST)
    assert payload_digest(REQUEST.model_copy(update={"closed_by": "x"})) != payload_digest(REQUEST)


def test_the_key_file_is_private_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "action-keys.json"
    keys = ActionKeys.load_or_create(path)
    assert path.stat().st_mode & 0o777 == 0o600
    again = ActionKeys.load_or_create(path)
    assert again.key_ids == keys.key_ids
    assert check(again, signed(keys)) == SECRETARY
    path.write_text('{"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}]}')
    with pytest.raises(ActionKeyError, match=r"not a JWKS|private part"):
        ActionKeys.load(path)
