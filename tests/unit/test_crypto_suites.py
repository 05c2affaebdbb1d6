"""The national cryptography profile (GB/T 39786-2021) next to the default suite (issue 13 §7): SM4-GCM
and HMAC-SM3 from the `cryptography` package, checked against the standards' test vectors; ciphertext
carrying its suite and key id; rotation across suites keeping old rows readable."""

from __future__ import annotations

import base64
import os

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from shared.crypto import DecryptionError, FieldCipher, mac, mac_equal, parse_keys
from shared.settings import DEV_BLIND_INDEX_KEY, DEV_ENCRYPTION_KEYS, ServiceSettings

AES_KEY = "a1:" + base64.b64encode(os.urandom(32)).decode()
SM4_KEY = "g1:sm4gcm:" + base64.b64encode(os.urandom(16)).decode()


def test_sm4_in_this_build_matches_the_gb_t_32907_test_vector():
    key = plaintext = bytes.fromhex("0123456789abcdeffedcba9876543210")
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()  # noqa: S305 - one block, the vector
    assert (encryptor.update(plaintext) + encryptor.finalize()).hex() == "681edf34d206965e86b3e94f536e4246"


def test_sm3_in_this_build_matches_the_gb_t_32905_test_vector():
    digest = hashes.Hash(hashes.SM3())
    digest.update(b"abc")
    assert digest.finalize().hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_hmac_sm3_follows_rfc_2104_over_sm3():
    key, data = b"k" * 20, b"audit entry 42"
    block = 64
    inner = hashes.Hash(hashes.SM3())
    inner.update(bytes(b ^ 0x36 for b in key.ljust(block, b"\0")) + data)
    outer = hashes.Hash(hashes.SM3())
    outer.update(bytes(b ^ 0x5C for b in key.ljust(block, b"\0")) + inner.finalize())
    assert mac(key, data, "gm") == outer.finalize().hex()
    assert mac(key, data, "default") != mac(key, data, "gm")
    assert mac_equal(key, data, mac(key, data, "gm"), "gm")


def test_the_gm_suite_seals_with_sm4_gcm_and_names_suite_and_key():
    cipher = FieldCipher(f"{SM4_KEY},{AES_KEY}", DEV_BLIND_INDEX_KEY, suite="gm")
    token = cipher.encrypt("140302198001011234", context="intake.application.personal")
    assert token.startswith("sm4gcm:g1.") and "140302198001011234" not in token
    assert cipher.decrypt(token, context="intake.application.personal") == "140302198001011234"
    with pytest.raises(DecryptionError):
        cipher.decrypt(token, context="disbursement.payee")  # the context is bound as associated data
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    with pytest.raises(DecryptionError):
        cipher.decrypt(tampered, context="intake.application.personal")


def test_the_default_suite_seals_with_aes_256_gcm():
    cipher = FieldCipher(f"{SM4_KEY},{AES_KEY}", DEV_BLIND_INDEX_KEY)
    assert cipher.encrypt("x", context="c").startswith("aes256gcm:a1.")


def test_rows_of_either_suite_and_of_before_suites_stay_readable_after_switching():
    default = FieldCipher(f"{AES_KEY},{SM4_KEY}", DEV_BLIND_INDEX_KEY)
    old = default.encrypt("old row", context="c")
    legacy = old.removeprefix("aes256gcm:")  # how rows were written before suites: "<kid>.<...>"
    gm = FieldCipher(f"{SM4_KEY},{AES_KEY}", DEV_BLIND_INDEX_KEY, suite="gm")
    assert gm.decrypt(old, context="c") == gm.decrypt(legacy, context="c") == "old row"
    assert not gm.is_current(old) and not gm.is_current(legacy)
    moved = gm.reencrypt(old, context="c")
    assert moved.startswith("sm4gcm:g1.") and gm.is_current(moved)
    assert default.decrypt(moved, context="c") == "old row"  # and back again: rotation across suites
    assert default.is_current(default.reencrypt(moved, context="c"))


def test_a_ciphertext_claiming_another_suite_for_its_key_is_refused():
    cipher = FieldCipher(f"{AES_KEY},{SM4_KEY}", DEV_BLIND_INDEX_KEY)
    token = cipher.encrypt("x", context="c")
    with pytest.raises(DecryptionError):
        cipher.decrypt("sm4gcm:" + token.removeprefix("aes256gcm:"), context="c")
    with pytest.raises(DecryptionError):
        cipher.decrypt("aes256gcm:unknown." + token.partition(".")[2], context="c")


def test_the_gm_suite_needs_an_sm4_key():
    with pytest.raises(ValueError, match="sm4gcm"):
        FieldCipher(AES_KEY, DEV_BLIND_INDEX_KEY, suite="gm")


@pytest.mark.parametrize(
    "keys",
    [
        "a1:" + base64.b64encode(os.urandom(16)).decode(),  # AES-256 needs 32 bytes
        "g1:sm4gcm:" + base64.b64encode(os.urandom(32)).decode(),  # SM4 needs 16
        f"{AES_KEY},{AES_KEY}",  # the same key id twice
        "a.1:" + base64.b64encode(os.urandom(32)).decode(),
    ],
)
def test_malformed_key_configuration_is_refused(keys):
    with pytest.raises(ValueError):
        parse_keys(keys)


def test_the_blind_index_follows_the_suite_unless_pinned():
    default = FieldCipher(f"{AES_KEY},{SM4_KEY}", DEV_BLIND_INDEX_KEY)
    gm = FieldCipher(f"{SM4_KEY},{AES_KEY}", DEV_BLIND_INDEX_KEY, suite="gm")
    pinned = FieldCipher(f"{SM4_KEY},{AES_KEY}", DEV_BLIND_INDEX_KEY, suite="gm", blind_index_suite="default")
    value = "11010519491231002X"
    assert default.blind_index(value, purpose="id") != gm.blind_index(value, purpose="id")
    assert pinned.blind_index(value, purpose="id") == default.blind_index(value, purpose="id")
    key = base64.b64decode(DEV_BLIND_INDEX_KEY)
    assert gm.blind_index(" 11010519491231002x", purpose="id") == mac(key, f"id:{value}".encode(), "gm")


def test_the_suite_is_a_setting_and_development_has_a_key_for_each(monkeypatch):
    assert ServiceSettings().crypto_suite == "default"
    monkeypatch.setenv("ASSISTANCE_CRYPTO_SUITE", "gm")
    settings = ServiceSettings()
    assert settings.crypto_suite == "gm"
    cipher = FieldCipher(settings.encryption_keys, settings.blind_index_key, suite=settings.crypto_suite)
    assert cipher.encrypt("x", context="c").startswith("sm4gcm:devgm1.")
    assert (
        FieldCipher(DEV_ENCRYPTION_KEYS, DEV_BLIND_INDEX_KEY)
        .encrypt("x", context="c")
        .startswith("aes256gcm:dev1.")
    )
    monkeypatch.setenv("ASSISTANCE_CRYPTO_SUITE", "des")
    with pytest.raises(ValueError):
        ServiceSettings()
