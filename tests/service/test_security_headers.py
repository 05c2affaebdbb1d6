"""Security headers (issue 13 §6): nosniff on every answer, no framing, a Content-Security-Policy that
lets the oversight page and Swagger UI load exactly what they load, HSTS over TLS only, and no server
name or version in what uvicorn answers."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import subprocess
import sys

import httpx
import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import free_port
from tests.factories import wait_until

PATHS = [
    "/healthz",
    "/openapi.json",
    "/approval/v1/cases",
    "/approval/v1/cases/not-a-uuid",
    "/oversight/",
    "/oversight/oversight.js",
    "/docs",
    "/nowhere",
]


def csp(response: httpx.Response) -> dict[str, list[str]]:
    directives = {}
    for part in response.headers["content-security-policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def allowed(url: str, sources: list[str]) -> bool:
    return any(
        s.startswith("https://") and (url == s or (s.endswith("/") and url.startswith(s))) for s in sources
    )


@pytest.mark.parametrize("path", PATHS)
async def test_every_answer_says_nosniff_and_may_not_be_framed(standalone, path):
    r = await standalone.get(path)
    assert r.headers["x-content-type-options"] == "nosniff", path
    assert r.headers["x-frame-options"] == "DENY", path
    assert csp(r)["frame-ancestors"] == ["'none'"], path
    assert "strict-transport-security" not in r.headers  # plain http here


async def test_api_answers_allow_no_content_at_all(standalone):
    r = await standalone.get("/approval/v1/cases")
    assert csp(r)["default-src"] == ["'none'"]


async def test_the_oversight_page_loads_only_its_own_assets_under_its_policy(standalone):
    r = await standalone.get("/oversight/")
    policy = csp(r)
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    html = r.text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "an inline script would be blocked"
    assert " style=" not in html, "an inline style attribute would be blocked"
    for ref in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert ref.startswith("data:") or "://" not in ref, ref  # same origin or data:
        if not ref.startswith("data:"):
            assert (await standalone.get(f"/oversight/{ref}")).status_code == 200, ref
    script = (await standalone.get("/oversight/oversight.js")).text
    for target in re.findall(r"fetch\(\s*[`'\"]([^`'\"]+)", script):
        assert "://" not in target, target  # every fetch is same-origin (connect-src 'self')


async def test_swagger_ui_may_load_its_bundle_and_run_its_own_inline_script_only(standalone):
    r = await standalone.get("/docs")
    assert r.status_code == 200
    policy = csp(r)
    assert policy["default-src"] == ["'none'"] and "'unsafe-inline'" not in policy["script-src"]
    html = r.text
    for url in re.findall(r'<script src="([^"]+)"', html):
        assert allowed(url, policy["script-src"]), url
    for url in re.findall(r'<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"', html) + re.findall(
        r'<link[^>]*href="([^"]+)"[^>]*rel="stylesheet"', html
    ):
        assert allowed(url, policy["style-src"]), url
    for url in re.findall(r'<link[^>]*rel="shortcut icon"[^>]*href="([^"]+)"', html):
        assert allowed(url, policy["img-src"]), url
    inline = re.findall(r"<script>(.*?)</script>", html, re.S)
    assert inline, "Swagger UI starts from an inline script"
    for body in inline:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy["script-src"]
    assert policy["connect-src"] == ["'self'"]  # it fetches /openapi.json and tries calls on this origin
    assert "validator.swagger.io" not in html and '"validatorUrl": null' in html


async def test_the_oauth2_redirect_page_gets_the_hash_of_its_own_script(standalone):
    r = await standalone.get("/docs/oauth2-redirect")
    inline = re.findall(r"<script>(.*?)</script>", r.text, re.S)
    policy = csp(r)
    for body in inline:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy["script-src"]


async def test_hsts_only_when_served_over_tls(standalone):
    behind_ingress = await standalone.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    hsts = behind_ingress.headers["strict-transport-security"]
    assert re.fullmatch(r"max-age=31536000; includeSubDomains", hsts)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=standalone.app), base_url="https://standalone"
    ) as tls:
        assert "strict-transport-security" in (await tls.get("/healthz")).headers
    plain = await standalone.get("/healthz", headers={"X-Forwarded-Proto": "http"})
    assert "strict-transport-security" not in plain.headers


def test_a_served_service_names_no_server_or_version(standalone, database_url):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANCE_", "INTAKE_"))}
    env.update(
        INTAKE_DATABASE_URL=database_url, ASSISTANCE_ENVIRONMENT="test", ASSISTANCE_LOG_LEVEL="WARNING"
    )
    env["ASSISTANCE_AUTH_DEV_KEY_DIR"] = os.environ["ASSISTANCE_AUTH_DEV_KEY_DIR"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "services", "intake", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:

        def answered() -> httpx.Response | None:
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:] if proc.stderr else ""
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            except httpx.HTTPError:
                return None

        response = wait_until(answered, timeout=60, what="the intake process to answer /healthz")
        assert response.status_code == 200
        assert "server" not in response.headers, response.headers
        assert response.headers["x-content-type-options"] == "nosniff"
    finally:
        proc.terminate()
        proc.wait(20)
