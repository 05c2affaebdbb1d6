"""Where archive documents' content lives (R-ARC-1): always as ciphertext (the caller encrypts), addressed by
a key. ``FilesystemStore`` for standalone mode, ``S3Store`` for an S3-compatible object store in production
(plain HTTPS, AWS Signature Version 4, path-style addressing)."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import os
import re
import ssl
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

import anyio
import httpx

KEY = re.compile(r"^[0-9a-f-]{36}/[0-9a-f-]{36}$")
"""``<application id>/<document id>``: nothing a caller could turn into another path."""


class ContentStore(Protocol):
    def uri(self, key: str) -> str:
        """The ``storage_uri`` recorded for ``key``."""
        ...

    def key_of(self, uri: str) -> str | None:
        """The key of a URI of this store; None for a URI it does not hold."""
        ...

    async def put(self, key: str, blob: bytes) -> None: ...

    async def get(self, key: str) -> bytes: ...

    async def delete(self, key: str) -> None: ...


class StoreError(Exception):
    """The store refused or failed an operation."""


def _checked(key: str) -> str:
    if not KEY.fullmatch(key):
        raise ValueError(f"not a document key: {key!r}")
    return key


class FilesystemStore:
    """Blobs as files under ``root`` (written to a temporary name, then renamed: never half a file)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    def uri(self, key: str) -> str:
        return (self.root / _checked(key)).as_uri()

    def key_of(self, uri: str) -> str | None:
        prefix = self.root.as_uri() + "/"
        key = uri[len(prefix) :] if uri.startswith(prefix) else None
        return key if key is not None and KEY.fullmatch(key) else None

    async def put(self, key: str, blob: bytes) -> None:
        await anyio.to_thread.run_sync(self._write, self.root / _checked(key), blob)

    @staticmethod
    def _write(path: Path, blob: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(blob)
        os.replace(tmp, path)

    async def get(self, key: str) -> bytes:
        path = self.root / _checked(key)
        try:
            return await anyio.to_thread.run_sync(path.read_bytes)
        except FileNotFoundError as exc:
            raise StoreError(f"no content at {key}") from exc

    async def delete(self, key: str) -> None:
        (self.root / _checked(key)).unlink(missing_ok=True)


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def sigv4_headers(
    *,
    method: str,
    host: str,
    path: str,
    payload: bytes,
    region: str,
    access_key: str,
    secret_key: str,
    now: dt.datetime,
    service: str = "s3",
) -> dict[str, str]:
    """The headers of an AWS Signature Version 4 request without a query string (``path`` already
    URI-encoded)."""
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    payload_hash = hashlib.sha256(payload).hexdigest()
    headers = {"host": host, "x-amz-content-sha256": payload_hash, "x-amz-date": amz_date}
    signed = ";".join(sorted(headers))
    canonical = "\n".join(
        [method, path, "", *(f"{k}:{headers[k]}" for k in sorted(headers)), "", signed, payload_hash]
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret_key}".encode(), day), region), service), "aws4_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return {
        **headers,
        "authorization": f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={signed}, "
        f"Signature={signature}",
    }


@functools.cache
def _tls(verify: bool | str) -> ssl.SSLContext:
    """The TLS context, built once per process: a client given ``verify=True`` loads the CA bundle again
    (about 25 CPU-ms), and a store call builds a client for each document it stores or reads."""
    if isinstance(verify, str):
        return ssl.create_default_context(cafile=verify)
    return httpx.create_ssl_context(verify=verify)


class S3Store:
    """An S3-compatible bucket (MinIO, OSS, COS, OBS, AWS) over HTTPS with SigV4, path-style."""

    def __init__(
        self,
        endpoint: str,
        bucket: str,
        *,
        region: str,
        access_key: str,
        secret_key: str,
        timeout: float = 30.0,
        verify: bool | str = True,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.bucket = bucket
        self.region = region
        self._access_key, self._secret_key = access_key, secret_key
        self._timeout, self._verify = timeout, verify

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{_checked(key)}"

    def key_of(self, uri: str) -> str | None:
        prefix = f"s3://{self.bucket}/"
        key = uri[len(prefix) :] if uri.startswith(prefix) else None
        return key if key is not None and KEY.fullmatch(key) else None

    async def _call(self, method: str, key: str, payload: bytes = b"") -> httpx.Response:
        path = "/" + quote(f"{self.bucket}/{_checked(key)}")
        url = httpx.URL(self.endpoint + path)
        host = url.host if url.port is None else f"{url.host}:{url.port}"
        headers = sigv4_headers(
            method=method,
            host=host,
            path=path,
            payload=payload,
            region=self.region,
            access_key=self._access_key,
            secret_key=self._secret_key,
            now=dt.datetime.now(dt.UTC),
        )
        try:
            async with httpx.AsyncClient(timeout=self._timeout, verify=_tls(self._verify)) as client:
                return await client.request(method, url, content=payload, headers=headers)
        except httpx.HTTPError as exc:
            raise StoreError(f"object store {method} failed: {type(exc).__name__}") from exc

    async def put(self, key: str, blob: bytes) -> None:
        response = await self._call("PUT", key, blob)
        if response.status_code != 200:
            raise StoreError(f"object store PUT answered {response.status_code}")

    async def get(self, key: str) -> bytes:
        response = await self._call("GET", key)
        if response.status_code != 200:
            raise StoreError(f"object store GET answered {response.status_code}")
        return response.content

    async def delete(self, key: str) -> None:
        response = await self._call("DELETE", key)
        if response.status_code not in (200, 204, 404):
            raise StoreError(f"object store DELETE answered {response.status_code}")
