"""The oversight page (R-OVS-1, R-OVS-2): static HTML, CSS and JavaScript (no build step, no CDN; charts are
inline SVG drawn by the page's own script) served at ``GET /oversight/`` by every app (shared/app.py), with
the city's counties and townships at ``/oversight/yangquan.json``. The page reads the relative URLs
``/<service>/v1/figures``, so it works in standalone mode (all five services in one process) and behind an
ingress that routes each ``/<service>/`` prefix to its service."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse

HERE = Path(__file__).parent
REFERENCE = HERE.parent / "reference" / "yangquan.json"
ASSETS = {
    "index.html": "text/html; charset=utf-8",
    "oversight.js": "text/javascript; charset=utf-8",
    "oversight.css": "text/css; charset=utf-8",
}

router = APIRouter(include_in_schema=False)


@router.get("/oversight")
async def oversight_redirect() -> RedirectResponse:
    return RedirectResponse("/oversight/", status_code=308)


@router.get("/oversight/")
async def oversight_page() -> FileResponse:
    return FileResponse(
        HERE / "index.html", media_type=ASSETS["index.html"], headers={"Cache-Control": "no-cache"}
    )


@router.get("/oversight/yangquan.json")
async def oversight_places() -> FileResponse:
    return FileResponse(REFERENCE, media_type="application/json")


@router.get("/oversight/oversight.js")
async def oversight_script() -> FileResponse:
    return FileResponse(
        HERE / "oversight.js", media_type=ASSETS["oversight.js"], headers={"Cache-Control": "no-cache"}
    )


@router.get("/oversight/oversight.css")
async def oversight_style() -> FileResponse:
    return FileResponse(
        HERE / "oversight.css", media_type=ASSETS["oversight.css"], headers={"Cache-Control": "no-cache"}
    )
