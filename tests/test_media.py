"""Customer files are never reachable through a media URL, whatever the path trick and whatever the
settings; only the public folders (handbook illustrations) are served, to handbook readers, on the embedded
default. Checked against a running server with raw request targets (what curl --path-as-is sends)."""
import pytest

from config import media
from tests.running_server import Server, manage, project_env, signed_in_cookie

FILES = {
    "access/H11/1.pdf": b"SECRET-ACCESS-COPY",
    "masters/H11/2026/12/abc.png": b"SECRET-MASTER",
    "pieces/1/00001.pdf": b"SECRET-PIECE",
    "documents/contract.pdf": b"SECRET-DOCUMENT",
    "original_images/logo.png": b"PUBLIC-ILLUSTRATION",
    "images/logo.width-100.png": b"PUBLIC-RENDITION",
}
# Where customer files live now: var/records, beside var/media (records/storage.py).
RECORD_FILES = {"access/H11/0123456789abcdef0123456789abcdef/1.pdf": b"SECRET-RECORDS-ACCESS"}
SECRETS = [body for name, body in {**FILES, **RECORD_FILES}.items() if body.startswith(b"SECRET")]

TRICKS = [
    "/media/access/H11/1.pdf",
    "/media/./access/H11/1.pdf",
    "/media/%2e/access/H11/1.pdf",
    "/media/%2E/access/H11/1.pdf",
    "/media/%2E%2Faccess/H11/1.pdf",
    "/media/.%2Faccess/H11/1.pdf",
    "/media//access/H11/1.pdf",
    "/media/%2Faccess/H11/1.pdf",
    "/media/original_images/../access/H11/1.pdf",
    "/media/x/../access/H11/1.pdf",
    "/media/original_images/%2e%2e/access/H11/1.pdf",
    "/media/original_images/..%2Faccess/H11/1.pdf",
    "/media/original_images/%2E%2E%2Faccess%2FH11%2F1.pdf",
    "/media/original_images/./../access/H11/1.pdf",
    "/media/original_images\\..\\access\\H11\\1.pdf",
    "/media/original_images%5C..%5Caccess%5CH11%5C1.pdf",
    "/media/.\\access\\H11\\1.pdf",
    "/media/access/H11/./1.pdf",
    "/media/ACCESS/H11/1.pdf",
    "/media/masters/H11/2026/12/abc.png",
    "/media/./masters/H11/2026/12/abc.png",
    "/media/%2e/masters/H11/2026/12/abc.png",
    "/media/pieces/1/00001.pdf",
    "/media/%2e/pieces/1/00001.pdf",
    "/media/documents/contract.pdf",
    "/media/%2e/documents/contract.pdf",
    "/media/images/../documents/contract.pdf",
    "/media/original_images/%00/../../access/H11/1.pdf",
    "/media/../records/access/H11/0123456789abcdef0123456789abcdef/1.pdf",
    "/media/%2e%2e/records/access/H11/0123456789abcdef0123456789abcdef/1.pdf",
    "/media/%2E%2E%2Frecords%2Faccess/H11/0123456789abcdef0123456789abcdef/1.pdf",
    "/media/original_images/../../records/access/H11/0123456789abcdef0123456789abcdef/1.pdf",
    "/media/original_images/..%2F..%2Frecords/access/H11/0123456789abcdef0123456789abcdef/1.pdf",
    "/records/access/H11/0123456789abcdef0123456789abcdef/1.pdf",
]


@pytest.fixture(scope="module")
def project(tmp_path_factory, embedded_templates):
    """An embedded-default project folder with a migrated database and files in every media folder. It does
    not touch the test database, so it runs once, in the SQLite pass."""
    from tests.conftest import on_postgres

    if on_postgres():
        pytest.skip("database-independent; runs in the SQLite pass")
    var = tmp_path_factory.mktemp("var")
    env = project_env(var)
    embedded_templates.copy(var)
    for folder, files in (("media", FILES), ("records", RECORD_FILES)):
        for name, body in files.items():
            path = var / folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
    return {"var": var, "env": env, "cookie": signed_in_cookie(env)}


@pytest.fixture(scope="module")
def embedded(project):
    """`make run`'s settings (config.settings.dev, no DJANGO_DEBUG) plus one URL that raises."""
    server = Server(project_env(project["var"], "tests.embedded_settings"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def production(project):
    server = Server(project_env(project["var"], "config.settings.production", ALLOWED_HOSTS="127.0.0.1",
                                PII_KEY=(project["var"] / "pii.key").read_text().strip(),  # the database's key
                                SECURE_SSL_REDIRECT="false"))
    yield server
    server.stop()


def _refused(answer):
    status, headers, body = answer
    assert status in (400, 404), (status, body[:200])
    assert not any(secret in body for secret in SECRETS)


@pytest.mark.parametrize("target", TRICKS)
def test_customer_files_never_served_anonymous(embedded, target):
    _refused(embedded.get(target))


@pytest.mark.parametrize("target", TRICKS)
def test_customer_files_never_served_signed_in(embedded, project, target):
    """Even a superuser's session opens no customer file here: only the logged download views do."""
    _refused(embedded.get(target, cookie=project["cookie"]))


def test_illustrations_served_to_readers_only(embedded, project):
    for target, body in [("/media/original_images/logo.png", b"PUBLIC-ILLUSTRATION"),
                         ("/media/images/logo.width-100.png", b"PUBLIC-RENDITION")]:
        status, headers, served = embedded.get(target, cookie=project["cookie"])
        assert (status, served) == (200, body)
        assert embedded.get(target)[0] == 404  # anonymous


def test_production_serves_nothing_under_media(production, project):
    for target in TRICKS + ["/media/original_images/logo.png", "/media/images/logo.width-100.png"]:
        for cookie in (None, project["cookie"]):
            status, headers, body = production.get(target, cookie=cookie)
            assert status in (400, 404), (target, status)
            assert not any(content in body for content in [*FILES.values(), *RECORD_FILES.values()])


def test_embedded_default_has_no_debug_pages(embedded, project):
    """`make run` answers errors with the plain Chinese pages: no traceback, no settings, no URL list."""
    status, headers, body = embedded.get("/test-fails/", cookie=project["cookie"])
    text = body.decode()
    assert status == 500
    assert "系统出错了" in text
    for leak in ("Traceback", "secret-internal-detail", "RuntimeError", "SECRET_KEY", "embedded_urls"):
        assert leak not in text
    status, headers, body = embedded.get("/media/%2e/access/H11/1.pdf")
    text = body.decode()
    assert status == 404 and "页面不存在" in text
    assert "URLconf" not in text and "Traceback" not in text and "Using the URLconf" not in text


def test_static_files_and_sign_in_page_without_debug(embedded):
    status, headers, body = embedded.get("/static/wagtailadmin/css/core.css")
    assert status == 200 and body
    status, headers, body = embedded.get("/admin/login/")
    assert status == 200 and b"/static/wagtailadmin/" in body


def test_a_link_inside_a_public_folder_is_not_followed(client, settings, tmp_path, users):
    """A symbolic link under original_images/ pointing at a customer file is refused (resolved first)."""
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "access").mkdir()
    (tmp_path / "access" / "1.pdf").write_bytes(b"SECRET-ACCESS-COPY")
    (tmp_path / "original_images").mkdir()
    (tmp_path / "original_images" / "real.png").write_bytes(b"PUBLIC")
    (tmp_path / "original_images" / "link.png").symlink_to(tmp_path / "access" / "1.pdf")
    client.force_login(users("clerk-H11"))
    assert client.get("/media/original_images/link.png").status_code == 404
    response = client.get("/media/original_images/real.png")
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"PUBLIC"


def test_debug_is_an_opt_in(tmp_path):
    code = "from django.conf import settings; print(settings.DEBUG)"
    assert manage(project_env(tmp_path), "shell", "-v0", "-c", code).split()[-1] == "False"
    assert manage(project_env(tmp_path, DJANGO_DEBUG="1"), "shell", "-v0", "-c", code).split()[-1] == "True"


@pytest.mark.parametrize("path", ["original_images/logo.png", "images/a/b.png"])
def test_clean_path_keeps_plain_public_paths(path):
    assert media.clean_path(path) == path


@pytest.mark.parametrize("path", ["", "access/H11/1.pdf", "./access/x", "original_images/../access/x",
                                  "original_images//x", "/original_images/x", "original_images\\x",
                                  "original_images/.", "original_images", "original_images/", "documents/x.pdf"])
def test_clean_path_refuses_everything_else(path):
    assert media.clean_path(path) is None
