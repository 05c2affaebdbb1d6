"""Personal data at rest: field encryption with key ids (rotation) and a keyed blind index, in one of two
suites (``CRYPTO_SUITE``):

- ``default``: AES-256-GCM, blind index HMAC-SHA256;
- ``gm`` (the national profile, GB/T 39786-2021): SM4-GCM (GB/T 32907), blind index HMAC-SM3 (GB/T 32905).

Ciphertext format: ``<algorithm>:<kid>.<base64url(nonce|ciphertext|tag)>``, the algorithm ``aes256gcm`` or
``sm4gcm``; rows written before suites existed read ``<kid>.<...>`` and are AES-256-GCM. Every configured
key decrypts (whatever the current suite); the first key of the current suite encrypts. Keys are
configured as ``kid:base64`` (AES-256, 32 bytes) or ``kid:<algorithm>:base64`` (``sm4gcm``: 16 bytes), comma
separated, so keys rotate — within a suite or across suites — by putting a new one first and running
``python -m services <service> reencrypt`` (shared/reencrypt.py) at leisure.

The blind index (a keyed MAC over a normalised value) lets the services find duplicates and repeats without
decrypting. Its algorithm follows the suite unless ``BLIND_INDEX_SUITE`` pins it: changing it (or its key)
changes every index value, so stored indexes must be recomputed before the new one is used — keep
``BLIND_INDEX_SUITE=default`` on a deployment that moves its field encryption to ``gm`` until then.
``mac`` is the same keyed MAC for other uses (the audit chain).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

Suite = Literal["default", "gm"]
Algorithm = Literal["aes256gcm", "sm4gcm"]
SUITE_ALGORITHM: dict[str, Algorithm] = {"default": "aes256gcm", "gm": "sm4gcm"}
KEY_BYTES: dict[str, int] = {"aes256gcm": 32, "sm4gcm": 16}
NONCE_BYTES, TAG_BYTES = 12, 16
SEALED_FORM = re.compile(r"^(?:aes256gcm|sm4gcm):[^.:,\s]+\.[A-Za-z0-9_-]+$")
"""What ``FieldCipher.encrypt`` writes (the algorithm named): ``<algorithm>:<kid>.<base64url>``."""


class DecryptionError(ValueError):
    """A ciphertext that no configured key opens (unknown key id, wrong context, tampered)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mac(key: bytes, data: bytes, suite: Suite = "default") -> str:
    """Keyed MAC (hex): HMAC-SHA256, or HMAC-SM3 in the ``gm`` suite (blind index, audit chain)."""
    if suite == "gm":
        h = crypto_hmac.HMAC(key, hashes.SM3())
        h.update(data)
        return h.finalize().hex()
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def mac_equal(key: bytes, data: bytes, expected: str, suite: Suite = "default") -> bool:
    return hmac.compare_digest(mac(key, data, suite), expected)


def _seal_sm4(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    return encryptor.update(plaintext) + encryptor.finalize() + encryptor.tag


def _open_sm4(key: bytes, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, sealed[-TAG_BYTES:])).decryptor()
    decryptor.authenticate_additional_data(aad)
    return decryptor.update(sealed[:-TAG_BYTES]) + decryptor.finalize()


@dataclass(frozen=True)
class FieldKey:
    kid: str
    algorithm: Algorithm
    material: bytes

    def seal(self, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
        if self.algorithm == "sm4gcm":
            return _seal_sm4(self.material, nonce, plaintext, aad)
        return AESGCM(self.material).encrypt(nonce, plaintext, aad)

    def open(self, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
        if self.algorithm == "sm4gcm":
            return _open_sm4(self.material, nonce, sealed, aad)
        return AESGCM(self.material).decrypt(nonce, sealed, aad)


def parse_keys(keys: str) -> list[FieldKey]:
    """``kid:base64`` (AES-256-GCM) or ``kid:<algorithm>:base64`` entries, comma separated."""
    parsed: list[FieldKey] = []
    for item in (k.strip() for k in keys.split(",") if k.strip()):
        kid, _, rest = item.partition(":")
        algorithm, _, material = rest.partition(":") if rest.split(":", 1)[0] in KEY_BYTES else ("", "", rest)
        algorithm = algorithm or "aes256gcm"
        if not kid or "." in kid or any(k.kid == kid for k in parsed):
            raise ValueError(f"encryption key id {kid!r} is empty, holds a dot or is configured twice")
        raw = base64.b64decode(material)
        if len(raw) != KEY_BYTES[algorithm]:
            raise ValueError(
                f"encryption key {kid!r} ({algorithm}) must be {KEY_BYTES[algorithm]} bytes (base64)"
            )
        parsed.append(FieldKey(kid, algorithm, raw))  # type: ignore[arg-type]
    return parsed


class FieldCipher:
    def __init__(
        self,
        keys: str,
        blind_index_key: str,
        *,
        suite: Suite = "default",
        blind_index_suite: Suite | None = None,
    ) -> None:
        self._keys = {k.kid: k for k in parse_keys(keys)}
        if not self._keys:
            raise ValueError("at least one encryption key is required")
        self.suite = suite
        self.algorithm = SUITE_ALGORITHM[suite]
        current = [k for k in self._keys.values() if k.algorithm == self.algorithm]
        if not current:
            raise ValueError(f"CRYPTO_SUITE={suite} needs an encryption key of {self.algorithm}")
        self.primary = current[0]
        self.blind_index_suite: Suite = blind_index_suite or suite
        self._bidx = base64.b64decode(blind_index_key)

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """Encrypt; ``context`` (e.g. 'intake.member.id_number') is bound as associated data."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self.primary.seal(nonce, plaintext.encode(), context.encode())
        return f"{self.primary.algorithm}:{self.primary.kid}.{_b64(nonce + sealed)}"

    def encrypt_bytes(self, plaintext: bytes, *, context: str) -> bytes:
        """Encrypt a blob (a document's content) as ``<algorithm>:<kid>.`` + nonce + ciphertext and tag."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self.primary.seal(nonce, plaintext, context.encode())
        return f"{self.primary.algorithm}:{self.primary.kid}.".encode() + nonce + sealed

    def decrypt_bytes(self, blob: bytes, *, context: str) -> bytes:
        """The blob ``encrypt_bytes`` sealed with ``context``; DecryptionError when altered."""
        head, dot, raw = blob.partition(b".")
        algorithm, _, kid = head.decode("ascii", "replace").rpartition(":")
        key = self._keys.get(kid)
        if not dot or key is None or key.algorithm != algorithm:
            raise DecryptionError(f"no configured key {kid!r} of {algorithm}")
        try:
            return key.open(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode())
        except InvalidTag as exc:
            raise DecryptionError(f"blob under {kid!r} does not open (context or data altered)") from exc

    @staticmethod
    def header(token: str) -> tuple[str, str]:
        """(algorithm, key id) a ciphertext was sealed with."""
        head, _, _ = token.partition(".")
        algorithm, _, kid = head.rpartition(":")
        return algorithm or "aes256gcm", kid

    def decrypt(self, token: str, *, context: str) -> str:
        algorithm, kid = self.header(token)
        key = self._keys.get(kid)
        if key is None or key.algorithm != algorithm:
            raise DecryptionError(f"no configured key {kid!r} of {algorithm}")
        raw = _unb64(token.partition(".")[2])
        try:
            return key.open(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode()).decode()
        except InvalidTag as exc:
            raise DecryptionError(
                f"ciphertext under {kid!r} does not open (context or data altered)"
            ) from exc

    @staticmethod
    def is_sealed(value: str) -> bool:
        """Whether ``value`` has the form ``encrypt`` writes, for a column that may still hold plaintext
        written before it was sealed (the dead letters' payloads): such rows are sealed by ``reencrypt``."""
        return SEALED_FORM.fullmatch(value) is not None

    def is_current(self, token: str) -> bool:
        """Sealed with the key that encrypts now (nothing for ``reencrypt`` to do)."""
        return self.header(token) == (self.primary.algorithm, self.primary.kid) and token.startswith(
            self.primary.algorithm + ":"
        )

    def is_current_bytes(self, blob: bytes) -> bool:
        """A blob of ``encrypt_bytes`` sealed with the key that encrypts now (nothing to re-encrypt)."""
        return blob.startswith(f"{self.primary.algorithm}:{self.primary.kid}.".encode())

    def reencrypt_bytes(self, blob: bytes, *, context: str) -> bytes:
        """The same content under the current key and suite (a fresh nonce); DecryptionError if no
        configured key opens it."""
        return self.encrypt_bytes(self.decrypt_bytes(blob, context=context), context=context)

    def reencrypt(self, token: str, *, context: str) -> str:
        """The same plaintext under the current key and suite (a fresh nonce)."""
        return self.encrypt(self.decrypt(token, context=context), context=context)

    def blind_index(self, value: str, *, purpose: str) -> str:
        normalised = "".join(value.split()).upper()
        return mac(self._bidx, f"{purpose}:{normalised}".encode(), self.blind_index_suite)
