"""deploy/: what can be checked without Docker or a cluster (neither runs here).

The Compose file, the Caddyfile, the Dockerfile and the Kubernetes manifests are read
and held against the project itself: every ``MIPEX_KG_*`` variable is a setting of
``core/settings.py`` and parses, every ``mipex-kg`` command line parses with the real
CLI, the probes name routes the app serves, the proxy's upstreams are the service
copies, the image holds every package folder, and the wait loops the files contain
are run for real against an ``oxigraph serve`` on 127.0.0.1.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mipex_kg import cli
from mipex_kg.settings import Settings

from tests.api.live import live_server
from tests.backends.oxigraph_server import OxigraphServer

yaml = pytest.importorskip("yaml", reason="PyYAML (installed with schemathesis) reads the files")

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SERVICE_COPIES = ["mipex-1", "mipex-2", "mipex-3"]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return document


@pytest.fixture(scope="module")
def manifests() -> dict[tuple[str, str], dict[str, Any]]:
    """The Kubernetes objects by (kind, name)."""
    documents = yaml.safe_load_all((DEPLOY / "kubernetes" / "mipex-kg.yaml").read_text())
    return {(d["kind"], d["metadata"]["name"]): d for d in documents}


def settings_from(environment: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The settings the service would read from ``environment`` (and nothing else)."""
    fields = {f"MIPEX_KG_{name.upper()}" for name in Settings.model_fields}
    unknown = sorted(set(environment) - fields)
    assert not unknown, f"not settings of core/settings.py: {unknown}"
    for name in fields:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return Settings()


def mipex_command(words: list[str]) -> Any:
    """Parse a ``mipex-kg ...`` command line with the real CLI parser."""
    assert words[0] == "mipex-kg"
    return cli._parser().parse_args(words[1:])


@pytest.fixture(scope="module")
def served() -> Iterator[set[str]]:
    """The probe paths (``/health``, ``/ready``) a running service answers with 200."""
    with live_server() as running:
        yield {path for path in ("/health", "/ready")
               if running.http.get(running.url + path).status_code == 200}


# --- Compose ---------------------------------------------------------------------------


def test_compose_has_one_store_a_loader_the_copies_and_a_proxy(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert sorted(services) == sorted(["oxigraph", "loader", "proxy", *SERVICE_COPIES])
    assert services["oxigraph"]["image"].startswith("ghcr.io/oxigraph/oxigraph:")
    assert "ports" not in services["oxigraph"]  # the store has no login: never published
    assert services["proxy"]["ports"] == ["8080:80"]
    for copy in SERVICE_COPIES:
        assert services[copy]["depends_on"] == {
            "loader": {"condition": "service_completed_successfully"}}
        assert services["proxy"]["depends_on"][copy] == {"condition": "service_healthy"}
    assert services["loader"]["restart"] == "no"


def test_compose_settings_are_the_services_settings(compose: dict[str, Any],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    services = compose["services"]
    proxy_address = services["proxy"]["networks"]["backend"]["ipv4_address"]
    for name in [*SERVICE_COPIES, "loader"]:
        environment = {k: re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", v)  # Compose defaults
                       for k, v in services[name]["environment"].items()}
        settings = settings_from(environment, monkeypatch)
        assert environment["MIPEX_KG_STORE"] == "http://oxigraph:7878"
        if name != "loader":
            assert settings.trusted_proxies == [proxy_address]
            assert settings.query_workers == 2


def test_compose_commands_parse_with_the_cli(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for copy in SERVICE_COPIES:
        serve = mipex_command(services[copy]["command"])
        assert (serve.command, str(serve.store), serve.host, serve.port) == (
            "serve", "http://oxigraph:7878", "0.0.0.0", 8000)  # a URL: a remote store
    script = services["loader"]["command"][2]
    [load_line] = [line for line in script.splitlines() if "mipex-kg load" in line]
    load = mipex_command(load_line.split()[1:])
    assert load.command == "load" and load.reference
    assert sorted(p.name for p in load.files) == sorted(
        ["mipex_core_2007-2019.xlsx", "mipex_EU_2020-2024.xlsx",
         "policy_indicators_finalwebsite.xlsx"])


def test_health_checks_name_routes_the_app_serves(compose: dict[str, Any],
                                                 served: set[str]) -> None:
    assert served == {"/health", "/ready"}
    check = " ".join(compose["services"]["mipex-1"]["healthcheck"]["test"])
    assert "http://127.0.0.1:8000/ready" in check
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "http://127.0.0.1:8000/health" in dockerfile


def test_the_proxy_balances_over_the_copies_by_readiness(compose: dict[str, Any]) -> None:
    caddyfile = (DEPLOY / "Caddyfile").read_text()
    [upstreams] = re.findall(r"reverse_proxy ([^{]+)\{", caddyfile)
    assert upstreams.split() == [f"{copy}:8000" for copy in SERVICE_COPIES]
    assert re.search(r"^\s*health_uri /ready$", caddyfile, re.MULTILINE)
    # no trusted_proxies directive: it sets X-Forwarded-For from the client it saw
    assert not re.search(r"^\s*trusted_proxies", caddyfile, re.MULTILINE)
    mount = compose["services"]["proxy"]["volumes"][0]
    assert mount.startswith("./Caddyfile:")


def test_the_image_holds_every_package_folder() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    folders = set(project["tool"]["setuptools"]["package-dir"].values())
    roots = {folder.split("/")[0] for folder in folders}
    copied = set(re.findall(r"^COPY (\S+) \./\1$", (DEPLOY / "Dockerfile").read_text(),
                            re.MULTILINE))
    assert roots <= copied, f"not copied into the image: {sorted(roots - copied)}"
    assert project["project"]["readme"] in (DEPLOY / "Dockerfile").read_text()


# --- Kubernetes ------------------------------------------------------------------------


def test_kubernetes_settings_and_commands(manifests: dict[tuple[str, str], dict[str, Any]],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    environment = manifests[("ConfigMap", "mipex-kg-settings")]["data"]
    settings = settings_from(environment, monkeypatch)
    assert settings.trusted_proxies and settings.query_workers == 2
    pod = manifests[("Deployment", "mipex-kg")]["spec"]["template"]["spec"]
    [container] = pod["containers"]
    serve = mipex_command(container["args"])
    assert serve.command == "serve" and serve.port == container["ports"][0]["containerPort"]
    job = manifests[("Job", "mipex-kg-load")]["spec"]["template"]["spec"]
    load = mipex_command(job["containers"][0]["command"])
    assert load.command == "load" and load.reference and len(load.files) == 3


def test_kubernetes_probes_and_wiring(manifests: dict[tuple[str, str], dict[str, Any]],
                                      served: set[str]) -> None:
    deployment = manifests[("Deployment", "mipex-kg")]
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert {container[p]["httpGet"]["path"]
            for p in ("readinessProbe", "livenessProbe", "startupProbe")} <= served
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert manifests[("Service", "mipex-kg")]["spec"]["selector"].items() <= labels.items()
    # the store's network policy lets in the copies and the load job, nobody else
    allowed = manifests[("NetworkPolicy", "oxigraph-clients")]["spec"]["ingress"][0]["from"][0]
    job_labels = manifests[("Job", "mipex-kg-load")]["spec"]["template"]["metadata"]["labels"]
    for pod_labels in (labels, job_labels):
        assert allowed["podSelector"]["matchLabels"].items() <= pod_labels.items()
    store = manifests[("StatefulSet", "oxigraph")]["spec"]["template"]["metadata"]["labels"]
    assert manifests[("Service", "oxigraph")]["spec"]["selector"].items() <= store.items()
    assert not allowed["podSelector"]["matchLabels"].items() <= store.items()


# --- the wait loops, for real ----------------------------------------------------------


@pytest.fixture
def oxigraph_base(tmp_path: Path) -> Iterator[str]:
    """A running ``oxigraph serve`` on 127.0.0.1 (PyPI oxigraph); its base URL."""
    server = OxigraphServer.start(tmp_path / "db")
    try:
        yield server.url
    finally:
        server.stop()


def test_the_copies_wait_for_data_before_they_start(
        manifests: dict[tuple[str, str], dict[str, Any]], oxigraph_base: str) -> None:
    pod = manifests[("Deployment", "mipex-kg")]["spec"]["template"]["spec"]
    [wait] = pod["initContainers"]
    script = wait["command"][2].replace("http://oxigraph:7878", oxigraph_base)
    with pytest.raises(subprocess.TimeoutExpired):  # an empty store: it keeps waiting
        subprocess.run([sys.executable, "-c", script], timeout=3, check=False)
    httpx.post(f"{oxigraph_base}/update", timeout=30, data={
        "update": "INSERT DATA { GRAPH <urn:g> { <urn:s> <urn:p> <urn:o> } }"}
               ).raise_for_status()
    finished = subprocess.run([sys.executable, "-c", script], timeout=60, check=False)
    assert finished.returncode == 0


def test_the_loader_waits_for_the_store(compose: dict[str, Any], oxigraph_base: str) -> None:
    script = compose["services"]["loader"]["command"][2]
    [wait_line] = [line for line in script.splitlines() if line.startswith("until ")]
    finished = subprocess.run(
        ["sh", "-c", wait_line.replace("http://oxigraph:7878", oxigraph_base)],
        timeout=60, check=False)
    assert finished.returncode == 0
