"""Webhook receivers and SSRF (R-CHA-2: partner data goes to the partner, never into our own network):
what is refused at registration and, after resolving the name, at delivery."""

from __future__ import annotations

import ipaddress

import pytest

from services.referral.settings import ReferralSettings
from shared.webhooks import delivery_problem, is_public, literal_address, url_problem

REFUSED = ReferralSettings().webhook_refused_hosts


@pytest.mark.parametrize(
    "url",
    [
        "https://10.1.2.3/hook",
        "https://172.16.0.9/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fe80::1]/hook",
        "https://[fc00::1]/hook",
        "https://[fd12:3456::1]/hook",
        "https://100.64.0.1/hook",
        "https://224.0.0.1/hook",
        "https://[ff02::1]/hook",
        "https://0.0.0.0/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://metadata.google.internal/computeMetadata/v1/",
        "https://METADATA.GOOGLE.INTERNAL./x",
        "https://metadata/x",
        "https://instance-data/x",
        "https://anything.internal/x",
        "https://printer.local/x",
        "https://127.0.0.1/hook",
        "https://127.1/hook",
        "https://2130706433/hook",
        "https://0x7f000001/hook",
        "https://[::1]/hook",
        "https://localhost/hook",
        "https://app.localhost/hook",
        "http://charity.example/hook",
        "https://user:pw@charity.example/hook",
        "javascript://charity.example/%0aalert(1)",
        "file:///etc/passwd",
    ],
)
def test_a_webhook_to_a_private_address_is_refused(url):
    assert url_problem(url, allow_loopback_http=False, refused_hosts=REFUSED) is not None


@pytest.mark.parametrize(
    "url", ["https://charity.example/hook", "https://8.8.8.8/x", "https://[2606:4700::1]/x"]
)
def test_https_to_a_public_host_is_accepted(url):
    assert url_problem(url, allow_loopback_http=False, refused_hosts=REFUSED) is None


def test_loopback_over_http_only_by_the_explicit_development_setting():
    assert url_problem("http://127.0.0.1:8080/h", allow_loopback_http=True, refused_hosts=REFUSED) is None
    assert url_problem("http://127.0.0.1:8080/h", allow_loopback_http=False, refused_hosts=REFUSED)
    assert url_problem("http://10.0.0.1/h", allow_loopback_http=True, refused_hosts=REFUSED)  # still private
    assert ReferralSettings().webhook_allow_loopback_http is False  # safe by default
    production = ReferralSettings.model_construct(environment="production", webhook_allow_loopback_http=True)
    with pytest.raises(ValueError, match="WEBHOOK_ALLOW_LOOPBACK_HTTP"):
        production._no_loopback_webhooks_in_production()


def test_dns_rebinding_to_a_private_address_is_refused_at_delivery():
    a = ipaddress.ip_address
    public, loopback, private = a("93.184.216.34"), a("127.0.0.1"), a("10.0.0.7")
    assert delivery_problem("charity.example", [public], allow_loopback_http=False) is None
    for inside in (loopback, private, a("::ffff:127.0.0.1"), a("169.254.169.254")):
        assert delivery_problem("charity.example", [public, inside], allow_loopback_http=False)
    # the development exemption covers a URL that names loopback, never a name that resolves there
    assert delivery_problem("charity.example", [loopback], allow_loopback_http=True)
    assert delivery_problem("127.0.0.1", [loopback], allow_loopback_http=True) is None
    assert delivery_problem("localhost", [private], allow_loopback_http=True)


def test_every_notation_of_an_address_is_recognised():
    assert literal_address("127.1") == ipaddress.ip_address("127.0.0.1")
    assert literal_address("0x7f.1") == ipaddress.ip_address("127.0.0.1")
    assert literal_address("charity.example") is None
    assert not is_public(ipaddress.ip_address("::ffff:192.168.0.1"))
