"""The payload codec on its own: what leaves a process is ciphertext naming its key, what
comes back decodes with any key of the set, and a wrong or missing key says so."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.exceptions import ApplicationError

from infra.payload_codec import (
    ENCODING,
    KEY_ID,
    EncryptionCodec,
    PayloadKeyError,
    PayloadKeys,
    is_encrypted,
    new_key,
)
from infra.settings import ConfigurationError, Settings
from infra.temporal import DATA_CONVERTER, data_converter, encrypted_converter
from tests.factories import PRODUCER_EMAIL, honey_dossier

DOSSIER = honey_dossier()


async def encoded(keys: PayloadKeys) -> Payload:
    [payload] = await encrypted_converter(keys).encode([DOSSIER])
    return payload


async def test_a_dossier_leaves_as_ciphertext_naming_only_its_key() -> None:
    keys = PayloadKeys((new_key(),))
    payload = await encoded(keys)
    assert payload.metadata["encoding"] == ENCODING
    assert payload.metadata[KEY_ID] == keys.newest[0].encode()
    assert set(payload.metadata) == {"encoding", KEY_ID}  # not even "json/plain" is left
    assert PRODUCER_EMAIL.encode() not in payload.SerializeToString()
    assert DOSSIER.applicant.name.encode() not in payload.SerializeToString()
    [back] = await encrypted_converter(keys).decode([payload], [type(DOSSIER)])
    assert back == DOSSIER


async def test_after_a_rotation_new_payloads_use_the_new_key_and_old_ones_still_decode() -> None:
    before = PayloadKeys((new_key(),))
    after = before.rotated()
    old, new = await encoded(before), await encoded(after)
    assert new.metadata[KEY_ID] == after.newest[0].encode() != old.metadata[KEY_ID]
    assert await encrypted_converter(after).decode([old, new], [type(DOSSIER)] * 2) == [
        DOSSIER,
        DOSSIER,
    ]
    # Retired: what the key encrypted no longer decodes, and the error names the key.
    retired = after.retired(before.newest[0])
    with pytest.raises(PayloadKeyError, match=before.newest[0]):
        await EncryptionCodec(retired).decode([old])
    with pytest.raises(PayloadKeyError, match="newest key: rotate before retiring"):
        after.retired(after.newest[0])


async def test_a_staged_key_decrypts_before_it_encrypts() -> None:
    before = PayloadKeys((new_key(),))
    staged = before.staged()
    assert staged.newest == before.newest  # still encrypting with the old key
    promoted = staged.promoted(staged.keys[0][0])
    new_payload = await encoded(promoted)
    # A process still on the staged set reads what a promoted one writes, and back.
    assert await encrypted_converter(staged).decode([new_payload], [type(DOSSIER)]) == [DOSSIER]
    assert await encrypted_converter(promoted).decode([await encoded(staged)], [type(DOSSIER)])
    with pytest.raises(PayloadKeyError, match="no payload key 'pk-nope'"):
        staged.promoted("pk-nope")


async def test_an_altered_payload_or_a_swapped_key_id_does_not_decode() -> None:
    keys = PayloadKeys((new_key(), new_key()))
    payload = await encoded(keys)
    altered = Payload()
    altered.CopyFrom(payload)
    altered.data = payload.data[:-1] + bytes([payload.data[-1] ^ 1])
    with pytest.raises(PayloadKeyError, match="does not decrypt"):
        await EncryptionCodec(keys).decode([altered])
    # The key id is bound to the ciphertext: naming the other key of the set fails too.
    swapped = Payload()
    swapped.CopyFrom(payload)
    swapped.metadata[KEY_ID] = keys.keys[0][0].encode()
    with pytest.raises(PayloadKeyError, match="does not decrypt"):
        await EncryptionCodec(keys).decode([swapped])


async def test_a_payload_from_before_the_codec_decodes_as_it_was() -> None:
    [plain] = await DATA_CONVERTER.encode([DOSSIER])
    assert not is_encrypted(plain)
    keys = PayloadKeys((new_key(),))
    assert await encrypted_converter(keys).decode([plain], [type(DOSSIER)]) == [DOSSIER]


async def test_a_failure_message_and_its_stack_trace_are_encrypted_too() -> None:
    converter = encrypted_converter(PayloadKeys((new_key(),)))
    failure = Failure()
    refusal = ApplicationError(f"sản phẩm của {PRODUCER_EMAIL} đã đăng ký", type="Refused")
    await converter.encode_failure(refusal, failure)
    assert PRODUCER_EMAIL not in failure.SerializeToString().decode("utf-8", "replace")
    assert failure.message == "Encoded failure"
    back = await converter.decode_failure(failure)
    assert isinstance(back, ApplicationError) and PRODUCER_EMAIL in back.message
    assert back.type == "Refused"


def test_the_key_file_is_made_once_for_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "payload-keys.json"
    first = PayloadKeys.load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert PayloadKeys.load_or_create(path) == first  # kept, not replaced
    assert len(first.newest[1]) == 32


def test_keys_from_settings_file_or_variable_and_a_bad_one_named(tmp_path: Path) -> None:
    keys = PayloadKeys((new_key(),))
    from_variable = Settings(data_dir=tmp_path, payload_keys=keys.to_json())
    assert data_converter(from_variable).payload_codec is not None
    assert not (tmp_path / "payload-keys.json").exists()  # the variable, not a new file
    off = Settings(data_dir=tmp_path, payload_encryption=False)
    assert data_converter(off) is DATA_CONVERTER
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"keys": [{"id": "k1", "key": "c2hvcnQ="}]}), encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"'k1' is not 32 bytes.*OCOP_PAYLOAD_KEYS_FILE"):
        data_converter(Settings(data_dir=tmp_path, payload_keys_file=broken))
    broken.write_text("not json", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="is not a payload key set"):
        data_converter(Settings(data_dir=tmp_path, payload_keys_file=broken))


def test_ocop_admin_payload_keys_creates_rotates_and_retires(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from starter import app

    path = tmp_path / "payload-keys.json"
    env = {"OCOP_PAYLOAD_KEYS_FILE": str(path), "COLUMNS": "300"}

    def ocop(*args: str) -> str:
        result = CliRunner().invoke(app, ["admin", "payload-keys", *args], env=env)
        assert result.exit_code == 0, result.output
        return result.output

    assert "created" in ocop("init") and "kept" in ocop("init")
    first = PayloadKeys.load(path).newest[0]
    assert f"encrypting with {first}" in ocop("list")
    ocop("rotate")
    second = PayloadKeys.load(path).newest[0]
    assert second != first and PayloadKeys.load(path).ids == [first, second]
    # Staged: the new key decrypts at once but encrypts only once promoted.
    staged = ocop("stage")
    third = PayloadKeys.load(path).keys[0][0]
    assert f"staged {third}" in staged and f"encrypting with {second}" in staged
    assert f"encrypting with {third}" in ocop("promote", third)
    assert PayloadKeys.load(path).ids == [first, second, third]
    assert f"decrypting with {second}, {third}" in ocop("retire", first)
    refused = CliRunner().invoke(app, ["admin", "payload-keys", "retire", third], env=env)
    assert refused.exit_code == 2 and "rotate before retiring" in refused.output
