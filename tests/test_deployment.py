"""docker-compose.yml cannot be run here (no Docker engine); check what it says against what runs here."""
from __future__ import annotations

import subprocess
import sys

import yaml

from service.config import ENVIRONMENT, PROJECT_ROOT
from service.runner import web_command


def _compose() -> dict:
    return yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_services_with_health_checks():
    services = _compose()["services"]
    assert {"web", "worker", "scheduler", "redis", "postgres", "migrate"} <= set(services)
    for name in ("web", "worker", "scheduler", "redis", "postgres"):
        assert "healthcheck" in services[name], name
    # One image for web, workers and scheduler; workers scale (no fixed container name or port).
    assert services["web"]["image"] == services["worker"]["image"] == services["scheduler"]["image"]
    assert "container_name" not in services["worker"] and "ports" not in services["worker"]
    assert "--appendonly" in services["redis"]["command"] and "yes" in services["redis"]["command"]


def test_compose_environment_names_only_real_settings():
    known = {var for var, *_ in ENVIRONMENT}
    for name, service in _compose()["services"].items():
        if name in ("postgres", "redis"):
            continue  # their own images' variables
        for var in (service.get("environment") or {}):
            assert var in known, f"{name} sets unknown variable {var}"


def test_compose_commands_exist_here():
    services = _compose()["services"]
    checks = [
        services["migrate"]["command"][:4] + ["--help"],
        services["worker"]["command"][:4] + ["--help"],
        [sys.executable, "-m", "rq.cli", "cron", "--help"],
    ]
    for command in checks:
        if command[0] == "python":
            command = [sys.executable, *command[1:]]
        result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True)
        assert result.returncode == 0, (command, result.stderr)
    assert services["scheduler"]["command"][-1] == "workers.cron"
    assert "service.rsgi:app" in services["web"]["command"] and services["web"]["command"][0] == "granian"
    granian = subprocess.run([sys.executable, "-m", "granian", "--help"], capture_output=True, text=True)
    for option in ("--interface", "--http1-header-read-timeout", "--no-ws", "--task-impl", "--loop",
                   "--respawn-failed-workers"):
        assert option in services["web"]["command"] and option in granian.stdout
    # Each request an asyncio task, which the body gate's deadlines cancel (service/body_gate.py).
    assert services["web"]["command"][services["web"]["command"].index("--task-impl") + 1] == "asyncio"
    # The event loop the benchmarks measure, not granian's "auto", which depends on what is installed.
    assert services["web"]["command"][services["web"]["command"].index("--loop") + 1] == "uvloop"
    # The image serves what docker-compose serves, and what `python -m service run` serves.
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    assert '"--interface", "rsgi"' in dockerfile and '"service.rsgi:app"' in dockerfile
    assert '"--task-impl", "asyncio", "--loop", "uvloop"' in dockerfile
    served = web_command(8000, 1)
    assert served[served.index("--loop") + 1] == "uvloop"
    assert (PROJECT_ROOT / "workers" / "cron.py").exists() and (PROJECT_ROOT / "service" / "rsgi.py").exists()
    # The reverse proxy's example buffers bodies and bounds slow clients.
    nginx = (PROJECT_ROOT / "docs" / "nginx.conf").read_text()
    for directive in ("proxy_request_buffering on", "client_body_timeout", "client_header_timeout", "limit_conn"):
        assert directive in nginx


def test_env_example_names_every_variable_compose_reads_and_only_real_settings():
    import re

    example = (PROJECT_ROOT / ".env.example").read_text()
    given = set(re.findall(r"^([A-Z_]+)=", example, flags=re.MULTILINE))
    read = set(re.findall(r"\$\{([A-Z_]+)", (PROJECT_ROOT / "docker-compose.yml").read_text()))
    assert read == given
    assert given <= {var for var, *_ in ENVIRONMENT}


def test_the_image_requirements_cover_every_import_of_the_service_and_the_workers():
    """requirements.txt (what the image installs) provides every third-party module service/ and workers/ import."""
    import ast
    import importlib.metadata
    import re
    import sys

    providers = importlib.metadata.packages_distributions()
    listed = set()
    for line in (PROJECT_ROOT / "requirements.txt").read_text().splitlines():
        name = re.split(r"[=<>\[ ;]", line.strip(), maxsplit=1)[0]
        if name and not name.startswith("#"):
            listed.add(re.sub(r"[-_.]+", "-", name).lower())
    missing = {}
    for folder in ("service", "workers"):
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                         else [])
                for name in names:
                    top = name.split(".")[0]
                    if top in sys.stdlib_module_names or top in ("service", "workers", "migrations"):
                        continue
                    dists = {re.sub(r"[-_.]+", "-", d).lower() for d in providers.get(top, [])}
                    # A module may come with a listed package's own dependencies (jinja2 with flask).
                    if not dists & listed and not any(_requires(d, listed) for d in dists):
                        missing.setdefault(top, str(path.relative_to(PROJECT_ROOT)))
    assert missing == {}


def _requires(dist: str, listed: set[str]) -> bool:
    """Tell whether a listed distribution depends, directly or not, on `dist`."""
    import importlib.metadata
    import re

    seen, todo = set(), list(listed)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for req in requires:
            if "extra ==" in req:
                continue
            todo.append(re.sub(r"[-_.]+", "-", re.split(r"[=<>\[ ;!~(]", req, maxsplit=1)[0]).lower())
    return dist in seen
