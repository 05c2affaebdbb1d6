"""Personal data at rest: AES-256-GCM field encryption with key ids (rotation) and a keyed blind index.

Ciphertext format: ``<kid>.<base64url(nonce|ciphertext|tag)>``. The first configured key encrypts; every
configured key decrypts, so keys rotate by prepending a new one and re-encrypting at leisure.
The blind index (HMAC-SHA256 over a normalised value) lets the services find duplicates and repeats
without decrypting.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class FieldCipher:
    def __init__(self, keys: str, blind_index_key: str) -> None:
        self._keys: dict[str, AESGCM] = {}
        self._primary = ""
        for item in (k.strip() for k in keys.split(",") if k.strip()):
            kid, _, material = item.partition(":")
            raw = base64.b64decode(material)
            if len(raw) != 32:
                raise ValueError(f"encryption key {kid!r} must be 32 bytes (base64)")
            self._keys[kid] = AESGCM(raw)
            self._primary = self._primary or kid
        if not self._keys:
            raise ValueError("at least one encryption key is required")
        self._bidx = base64.b64decode(blind_index_key)

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """Encrypt; ``context`` (e.g. 'intake.member.id_number') is bound as associated data."""
        nonce = os.urandom(12)
        sealed = self._keys[self._primary].encrypt(nonce, plaintext.encode(), context.encode())
        return f"{self._primary}.{_b64(nonce + sealed)}"

    def decrypt(self, token: str, *, context: str) -> str:
        kid, _, body = token.partition(".")
        raw = _unb64(body)
        return self._keys[kid].decrypt(raw[:12], raw[12:], context.encode()).decode()

    def blind_index(self, value: str, *, purpose: str) -> str:
        normalised = "".join(value.split()).upper()
        return hmac.new(self._bidx, f"{purpose}:{normalised}".encode(), hashlib.sha256).hexdigest()
