"""R-ARC-1: the document locations ``storage_uri`` may name."""

from __future__ import annotations

import pytest

from services.intake.domain.archive import storage_uri_problem
from services.intake.settings import IntakeSettings

SCHEMES = IntakeSettings().document_uri_schemes


@pytest.mark.parametrize(
    ("uri", "root", "ok"),
    [
        ("s3://archive/140302/scan.pdf", None, True),
        ("oss://yq-archive/scan.pdf", None, True),
        ("https://archive.example/scan.pdf", None, True),
        ("javascript://x/%0aalert(1)", None, False),
        ("JAVASCRIPT://x/%0aalert(1)", None, False),
        ("file:///etc/passwd", None, False),
        ("file:///etc/passwd", "/srv/archive", False),
        ("file:///srv/archive/../../etc/passwd", "/srv/archive", False),
        ("file:///srv/archive/%2e%2e/%2e%2e/etc/passwd", "/srv/archive", False),
        ("file:///srv/archive-other/a.pdf", "/srv/archive", False),
        ("file:///srv/archive", "/srv/archive", False),
        ("file://host/srv/archive/a.pdf", "/srv/archive", False),
        ("file:///srv/archive/140302/a.pdf", "/srv/archive", True),
        ("https://u:p@archive.example/a.pdf", None, False),
        ("s3:///a.pdf", None, False),
        ("http://archive.example/a.pdf", None, False),
    ],
)
def test_only_allowed_stores_and_the_archive_root_are_accepted(uri, root, ok):
    assert (storage_uri_problem(uri, schemes=SCHEMES, file_root=root) is None) is ok


def test_file_is_never_an_allowed_scheme_by_default():
    assert "file" not in SCHEMES and IntakeSettings().document_file_root is None
