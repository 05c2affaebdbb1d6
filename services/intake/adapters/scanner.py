"""The upload scanning hook (R-ARC-1): a pluggable scanner sees every document's content before it is
stored. The default checks that the content's magic bytes match the declared media type; an antivirus or
content-disarm scanner plugs in through ``INTAKE_DOCUMENT_SCANNER`` (``module:Class``)."""

from __future__ import annotations

import importlib
from typing import Protocol

MAGIC: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/tiff": (b"II*\x00", b"MM\x00*"),
}


class Scanner(Protocol):
    async def scan(self, media_type: str, content: bytes) -> str | None:
        """Why the content is refused, or None."""
        ...


class MagicBytesScanner:
    """The content starts as its declared media type's files do; a type without a known signature is
    refused (nothing passes unchecked)."""

    async def scan(self, media_type: str, content: bytes) -> str | None:
        signatures = MAGIC.get(media_type)
        if signatures is None:
            return f"no signature is known for {media_type}: it cannot be checked"
        if not content.startswith(signatures):
            return f"the content is not {media_type} (its first bytes do not match)"
        return None


def load(spec: str) -> Scanner:
    """``module:Class`` (constructed without arguments)."""
    module, _, name = spec.partition(":")
    scanner: Scanner = getattr(importlib.import_module(module), name)()
    return scanner
