"""The chart's SFTP hand-off of the disbursement service to the bank (services.disbursement.bankSftp),
rendered with the real helm binary: off unless configured, the private key only referenced from an
existing Secret and mounted read-only, the pinned host key required."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.deploy import test_helm_chart as chart
from tests.deploy.test_helm_chart import CHART, NAMESPACE, RELEASE

helm_bin, helm, render = chart.helm_bin, chart.helm, chart.render  # the chart tests' fixtures (real helm)

Docs = list[dict[str, Any]]
PINNED = "SHA256:uL3mB2qz3c8I6Wm5bC3qJ3Zt3nX6rQ2m1Yk7P0aZ9xE"


def sftp_args(fingerprints: str | None = PINNED) -> tuple[str, ...]:
    values = {
        "host": "sftp.bank.example.org",
        "user": "yuxian-czj",
        "existingSecret": "bank-key",
        **({"hostKeyFingerprints": fingerprints} if fingerprints is not None else {}),
    }
    return tuple(a for k, v in values.items() for a in ("--set", f"services.disbursement.bankSftp.{k}={v}"))


SFTP = sftp_args()


def _pods(docs: Docs, kind: str = "Deployment") -> dict[str, dict[str, Any]]:
    return {
        d["metadata"]["name"].rsplit("-", 1)[-1]: d["spec"]["template"]["spec"]
        for d in docs
        if d["kind"] == kind
    }


def _env(pod: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value") for e in pod["containers"][0].get("env", [])}


def test_the_sftp_hand_off_is_off_unless_configured(render: Callable[..., Docs]) -> None:
    for pod in _pods(render()).values():
        assert not [k for k in _env(pod) if k.startswith("DISBURSEMENT_BANK")]
        assert "bank-sftp-key" not in [v["name"] for v in pod["volumes"]]


def test_a_configured_sftp_hand_off_gets_its_settings_and_the_key_from_its_secret(
    render: Callable[..., Docs],
) -> None:
    pods = _pods(
        render("defaults", *SFTP, "--set-string", "services.disbursement.bankSftp.counties={140322}")
    )
    env = _env(pods["disbursement"])
    assert env["DISBURSEMENT_BANK_HANDOFF_COUNTIES"] == '{"140322":"sftp"}'
    assert "DISBURSEMENT_BANK_HANDOFF" not in env  # the other counties keep HTTPS
    assert env["DISBURSEMENT_BANK_SFTP_HOST"] == "sftp.bank.example.org"
    assert env["DISBURSEMENT_BANK_SFTP_HOST_KEY_FINGERPRINTS"].startswith("SHA256:")
    assert env["DISBURSEMENT_BANK_SFTP_KEY_FILE"] == "/etc/assistance/bank-sftp/id_ed25519"
    [volume] = [v for v in pods["disbursement"]["volumes"] if v["name"] == "bank-sftp-key"]
    assert volume["secret"]["secretName"] == "bank-key" and volume["secret"]["defaultMode"] == 0o440
    [mount] = [
        m for m in pods["disbursement"]["containers"][0]["volumeMounts"] if m["name"] == "bank-sftp-key"
    ]
    assert mount["readOnly"] is True
    assert not [k for k in _env(pods["intake"]) if k.startswith("DISBURSEMENT_BANK")]
    every_county = _env(_pods(render("defaults", *SFTP))["disbursement"])
    assert every_county["DISBURSEMENT_BANK_HANDOFF"] == "sftp"
    jobs = _pods(render("defaults", *SFTP), "Job")
    assert all("bank-sftp-key" not in [v["name"] for v in pod["volumes"]] for pod in jobs.values())


def test_an_sftp_hand_off_without_a_pinned_host_key_does_not_render(helm: Callable[..., Any]) -> None:
    unpinned = helm("template", RELEASE, str(CHART), "--namespace", NAMESPACE, *sftp_args(None))
    assert unpinned.returncode != 0 and "hostKeyFingerprints" in unpinned.stderr, unpinned.stderr
    bad = helm("template", RELEASE, str(CHART), *sftp_args("aa:bb:cc"))  # MD5 style: not a SHA256 pin
    assert bad.returncode != 0 and "hostKeyFingerprints" in bad.stderr, bad.stderr
    elsewhere = helm("template", RELEASE, str(CHART), "--set", "services.intake.bankSftp.host=x")
    assert elsewhere.returncode != 0 and "/services/intake" in elsewhere.stderr


def _sftp_policies(docs: Docs) -> Docs:
    return [d for d in docs if d["kind"] == "NetworkPolicy" and d["metadata"]["name"].endswith("-bank-sftp")]


def test_the_network_policy_lets_only_disbursement_reach_the_configured_sftp_port(
    render: Callable[..., Docs],
) -> None:
    policy = ("--set", "networkPolicy.enabled=true")
    port = ("--set", "services.disbursement.bankSftp.port=2222")
    docs = render("defaults", *policy, *SFTP, *port)
    [sftp] = _sftp_policies(docs)
    assert sftp["spec"]["policyTypes"] == ["Egress"]  # adds to the release's policy, changes no ingress
    assert sftp["spec"]["podSelector"]["matchLabels"] == {
        "app.kubernetes.io/name": "assistance",
        "app.kubernetes.io/instance": RELEASE,
        "app.kubernetes.io/component": "disbursement",
    }
    # a host name cannot be matched by a NetworkPolicy: without CIDRs, any destination on that port
    assert sftp["spec"]["egress"] == [{"ports": [{"port": 2222, "protocol": "TCP"}]}]
    [release] = [d for d in docs if d["kind"] == "NetworkPolicy" and d not in _sftp_policies(docs)]
    assert 2222 not in [p.get("port") for rule in release["spec"]["egress"] for p in rule.get("ports", [])]

    cidrs = ("--set-json", 'networkPolicy.egress.bankSftp.cidrs=["203.0.113.16/28"]')
    [narrowed] = _sftp_policies(render("defaults", *policy, *SFTP, *cidrs))
    assert narrowed["spec"]["egress"] == [
        {"ports": [{"port": 22, "protocol": "TCP"}], "to": [{"ipBlock": {"cidr": "203.0.113.16/28"}}]}
    ]
    by_ip = tuple(a.replace("sftp.bank.example.org", "198.51.100.7") for a in SFTP)
    [pinned] = _sftp_policies(render("defaults", *policy, *by_ip))
    assert pinned["spec"]["egress"][0]["to"] == [{"ipBlock": {"cidr": "198.51.100.7/32"}}]


def test_no_sftp_egress_is_rendered_unless_the_hand_off_and_the_policy_are_on(
    render: Callable[..., Docs],
) -> None:
    assert not _sftp_policies(render("defaults", "--set", "networkPolicy.enabled=true"))  # no SFTP host
    assert not _sftp_policies(render("defaults", *SFTP))  # no NetworkPolicy at all
    off = render(
        "defaults",
        "--set",
        "networkPolicy.enabled=true",
        *SFTP,
        "--set",
        "services.disbursement.enabled=false",
    )
    assert not _sftp_policies(off)
