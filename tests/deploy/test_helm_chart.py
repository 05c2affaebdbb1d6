"""The Helm chart deploy/helm/assistance and the image recipe deploy/docker/Dockerfile, checked with the
real helm binary: lint, render with each example value set, and assert what operators rely on.

No cluster, database or broker is needed. helm is built from the Go module proxy by scripts/helm.sh on
first use (a few minutes, cached in .cache/bin); if it cannot be built the tests fail, never skip."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "assistance"
EXAMPLES = ROOT / "deploy" / "helm" / "values-examples"
RELEASE = "assistance"
NAMESPACE = "assistance"
SERVICES = ("intake", "assessment", "approval", "disbursement", "referral", "household")

# name -> values file (None: the chart's defaults)
VALUE_SETS: dict[str, Path | None] = {
    "defaults": None,
    "all-features": EXAMPLES / "all-features.yaml",
    "one-disabled": EXAMPLES / "one-disabled.yaml",
}


@pytest.fixture(scope="session")
def helm_bin() -> str:
    proc = subprocess.run(
        ["bash", str(ROOT / "scripts" / "helm.sh")], cwd=ROOT, capture_output=True, text=True, timeout=1800
    )
    if proc.returncode != 0:
        pytest.fail(f"scripts/helm.sh failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    path = proc.stdout.strip().splitlines()[-1]
    if not Path(path).is_file():
        pytest.fail(f"scripts/helm.sh printed {path!r}, which is not a file")
    return path


@pytest.fixture(scope="session")
def helm(helm_bin: str) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run helm with the given arguments (never raises on a non-zero exit)."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([helm_bin, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)

    return run


def values_args(value_set: str) -> list[str]:
    path = VALUE_SETS[value_set]
    return ["-f", str(path)] if path else []


@pytest.fixture(scope="session")
def render(helm: Callable[..., subprocess.CompletedProcess[str]]) -> Callable[..., list[dict[str, Any]]]:
    """`helm template` of the chart with one value set (plus extra args), parsed; cached per arguments."""
    cache: dict[tuple[str, ...], list[dict[str, Any]]] = {}

    def run(value_set: str = "defaults", *extra: str) -> list[dict[str, Any]]:
        key = (value_set, *extra)
        if key not in cache:
            proc = helm(
                "template", RELEASE, str(CHART), "--namespace", NAMESPACE, *values_args(value_set), *extra
            )
            assert proc.returncode == 0, f"helm template failed:\n{proc.stderr}"
            cache[key] = [doc for doc in yaml.safe_load_all(proc.stdout) if doc]
        return cache[key]

    return run


Docs = list[dict[str, Any]]
ALL_SETS = list(VALUE_SETS)


# ---------------------------------------------------------------------------------------------- helpers
def of_kind(docs: Docs, kind: str) -> Docs:
    return [d for d in docs if d["kind"] == kind]


def component(doc: dict[str, Any]) -> str:
    return doc["metadata"]["labels"]["app.kubernetes.io/component"]


def by_component(docs: Docs, kind: str) -> dict[str, dict[str, Any]]:
    found = {component(d): d for d in of_kind(docs, kind)}
    assert len(found) == len(of_kind(docs, kind)), f"two {kind}s for one component"
    return found


def pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    spec = doc["spec"]["jobTemplate"]["spec"] if doc["kind"] == "CronJob" else doc["spec"]
    return spec["template"]["spec"]


def enabled_services(value_set: str) -> list[str]:
    return [s for s in SERVICES if not (value_set == "one-disabled" and s == "referral")]


def env_of(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container.get("env", [])}


def secret_ref(env: dict[str, Any]) -> tuple[str, str]:
    ref = env["valueFrom"]["secretKeyRef"]
    return ref["name"], ref["key"]


def configmap(docs: Docs) -> dict[str, str]:
    (cm,) = of_kind(docs, "ConfigMap")
    return cm["data"]


# ----------------------------------------------------------------------------------------------- helm
def test_helm_is_the_real_binary(helm: Callable[..., Any]) -> None:
    proc = helm("version", "--short")
    assert proc.returncode == 0, proc.stderr
    assert re.match(r"v3\.\d+\.\d+", proc.stdout.strip()), proc.stdout


@pytest.mark.parametrize("strict", [False, True], ids=["lint", "lint-strict"])
@pytest.mark.parametrize("value_set", ALL_SETS)
def test_lint(helm: Callable[..., Any], value_set: str, strict: bool) -> None:
    proc = helm("lint", str(CHART), *values_args(value_set), *(["--strict"] if strict else []))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 chart(s) failed" in proc.stdout


# ------------------------------------------------------------------------------------ security profile
@pytest.mark.parametrize("value_set", ALL_SETS)
def test_every_pod_meets_the_restricted_profile(render: Callable[..., Docs], value_set: str) -> None:
    workloads = [d for d in render(value_set) if d["kind"] in ("Deployment", "Job", "CronJob")]
    assert workloads
    for doc in workloads:
        where = f"{doc['kind']}/{doc['metadata']['name']}"
        spec = pod_spec(doc)
        psc = spec["securityContext"]
        assert psc["runAsNonRoot"] is True, where
        assert psc["runAsUser"] == 10001, where
        assert psc["seccompProfile"]["type"] == "RuntimeDefault", where
        assert spec["automountServiceAccountToken"] is False, where
        assert not spec.get("hostNetwork") and not spec.get("hostPID") and not spec.get("hostIPC"), where
        for volume in spec.get("volumes", []):
            assert "hostPath" not in volume, where
        for container in spec["containers"] + spec.get("initContainers", []):
            sc = container["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False, where
            assert sc["capabilities"]["drop"] == ["ALL"], where
            assert not sc["capabilities"].get("add"), where
            assert sc["readOnlyRootFilesystem"] is True, where
            assert sc["runAsNonRoot"] is True, where
            assert sc.get("privileged") in (None, False), where
            assert "ports" not in container or all("hostPort" not in p for p in container["ports"]), where
            # the only writable place: an emptyDir at /tmp
            tmp = [m for m in container["volumeMounts"] if m["mountPath"] == "/tmp"]
            assert len(tmp) == 1, where
            (volume,) = [v for v in spec["volumes"] if v["name"] == tmp[0]["name"]]
            assert "emptyDir" in volume, where


# --------------------------------------------------------------------------------- services, per set
@pytest.mark.parametrize("value_set", ALL_SETS)
def test_each_enabled_service_has_a_deployment_and_a_service(
    render: Callable[..., Docs], value_set: str
) -> None:
    docs = render(value_set)
    wanted = set(enabled_services(value_set))
    deployments = by_component(docs, "Deployment")
    services = by_component(docs, "Service")
    assert set(deployments) == wanted
    assert set(services) == wanted
    cm_name = of_kind(docs, "ConfigMap")[0]["metadata"]["name"]

    for name in wanted:
        dep, svc = deployments[name], services[name]
        assert dep["metadata"]["name"] == svc["metadata"]["name"] == f"{RELEASE}-{name}"
        labels = dep["metadata"]["labels"]
        for key in (
            "app.kubernetes.io/name",
            "app.kubernetes.io/instance",
            "app.kubernetes.io/version",
            "app.kubernetes.io/managed-by",
            "helm.sh/chart",
        ):
            assert labels[key], key
        assert labels["app.kubernetes.io/instance"] == RELEASE
        selector = dep["spec"]["selector"]["matchLabels"]
        assert selector["app.kubernetes.io/component"] == name
        assert selector.items() <= dep["spec"]["template"]["metadata"]["labels"].items()
        assert svc["spec"]["selector"] == selector
        assert svc["spec"]["type"] == "ClusterIP"
        assert svc["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]

        template = dep["spec"]["template"]
        assert re.fullmatch(r"[0-9a-f]{64}", template["metadata"]["annotations"]["checksum/config"])
        (container,) = template["spec"]["containers"]
        assert container["args"] == [name, "serve", "--host", "0.0.0.0", "--port", "8000"]
        assert container["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            assert container[probe]["httpGet"]["port"] == "http"
        assert container["resources"]["requests"]["cpu"] and container["resources"]["requests"]["memory"]
        assert container["resources"]["limits"]["memory"]
        assert container["envFrom"] == [{"configMapRef": {"name": cm_name}}]
        env = env_of(container)
        assert secret_ref(env[f"{name.upper()}_DATABASE_URL"])[0]


@pytest.mark.parametrize("value_set", ALL_SETS)
def test_configmap_holds_the_shared_contract(render: Callable[..., Docs], value_set: str) -> None:
    data = configmap(render(value_set))
    assert data["ASSISTANCE_BUS"] == "kafka"
    assert data["ASSISTANCE_ENVIRONMENT"] == "production"
    assert data["ASSISTANCE_KAFKA_BOOTSTRAP_SERVERS"]
    assert data["ASSISTANCE_KAFKA_SECURITY_PROTOCOL"] in ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
    assert data["ASSISTANCE_TOPIC_PREFIX"] == "assistance"
    assert int(data["ASSISTANCE_TOPIC_PARTITIONS"]) >= 1
    if value_set != "one-disabled":  # referral is the disabled one there: none of its settings
        assert data["REFERRAL_PARTNER_KAFKA_TOPIC_DEFAULT"] == "own"  # each partner its own topic (R-CHA-2)
    assert all(isinstance(v, str) for v in data.values())
    assert not any(word in key for key in data for word in ("PASSWORD", "USERNAME", "DATABASE_URL", "_KEY"))


@pytest.mark.parametrize("value_set", ALL_SETS)
def test_intake_finds_the_other_enabled_services_for_a_persons_export(
    render: Callable[..., Docs], value_set: str
) -> None:
    docs = render(value_set)
    peers = json.loads(configmap(docs)["INTAKE_PEER_URLS"])
    services = {s["metadata"]["name"]: s for s in of_kind(docs, "Service")}
    enabled = [s for s in enabled_services(value_set) if s != "intake"]
    assert sorted(peers) == sorted(enabled)  # a disabled service is not asked (docs/person-data.md)
    for name, url in peers.items():
        host = url.removeprefix("http://")
        assert host in services and services[host]["spec"]["ports"][0]["port"] == 80, name


def test_configmap_change_rolls_the_pods(render: Callable[..., Docs]) -> None:
    def checksums(*extra: str) -> set[str]:
        return {
            d["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
            for d in of_kind(render("defaults", *extra), "Deployment")
        }

    before, after = checksums(), checksums("--set", "global.logLevel=DEBUG")
    assert len(before) == len(after) == 1 and before != after


def test_service_database_secret_can_be_overridden(render: Callable[..., Docs]) -> None:
    deployments = by_component(render("all-features"), "Deployment")
    urls = {
        name: secret_ref(env_of(pod_spec(d)["containers"][0])[f"{name.upper()}_DATABASE_URL"])
        for name, d in deployments.items()
    }
    assert urls["disbursement"] == ("disbursement-db", "url")
    assert urls["intake"] == ("assistance-database", "intake-database-url")


# ---------------------------------------------------------------------------------------- migrations
@pytest.mark.parametrize("value_set", ALL_SETS)
def test_migrations_are_pre_install_hook_jobs_per_service(
    render: Callable[..., Docs], value_set: str
) -> None:
    docs = render(value_set)
    jobs = [j for j in of_kind(docs, "Job") if j["metadata"]["name"].endswith("-migrate")]
    wanted = enabled_services(value_set)
    assert len(jobs) == len(wanted)
    deployments = by_component(docs, "Deployment")
    for job in jobs:
        (container,) = pod_spec(job)["containers"]
        name = container["args"][0]
        assert container["args"] == [name, "migrate"]
        assert name in wanted
        annotations = job["metadata"]["annotations"]
        assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
        assert re.fullmatch(r"-?\d+", annotations["helm.sh/hook-weight"])
        assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation,hook-succeeded"
        assert pod_spec(job)["restartPolicy"] == "Never"
        # Hooks run before the release's ConfigMap exists: the shared settings are inline, not envFrom.
        assert "envFrom" not in container
        env = env_of(container)
        assert {k: v["value"] for k, v in env.items() if "value" in v}.items() >= configmap(docs).items()
        # The same secrets and image as the service's Deployment, and the owner role's URL on top.
        (served,) = pod_spec(deployments[name])["containers"]
        assert container["image"] == served["image"]
        owner = f"{name.upper()}_MIGRATION_DATABASE_URL"
        assert {k: v for k, v in env.items() if "valueFrom" in v and k != owner} == {
            k: v for k, v in env_of(served).items() if "valueFrom" in v
        }
        assert secret_ref(env[owner])[1].endswith("migration-database-url")
        # Not selected by the Service (a running migration pod must not get traffic).
        selector = deployments[name]["spec"]["selector"]["matchLabels"]
        assert not selector.items() <= job["spec"]["template"]["metadata"]["labels"].items()


def test_migrations_can_be_disabled(render: Callable[..., Docs]) -> None:
    assert not of_kind(render("defaults", "--set", "migrations.enabled=false"), "Job")


# ------------------------------------------------------------------- least privilege and the audit log
@pytest.mark.parametrize("value_set", ALL_SETS)
def test_service_pods_get_the_runtime_role_and_never_the_owners_credentials(
    render: Callable[..., Docs], value_set: str
) -> None:
    """Issue 13: the services connect as the runtime role (INSERT/SELECT only on the audit log); only the
    Jobs get the owner role's URL, only the roles Jobs an administrator's."""
    docs = render(value_set)
    for dep in of_kind(docs, "Deployment"):
        (container,) = pod_spec(dep)["containers"]
        env = env_of(container)
        assert not [k for k in env if "MIGRATION_DATABASE_URL" in k or "ADMIN_URL" in k]
        assert secret_ref(env["ASSISTANCE_AUDIT_KEYS"])[1] == "audit-keys"
    data = configmap(docs)
    assert int(data["ASSISTANCE_AUDIT_CHECKPOINT_INTERVAL_SECONDS"]) >= 1
    assert data["ASSISTANCE_AUDIT_CHECKPOINT_RETENTION_MS"] == "-1"


def test_the_roles_jobs_create_both_roles_before_the_migrations(render: Callable[..., Docs]) -> None:
    assert not [j for j in of_kind(render("defaults"), "Job") if j["metadata"]["name"].endswith("-db-roles")]
    jobs = of_kind(render("all-features"), "Job")
    roles = {j["metadata"]["name"]: j for j in jobs if j["metadata"]["name"].endswith("-db-roles")}
    migrate = [j for j in jobs if j["metadata"]["name"].endswith("-migrate")]
    assert len(roles) == len(migrate) == len(SERVICES)
    for job in roles.values():
        (container,) = pod_spec(job)["containers"]
        name = container["args"][0]
        assert container["args"] == [name, "db-roles"]
        env = env_of(container)
        assert secret_ref(env["ASSISTANCE_DATABASE_ADMIN_URL"]) == (
            "assistance-db-admin",
            "admin-database-url",
        )
        assert f"{name.upper()}_MIGRATION_DATABASE_URL" in env and f"{name.upper()}_DATABASE_URL" in env
        weight = int(job["metadata"]["annotations"]["helm.sh/hook-weight"])
        assert weight < int(migrate[0]["metadata"]["annotations"]["helm.sh/hook-weight"])


def test_the_retention_dry_runs_are_scheduled_only_when_enabled_and_never_get_the_owners_role(
    render: Callable[..., Docs],
) -> None:
    """R-RET-2: a CronJob per service runs its retention dry run in the programme's zone (off by default);
    applying needs a second officer through the API, so the job only plans, as the runtime role."""
    assert not of_kind(render("defaults"), "CronJob")
    crons = by_component(render("all-features"), "CronJob")
    assert set(crons) == {f"{name}-retention" for name in SERVICES}
    for name in SERVICES:
        cron = crons[f"{name}-retention"]
        assert cron["spec"]["schedule"] == "0 3 * * *" and cron["spec"]["timeZone"] == "Asia/Shanghai"
        assert cron["spec"]["concurrencyPolicy"] == "Forbid"
        (container,) = pod_spec(cron)["containers"]
        assert container["args"] == [name, "retention"]
        env = env_of(container)
        assert f"{name.upper()}_DATABASE_URL" in env
        assert not [k for k in env if "MIGRATION_DATABASE_URL" in k or "ADMIN_URL" in k]
        assert pod_spec(cron)["restartPolicy"] == "Never"


# ------------------------------------------------------------------------------- optional objects
OPTIONAL = ("HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy", "ServiceMonitor", "Ingress")


def test_optional_objects_are_off_by_default(render: Callable[..., Docs]) -> None:
    kinds = {d["kind"] for d in render("defaults")}
    assert not kinds & (set(OPTIONAL) - {"PodDisruptionBudget"})
    for dep in of_kind(render("defaults"), "Deployment"):
        assert dep["spec"]["replicas"] == 2


def test_every_service_with_two_or_more_replicas_gets_a_disruption_budget_by_default(
    render: Callable[..., Docs],
) -> None:
    docs = render("defaults")
    pdbs, deployments = by_component(docs, "PodDisruptionBudget"), by_component(docs, "Deployment")
    assert set(pdbs) == set(SERVICES)
    for name, pdb in pdbs.items():
        assert pdb["spec"] == {
            "maxUnavailable": 1,
            "selector": {"matchLabels": deployments[name]["spec"]["selector"]["matchLabels"]},
        }


@pytest.mark.parametrize(
    "settings",
    [
        ("services.approval.replicaCount=1",),
        ("services.approval.autoscaling.enabled=true", "services.approval.autoscaling.minReplicas=1"),
    ],
)
def test_a_single_replica_service_gets_no_disruption_budget_unless_asked(
    render: Callable[..., Docs], settings: tuple[str, ...]
) -> None:
    flags = [arg for setting in settings for arg in ("--set", setting)]
    pdbs = by_component(render("defaults", *flags), "PodDisruptionBudget")
    assert "approval" not in pdbs and "intake" in pdbs
    forced = render("defaults", *flags, "--set", "services.approval.podDisruptionBudget.enabled=true")
    assert "approval" in by_component(forced, "PodDisruptionBudget")


def test_all_features_renders_every_optional_object(render: Callable[..., Docs]) -> None:
    docs = render("all-features")
    hpas = by_component(docs, "HorizontalPodAutoscaler")
    pdbs = by_component(docs, "PodDisruptionBudget")
    assert set(hpas) == set(pdbs) == set(SERVICES)
    assert len(of_kind(docs, "ServiceMonitor")) == 1
    # the release's policy, and disbursement's egress to the bank's SFTP server (bankSftp is configured)
    assert len(of_kind(docs, "NetworkPolicy")) == 2
    assert len(of_kind(docs, "Ingress")) == 1

    deployments = by_component(docs, "Deployment")
    for name, hpa in hpas.items():
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": deployments[name]["metadata"]["name"],
        }
        (metric,) = hpa["spec"]["metrics"]
        assert metric["resource"]["name"] == "cpu"
        assert metric["resource"]["target"]["type"] == "Utilization"
        assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
        assert "replicas" not in deployments[name]["spec"], "the HPA owns the replica count"
    for name, pdb in pdbs.items():
        assert pdb["apiVersion"] == "policy/v1"
        assert pdb["spec"]["selector"]["matchLabels"] == deployments[name]["spec"]["selector"]["matchLabels"]
        assert ("minAvailable" in pdb["spec"]) != ("maxUnavailable" in pdb["spec"])
    assert pdbs["intake"]["spec"]["minAvailable"] == 2
    assert pdbs["assessment"]["spec"]["maxUnavailable"] == 1


@pytest.mark.parametrize(
    "kind,flag",
    [
        ("HorizontalPodAutoscaler", "services.approval.autoscaling.enabled"),
        ("PodDisruptionBudget", "services.approval.podDisruptionBudget.enabled"),
        ("NetworkPolicy", "networkPolicy.enabled"),
        ("ServiceMonitor", "serviceMonitor.enabled"),
        ("Ingress", "ingress.enabled"),
    ],
)
def test_each_optional_object_follows_its_switch(render: Callable[..., Docs], kind: str, flag: str) -> None:
    def rendered(value_set: str, on: bool) -> bool:
        docs = of_kind(render(value_set, "--set", f"{flag}={str(on).lower()}"), kind)
        if flag.startswith("services.approval."):  # a per-service switch: only approval's object
            return "approval" in by_component(docs, kind)
        return bool(docs)

    assert rendered("defaults", True) and not rendered("defaults", False)
    assert rendered("all-features", True) and not rendered("all-features", False)


COMPONENT = "app.kubernetes.io/component"


def test_network_policy(render: Callable[..., Docs]) -> None:
    (policy,) = [
        p
        for p in of_kind(render("all-features"), "NetworkPolicy")
        if COMPONENT not in p["metadata"]["labels"]
    ]
    spec = policy["spec"]
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    assert spec["podSelector"]["matchLabels"] == {
        "app.kubernetes.io/name": "assistance",
        "app.kubernetes.io/instance": RELEASE,
    }
    ingress, from_intake = spec["ingress"]
    assert ingress["ports"] == [{"port": 8000, "protocol": "TCP"}]
    # intake's person export asks the other services over HTTP (docs/person-data.md), and only intake
    assert from_intake["ports"] == [{"port": 8000, "protocol": "TCP"}]
    assert from_intake["from"] == [
        {"podSelector": {"matchLabels": {**spec["podSelector"]["matchLabels"], COMPONENT: "intake"}}}
    ]
    peers = ingress["from"]
    assert len(peers) == 2 and all("namespaceSelector" in p and "podSelector" in p for p in peers)
    assert {p["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for p in peers} == {
        "ingress-nginx",
        "prometheus",
    }
    egress = spec["egress"]
    assert {(p["port"], p["protocol"]) for p in egress[0]["ports"]} == {(53, "UDP"), (53, "TCP")}
    assert egress[1] == {
        "ports": [{"port": 9094, "protocol": "TCP"}],
        "to": [{"ipBlock": {"cidr": "10.20.0.0/24"}}],
    }
    assert egress[2]["ports"] == [{"port": 5432, "protocol": "TCP"}]
    assert [p["ipBlock"]["cidr"] for p in egress[2]["to"]] == ["10.30.0.10/32", "10.30.0.11/32"]
    assert egress[3] == {
        "to": [{"podSelector": {"matchLabels": spec["podSelector"]["matchLabels"]}}],
        "ports": [{"port": 8000, "protocol": "TCP"}],
    }
    assert len(egress) == 6  # + the two extraEgress rules (OTLP collector, JWKS host)
    # Without CIDRs a port rule allows any destination on that port.
    (open_policy,) = of_kind(render("defaults", "--set", "networkPolicy.enabled=true"), "NetworkPolicy")
    assert open_policy["spec"]["egress"][1] == {"ports": [{"port": 9092, "protocol": "TCP"}]}


def test_service_monitor(render: Callable[..., Docs]) -> None:
    docs = render("all-features")
    (monitor,) = of_kind(docs, "ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["labels"]["release"] == "prometheus"
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] == "http" and endpoint["path"] == "/metrics" and endpoint["interval"] == "15s"
    selector = monitor["spec"]["selector"]["matchLabels"]
    for svc in of_kind(docs, "Service"):
        assert selector.items() <= svc["metadata"]["labels"].items()
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": [NAMESPACE]}


@pytest.mark.parametrize("value_set", ["all-features", "one-disabled"])
def test_ingress_routes_each_enabled_service_prefix(render: Callable[..., Docs], value_set: str) -> None:
    docs = render(value_set)
    (ingress,) = of_kind(docs, "Ingress")
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "assistance.example.org"
    services = {d["metadata"]["name"] for d in of_kind(docs, "Service")}
    routes = {p["path"]: p for p in rule["http"]["paths"]}
    page = routes.pop("/oversight")  # the oversight page, served by the first enabled service
    assert page["backend"]["service"]["name"] == f"{RELEASE}-{enabled_services(value_set)[0]}"
    assert list(routes) == [f"/{name}/v1" for name in enabled_services(value_set)]
    for path, route in [*routes.items(), ("/" + enabled_services(value_set)[0], page)]:
        assert route["pathType"] == "Prefix"
        backend = route["backend"]["service"]
        assert backend["name"] == f"{RELEASE}-{path.split('/')[1]}" and backend["name"] in services
        assert backend["port"] == {"name": "http"}
    if value_set == "all-features":
        assert ingress["spec"]["ingressClassName"] == "nginx"
        assert ingress["spec"]["tls"] == [
            {"hosts": ["assistance.example.org"], "secretName": "assistance-tls"}
        ]
    else:
        assert "tls" not in ingress["spec"]


def test_a_disabled_service_renders_nothing(render: Callable[..., Docs]) -> None:
    docs = render("one-disabled")
    assert docs
    for doc in docs:
        text = yaml.safe_dump(doc)
        assert "referral" not in text.lower(), f"{doc['kind']}/{doc['metadata']['name']} mentions referral"
    assert len(of_kind(docs, "Deployment")) == len(SERVICES) - 1


# ------------------------------------------------------------------------------------------- secrets
@pytest.mark.parametrize("value_set", ALL_SETS)
def test_secrets_are_only_referenced(render: Callable[..., Docs], value_set: str) -> None:
    docs = render(value_set)
    assert not of_kind(docs, "Secret"), "the chart must not create Secrets"
    secret_like = re.compile(
        r"(PASSWORD|USERNAME|DATABASE_URL|ADMIN_URL|ENCRYPTION_KEYS|BLIND_INDEX_KEY|AUDIT_KEYS)$"
    )
    for doc in docs:
        if doc["kind"] not in ("Deployment", "Job"):
            continue
        for container in pod_spec(doc)["containers"]:
            for name, env in env_of(container).items():
                if secret_like.search(name):
                    assert "value" not in env and "secretKeyRef" in env["valueFrom"], f"{name} in plain text"
    text = "\n".join(yaml.safe_dump(d) for d in docs)
    assert "postgresql+asyncpg://" not in text and "postgresql://" not in text


def test_sasl_ssl_credentials_and_ca_come_from_existing_secrets(render: Callable[..., Docs]) -> None:
    docs = render("all-features")
    data = configmap(docs)
    assert data["ASSISTANCE_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert data["ASSISTANCE_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
    cafile = data["ASSISTANCE_KAFKA_SSL_CAFILE"]
    for doc in of_kind(docs, "Deployment") + of_kind(docs, "Job"):
        spec = pod_spec(doc)
        (container,) = spec["containers"]
        env = env_of(container)
        assert secret_ref(env["ASSISTANCE_KAFKA_SASL_USERNAME"]) == ("assistance-kafka-user", "username")
        assert secret_ref(env["ASSISTANCE_KAFKA_SASL_PASSWORD"]) == ("assistance-kafka-user", "password")
        assert secret_ref(env["ASSISTANCE_ENCRYPTION_KEYS"]) == ("assistance-encryption", "encryption-keys")
        assert secret_ref(env["ASSISTANCE_BLIND_INDEX_KEY"]) == ("assistance-encryption", "blind-index-key")
        (mount,) = [m for m in container["volumeMounts"] if cafile.startswith(m["mountPath"] + "/")]
        assert mount["readOnly"] is True
        (volume,) = [v for v in spec["volumes"] if v["name"] == mount["name"]]
        assert volume["secret"]["secretName"] == "assistance-kafka-ca"
        assert volume["secret"]["items"] == [{"key": "ca.crt", "path": cafile.rsplit("/", 1)[1]}]
    # PLAINTEXT: no SASL env, no CA mount.
    (plain,) = pod_spec(of_kind(render("defaults"), "Deployment")[0])["containers"]
    assert not [k for k in env_of(plain) if "SASL" in k]
    assert [m["mountPath"] for m in plain["volumeMounts"]] == ["/tmp"]


def test_image_tag_defaults_to_app_version_and_digest_pins(render: Callable[..., Docs]) -> None:
    app_version = yaml.safe_load((CHART / "Chart.yaml").read_text())["appVersion"]
    (container,) = pod_spec(of_kind(render("defaults"), "Deployment")[0])["containers"]
    assert container["image"].endswith(f":{app_version}")
    digest = "sha256:" + "a" * 64
    (pinned,) = pod_spec(of_kind(render("defaults", "--set", f"image.digest={digest}"), "Deployment")[0])[
        "containers"
    ]
    assert pinned["image"].endswith(f"@{digest}")


# ------------------------------------------------------------------------------------------- schema
def test_schema_is_draft_07() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text())
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize(
    "args,message",
    [
        (["--set", "global.kafka.securityProtocol=FOO"], "securityProtocol"),
        (["--set-string", "services.intake.replicaCount=two"], "replicaCount"),
        (["--set", "global.environment=prod"], "environment"),
        (["--set", "services.intkae.enabled=true"], "intkae"),
        (["--set", "services.intake.replicas=3"], "replicas"),
        (["--set", "global.kafka.bootstrapServer=x:9092"], "bootstrapServer"),
        (["--set", "imag.tag=1"], "imag"),
        (["--set", "global.kafka.securityProtocol=SASL_SSL"], "sasl"),
        (["--set", "global.encryption.existingSecret="], "existingSecret"),
        (["--set", "ingress.enabled=true", "--set", "ingress.tls.enabled=true"], "secretName"),
        (["--set", "services.intake.autoscaling.targetCPUUtilizationPercentage=150"], "targetCPU"),
        (["--set", "services.intake.podDisruptionBudget.minAvailable=half"], "minAvailable"),
        (["--set", "networkPolicy.egress.postgresql.cidrs={10.0.0.1}"], "cidrs"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_values_fail_schema_validation(helm: Callable[..., Any], args: list[str], message: str) -> None:
    proc = helm("template", RELEASE, str(CHART), *args)
    assert proc.returncode != 0, f"{args} rendered:\n{proc.stdout[:500]}"
    assert "schema" in proc.stderr and message in proc.stderr, proc.stderr


def test_development_may_run_without_encryption_secret(render: Callable[..., Docs]) -> None:
    docs = render(
        "defaults", "--set", "global.environment=development", "--set", "global.encryption.existingSecret="
    )
    (container,) = pod_spec(of_kind(docs, "Deployment")[0])["containers"]
    assert "ASSISTANCE_ENCRYPTION_KEYS" not in env_of(container)


# ---------------------------------------------------------------------------------------- Dockerfile
def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """(INSTRUCTION, arguments) per build stage, continuation lines joined, comments dropped."""
    text = (ROOT / "deploy" / "docker" / "Dockerfile").read_text()
    text = re.sub(r"\\\n", " ", text)
    stages: list[list[tuple[str, str]]] = [[]]
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, rest = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            stages.append([])
        stages[-1].append((instruction, rest.strip()))
    return stages[1:]


def test_dockerfile_is_multi_stage_with_a_builder() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 2
    builder, final = stages[0], stages[-1]
    assert re.search(r"\bAS builder\b", builder[0][1], re.I)
    assert any(i == "RUN" and "pip wheel" in a for i, a in builder)
    prelude = (ROOT / "deploy" / "docker" / "Dockerfile").read_text()
    assert "python:3.11-slim" in prelude
    # the final stage installs only the built wheels, offline
    installs = [a for i, a in final if i == "RUN" and "pip install" in a]
    assert installs and all("--no-index" in a and "from=builder" in a for a in installs)
    assert not any(i == "RUN" and re.search(r"apt-get|build-essential|gcc", a) for i, a in final)


def test_dockerfile_final_stage_runs_as_non_root_with_the_services_entrypoint() -> None:
    final = dockerfile_stages()[-1]
    users = [a for i, a in final if i == "USER"]
    assert users, "no USER in the final stage"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0") and user == "10001"
    assert all(i != "HEALTHCHECK" for stage in dockerfile_stages() for i, _ in stage)
    entrypoint = [json.loads(a) for i, a in final if i == "ENTRYPOINT"]
    assert entrypoint[-1] == ["python", "-m", "services"]
    cmd = [json.loads(a) for i, a in final if i == "CMD"]
    assert cmd[-1] == ["intake", "serve", "--host", "0.0.0.0", "--port", "8000"]
    assert ("WORKDIR", "/app") in final
    assert ("EXPOSE", "8000") in final
    env = " ".join(a for i, a in final if i == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env and "TMPDIR=/tmp" in env
    labels = " ".join(a for i, a in final if i == "LABEL")
    assert "org.opencontainers.image.title" in labels and "org.opencontainers.image.version" in labels


def test_dockerignore_keeps_the_context_small() -> None:
    lines = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()]
    assert "*" in lines, "allow-list style: exclude everything, then re-include"
    for needed in ("!pyproject.toml", "!shared/", "!services/"):
        assert needed in lines


def test_readme_documents_every_value() -> None:
    """Each key of values.yaml (services.<name> for the five services) has a row in the README's table;
    Kubernetes objects (selectors, resources, security contexts) have one row as a whole."""
    documented = set()
    for line in (CHART / "README.md").read_text().splitlines():
        if not line.startswith("| `"):
            continue
        first, *others = re.findall(r"`([^`]+)`", line.split("|")[1])
        documented.add(first)
        documented.update(first.rsplit(".", 1)[0] + other for other in others if other.startswith("."))
    values = yaml.safe_load((CHART / "values.yaml").read_text())

    def paths(node: Any, prefix: tuple[str, ...]) -> list[tuple[str, ...]]:
        if isinstance(node, dict) and node:
            return [p for key, child in node.items() for p in paths(child, (*prefix, str(key)))]
        return [prefix]

    missing = set()
    for path in paths(values, ()):
        if path[0] == "services":
            path = ("services", "<name>", *path[2:])
        if not any(".".join(path[:n]) in documented for n in range(1, len(path) + 1)):
            missing.add(".".join(path))
    assert not missing, f"not in {CHART.name}/README.md: {sorted(missing)}"
