"""The production container files match the code: every environment variable the app reads is passed
to web and worker by docker/compose.yaml and documented in docker/.env.example.

Plain pytest, no Django: run with `pytest tests/test_docker_compose.py -p no:django`.
"""
import ast
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCKER = ROOT / "docker"
SCANNED_DIRS = ("config", "org", "records", "archive", "search", "handbook")
ENV_FUNCTIONS = {"get", "require", "get_bool", "get_int", "get_list", "get_url", "get_url_list"}
# Set to a fixed value by compose.yaml itself, so not something to fill in in .env.
SET_BY_COMPOSE = {"DJANGO_SETTINGS_MODULE": "config.settings.production"}


def _is_os_environ(node):
    if isinstance(node, ast.Attribute) and node.attr == "environ":
        return isinstance(node.value, ast.Name) and node.value.id == "os"
    return isinstance(node, ast.Name) and node.id == "environ"


def _first_str_arg(call):
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    return None


def env_names_in_source(source, filename="<string>"):
    """Names read with env.get/require/get_* ("NAME"), os.environ.get/["NAME"] or os.getenv("NAME")."""
    names = set()
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Subscript) and _is_os_environ(node.value):
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                names.add(key.value)
        elif isinstance(node, ast.Call):
            func, name = node.func, _first_str_arg(node)
            if name is None:
                continue
            if isinstance(func, ast.Attribute):
                owner = func.value
                if func.attr in ENV_FUNCTIONS and isinstance(owner, ast.Name) and owner.id == "env":
                    names.add(name)
                elif func.attr in ("get", "setdefault") and _is_os_environ(owner):
                    names.add(name)
                elif func.attr == "getenv" and isinstance(owner, ast.Name) and owner.id == "os":
                    names.add(name)
            elif isinstance(func, ast.Name) and func.id == "getenv":
                names.add(name)
    return names


def env_names_in_project():
    names = set()
    for folder in SCANNED_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if "tests" in rel.parts or path.name.startswith("test_"):
                continue  # test-only switches are not deployment settings
            names |= env_names_in_source(path.read_text(encoding="utf-8"), str(rel))
    return names


def _compose():
    return yaml.safe_load((DOCKER / "compose.yaml").read_text(encoding="utf-8"))


def _environment(service):
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return env


def _env_example_names():
    text = (DOCKER / ".env.example").read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Z][A-Z0-9_]*)=", text, re.MULTILINE))


def test_scanner_finds_every_form():
    source = (
        "import os\nfrom config import env\n"
        'A = env.get("X_TEST")\nB = env.require("X_REQ", )\nC = env.get_bool("X_BOOL", True)\n'
        'D = env.get_url("X_URL", ("http",))\nE = os.environ.get("X_OS")\nF = os.environ["X_ITEM"]\n'
        'G = os.getenv("X_GETENV", "1")\nH = env.get(name)\nI = other.get("NOT_ENV")\n'
    )
    assert env_names_in_source(source) == {"X_TEST", "X_REQ", "X_BOOL", "X_URL", "X_OS", "X_ITEM", "X_GETENV"}


def test_scanner_sees_the_known_settings():
    names = env_names_in_project()
    assert {"SECRET_KEY", "DATABASE_URL", "PII_KEY", "AWS_STORAGE_BUCKET_NAME", "ELASTICSEARCH_URL"} <= names


def test_services_exist():
    services = _compose()["services"]
    for name in ("web", "worker", "db", "elasticsearch", "elasticsearch2", "s3", "createbucket"):
        assert name in services, f"service {name} missing from docker/compose.yaml"
    assert services["db"]["image"].startswith("postgres:15")
    assert "pg_isready" in str(services["db"]["healthcheck"]["test"])
    assert services["s3"]["image"].startswith("versity/versitygw:")
    assert "run_worker" in services["worker"]["command"]
    web_command = " ".join(services["web"]["command"])
    assert "migrate --noinput" in web_command
    assert "gunicorn --config gunicorn.conf.py config.wsgi:application" in web_command


def test_elasticsearch_is_8_19_with_smartcn():
    service = _compose()["services"]["elasticsearch"]
    build = service["build"]
    context = build if isinstance(build, str) else build.get("context", ".")
    dockerfile = build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "Dockerfile"
    text = (DOCKER / context / dockerfile).read_text(encoding="utf-8")
    assert re.search(r"^FROM docker\.elastic\.co/elasticsearch/elasticsearch:8\.19\.\d+\s*$", text, re.MULTILINE)
    assert re.search(r"elasticsearch-plugin install --batch analysis-smartcn", text)
    assert str(_environment(service).get("xpack.security.enabled")).lower() == "false"


def test_elasticsearch_is_a_two_node_cluster_with_a_replica():
    services = _compose()["services"]
    nodes = {name: _environment(services[name]) for name in ("elasticsearch", "elasticsearch2")}
    assert services["elasticsearch2"]["build"] == services["elasticsearch"]["build"]
    names = {env["node.name"] for env in nodes.values()}
    assert len(names) == 2
    assert len({env["cluster.name"] for env in nodes.values()}) == 1
    for name, env in nodes.items():
        assert "discovery.type" not in env, f"{name}: single-node discovery cannot form a cluster"
        other = ({"elasticsearch", "elasticsearch2"} - {name}).pop()
        assert other in str(env["discovery.seed_hosts"]).split(",")
        assert set(str(env["cluster.initial_master_nodes"]).split(",")) == names
    volumes = [tuple(services[name]["volumes"]) for name in nodes]
    assert volumes[0] != volumes[1], "each node needs its own data volume"
    for name in ("web", "worker"):
        app = _environment(services[name])
        urls = app["ELASTICSEARCH_URL"]
        assert "http://elasticsearch:9200" in urls and "http://elasticsearch2:9200" in urls, name
        assert app["SEARCH_INDEX_REPLICAS"] == "${SEARCH_INDEX_REPLICAS:-1}", name
        assert "elasticsearch2" in services[name]["depends_on"]


def test_worker_service_scales():
    services = _compose()["services"]
    worker = services["worker"]
    assert str(worker["deploy"]["replicas"]) in ("${WORKER_REPLICAS:-2}", "2")
    assert "ports" not in worker and "container_name" not in worker, "replicas cannot share a port or name"
    assert "WORKER_REPLICAS=" in (DOCKER / ".env.example").read_text(encoding="utf-8")
    assert "--scale worker=" in (DOCKER / "compose.yaml").read_text(encoding="utf-8")  # documented


def test_gunicorn_timeout_is_above_the_search_timeout():
    conf = {}
    exec((DOCKER / "gunicorn.conf.py").read_text(encoding="utf-8"), conf)  # noqa: S102
    assert conf["timeout"] > 4 * 10  # 4 requests per search at the largest ELASTICSEARCH_TIMEOUT (10 s)
    web_command = " ".join(_compose()["services"]["web"]["command"])
    assert "--config gunicorn.conf.py" in web_command
    dockerfile = (DOCKER / "Dockerfile").read_text(encoding="utf-8")
    assert "docker/gunicorn.conf.py" in dockerfile and '"--config", "gunicorn.conf.py"' in dockerfile


def test_app_services_get_every_variable_the_code_reads():
    names = env_names_in_project() | set(SET_BY_COMPOSE)
    services = _compose()["services"]
    for service in ("web", "worker"):
        assert services[service].get("env_file"), f"{service}: env_file missing"
        env = _environment(services[service])
        missing = sorted(names - set(env))
        assert not missing, f"{service}: add to environment: in docker/compose.yaml: {missing}"
        for name, value in SET_BY_COMPOSE.items():
            assert env[name] == value


def test_env_example_documents_every_variable():
    missing = sorted(env_names_in_project() - set(SET_BY_COMPOSE) - _env_example_names())
    assert not missing, f"add to docker/.env.example (with a comment): {missing}"


def test_app_services_point_at_the_bundled_services():
    env = _environment(_compose()["services"]["web"])
    assert "@db:5432/" in env["DATABASE_URL"]
    assert "http://s3:7070" in env["AWS_S3_ENDPOINT_URL"]
    assert "http://elasticsearch:9200" in env["ELASTICSEARCH_URL"]
    assert "http://elasticsearch2:9200" in env["ELASTICSEARCH_URL"]
