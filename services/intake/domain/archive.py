"""Where an archive item's content may live (R-ARC-1): its ``storage_uri`` names the document store, so only
an allowlist of schemes is accepted — never ``javascript:`` (run by a browser that opens the link), never
``file:`` outside a configured archive root (``file:///etc/passwd`` would point a reader at the server's
own files), never credentials in the URI."""

from __future__ import annotations

import posixpath
from collections.abc import Collection
from urllib.parse import unquote, urlsplit


def storage_uri_problem(uri: str, *, schemes: Collection[str], file_root: str | None) -> str | None:
    """Why ``uri`` is refused as a document location, or None."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "not a URI"
    scheme = parts.scheme.lower()
    if scheme == "file":
        return _file_problem(parts.netloc, parts.path, file_root)
    if scheme not in schemes:
        return f"scheme {scheme or '(none)'} is not allowed; one of {', '.join(sorted(schemes))}"
    if not parts.hostname:
        return "must name the store (bucket or host)"
    if parts.username is not None or parts.password is not None:
        return "must not carry credentials"
    return None


def _file_problem(netloc: str, path: str, file_root: str | None) -> str | None:
    if not file_root:
        return "file URIs are not allowed (no archive root is configured)"
    if netloc not in ("", "localhost"):
        return "a file URI must be local (file:///...)"
    decoded = unquote(path)
    if "\x00" in decoded:
        return "must not contain NUL"
    normalised, root = posixpath.normpath(decoded), posixpath.normpath(file_root)
    if decoded != normalised and decoded.rstrip("/") != normalised:
        return "must be a normalised path (no '.', '..' or '//')"
    if not normalised.startswith(root.rstrip("/") + "/"):
        return f"a file URI must lie under the archive root {root}"
    return None
