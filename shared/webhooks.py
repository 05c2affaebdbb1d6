"""Standard Webhooks signing (https://www.standardwebhooks.com/): ``webhook-signature: v1,<base64 HMAC-SHA256
of "{id}.{timestamp}.{body}">`` keyed by the decoded ``whsec_`` secret; retries back off exponentially."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import json
import re
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

SECRET_PREFIX = "whsec_"  # noqa: S105 - the marker secrets start with, not a secret


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(_key(secret), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def verify(secret: str, msg_id: str, timestamp: int, body: bytes, header: str) -> bool:
    """True when any ``v1,`` signature in the (space-separated) header matches."""
    expected = sign(secret, msg_id, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in header.split())


def headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
        "content-type": "application/json",
    }


def backoff(attempt: int, base: float, cap: float) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based): base, 2·base, 4·base… ≤ cap."""
    factor: float = 2 ** (attempt - 1)
    return min(cap, base * factor)


Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_IPV4_LEGACY = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}$")
"""Dotted, decimal, octal or hex IPv4 forms (``127.1``, ``2130706433``, ``0x7f.1``) that resolvers accept."""
LOCAL_SUFFIXES = (".localhost", ".internal", ".local", ".home.arpa")
"""Name suffixes that never name a public receiver (RFC 6761 localhost, RFC 6762 mDNS, RFC 8375, and the
``.internal`` zone of cloud metadata services)."""


def literal_address(host: str) -> Address | None:
    """The address ``host`` spells, in any notation a resolver accepts, or None for a name."""
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if _IPV4_LEGACY.match(host.lower()):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def is_public(address: Address) -> bool:
    """A globally routable unicast address: not loopback, RFC 1918, link-local (169.254.0.0/16, fe80::/10),
    unique-local (fc00::/7), CGNAT (100.64.0.0/10), multicast, reserved or documentation; an IPv4-mapped IPv6
    address is judged by its IPv4 address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def is_loopback_host(host: str) -> bool:
    """``localhost`` (and ``*.localhost``) or a loopback address in any notation."""
    name = host.rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    address = literal_address(name)
    return address is not None and address.is_loopback


def host_of(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an absolute http(s) URL, or None."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host or parts.scheme not in ("http", "https"):
        return None
    return parts.scheme, host.rstrip(".").lower(), port or (443 if parts.scheme == "https" else 80)


def url_problem(url: str, *, allow_loopback_http: bool, refused_hosts: frozenset[str]) -> str | None:
    """Why a receiver URL is refused at registration, or None (SSRF: the service must not be made to call
    into its own network). Only https to a public host; with ``allow_loopback_http`` (development and test
    only, an explicit setting) also http(s) to a loopback host."""
    parsed = host_of(url)
    if parsed is None:
        return "must be an absolute https:// URL"
    if "@" in urlsplit(url).netloc:
        return "must not carry credentials"
    scheme, host, _ = parsed
    if is_loopback_host(host):
        return None if allow_loopback_http else "must not point to a loopback address"
    if scheme != "https":
        return "must be an https:// URL"
    if host in refused_hosts or host.endswith(LOCAL_SUFFIXES):
        return "must not point to a metadata or internal host name"
    address = literal_address(host)
    if address is not None and not is_public(address):
        return (
            "must be a public address (not private, link-local, unique-local, shared, multicast or reserved)"
        )
    return None


def delivery_problem(host: str, resolved: list[Address], *, allow_loopback_http: bool) -> str | None:
    """Why a delivery to ``host``, resolved just now to ``resolved``, is refused (DNS rebinding: a name that
    was public at registration may point inside later), or None. A loopback receiver is allowed only when the
    URL itself names a loopback host and the setting allows it."""
    if not resolved:
        return "refused: the receiver's name did not resolve"
    if allow_loopback_http and is_loopback_host(host):
        return None if all(a.is_loopback for a in resolved) else "refused: resolves to a non-public address"
    if not all(is_public(a) for a in resolved):
        return "refused: resolves to a non-public address"
    return None


class Refused(Exception):
    """The receiver's address is not allowed now (SSRF / DNS rebinding): a failed attempt, nothing sent."""


@dataclass(frozen=True)
class PinnedRequest:
    """Where to connect — the receiver's host replaced by the address resolved and checked just now — and
    the ``Host`` header and TLS server name of the registered host (``httpx`` request extensions)."""

    url: httpx.URL
    headers: dict[str, str]
    extensions: dict[str, Any] = field(default_factory=dict)


async def resolve(host: str, port: int) -> list[Address]:
    """The addresses ``host`` resolves to now (a literal address: itself)."""
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


async def pinned_request(
    url: str, *, allow_loopback_http: bool, refused_hosts: frozenset[str]
) -> PinnedRequest:
    """Checks the receiver again at every attempt (SSRF, DNS rebinding): the URL as at registration
    (``url_problem``), then the addresses its name resolves to just now (``delivery_problem``); the
    connection then goes to the address that was checked (no second lookup to rebind). Raises ``Refused``."""
    problem = url_problem(url, allow_loopback_http=allow_loopback_http, refused_hosts=refused_hosts)
    parsed = host_of(url)
    if problem or parsed is None:
        raise Refused(f"refused: the URL {problem or 'is not valid'}")
    scheme, host, port = parsed
    try:
        resolved = await resolve(host, port)
    except OSError as exc:
        raise Refused("refused: the receiver's name did not resolve") from exc
    problem = delivery_problem(host, resolved, allow_loopback_http=allow_loopback_http)
    if problem:
        raise Refused(problem)
    original = httpx.URL(url)
    target = original.copy_with(host=str(min(resolved, key=lambda a: a.version)))  # IPv4 first
    extensions: dict[str, Any] = {"sni_hostname": host} if scheme == "https" else {}
    return PinnedRequest(target, {"host": original.netloc.decode("ascii")}, extensions)


async def post_signed(
    client: httpx.AsyncClient, target: PinnedRequest, secret: str, msg_id: str, body: bytes
) -> httpx.Response:
    """One signed Standard Webhooks POST to the pinned address."""
    return await client.post(
        target.url,
        content=body,
        headers={**headers(secret, msg_id, int(time.time()), body), **target.headers},
        extensions=target.extensions,
    )


def body_of(envelope: dict[str, object]) -> bytes:
    """The JSON body of a delivery: compact, UTF-8, the same bytes on every attempt."""
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()


async def deliver(
    client: httpx.AsyncClient,
    url: str,
    *,
    secret: Callable[[], str],
    msg_id: str,
    body: bytes,
    allow_loopback_http: bool,
    refused_hosts: frozenset[str],
) -> tuple[int | None, str | None]:
    """(HTTP status, error) of one attempt to the pinned receiver; never raises. The error is the status
    code or a generic reason, never the receiver's answer (it could echo internal data into our records).
    ``secret`` is called only once the receiver is allowed (it decrypts the stored secret)."""
    try:
        target = await pinned_request(
            url, allow_loopback_http=allow_loopback_http, refused_hosts=refused_hosts
        )
        response = await post_signed(client, target, secret(), msg_id, body)
    except Refused as exc:
        return None, str(exc)
    except httpx.TimeoutException:
        return None, "timed out"
    except Exception as exc:  # any failure is a failed attempt
        return None, f"request failed ({type(exc).__name__})"
    return response.status_code, None if response.is_success else f"HTTP {response.status_code}"
