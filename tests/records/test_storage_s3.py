"""Files on a real S3-compatible server over HTTP (versitygw, or moto's standalone server as fallback)."""
import os
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

from django.core.files.base import ContentFile
from storages.backends.s3 import S3Storage

from tests.conftest import s3_env

ROOT = Path(__file__).resolve().parent.parent.parent


def _storage():
    env = s3_env()
    return S3Storage(bucket_name=env["AWS_STORAGE_BUCKET_NAME"], endpoint_url=env["AWS_S3_ENDPOINT_URL"],
                     access_key=env["AWS_ACCESS_KEY_ID"], secret_key=env["AWS_SECRET_ACCESS_KEY"],
                     region_name=env["AWS_S3_REGION_NAME"], addressing_style="path", signature_version="s3v4",
                     file_overwrite=False, default_acl=None)


def test_save_read_list_delete_over_http():
    storage = _storage()
    name = f"tests/{uuid.uuid4().hex}/扫描件 001.pdf"
    body = b"%PDF-1.4 test \xe4\xb8\xad"
    saved = storage.save(name, ContentFile(body))
    try:
        assert storage.exists(saved)
        assert storage.open(saved).read() == body
        assert storage.size(saved) == len(body)
        # a second save with the same name never overwrites the first
        second = storage.save(name, ContentFile(b"other"))
        assert second != saved and storage.open(saved).read() == body
        storage.delete(second)
        # the signed URL works for a plain HTTP client
        with urllib.request.urlopen(storage.url(saved), timeout=10) as response:
            assert response.read() == body
    finally:
        storage.delete(saved)
    assert not storage.exists(saved)


def test_large_file_multipart():
    storage = _storage()
    body = os.urandom(12 * 1024 * 1024)
    saved = storage.save(f"tests/{uuid.uuid4().hex}/big.bin", ContentFile(body))
    try:
        assert storage.size(saved) == len(body)
        assert storage.open(saved).read() == body
    finally:
        storage.delete(saved)


def test_app_uses_s3_when_configured(tmp_path):
    """With the AWS_* variables set, the app's default storage is the S3 server (one code base)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DATABASE_URL"))}
    env.update(s3_env())
    env["APP_VAR_DIR"] = str(tmp_path)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    code = (
        "from django.core.files.storage import storages; s = storages['default']; from django.core.files.base import ContentFile;"
        "n = s.save('tests/app-check.txt', ContentFile(b'via-app')); print(type(s).__name__, s.open(n).read());"
        "s.delete(n)"
    )
    result = subprocess.run([sys.executable, "manage.py", "shell", "-v0", "-c", code], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "S3Storage b'via-app'"
    assert not list(tmp_path.glob("media/**/*.txt"))


def test_embedded_default_uses_local_files(settings, tmp_path):
    from django.core.files.storage import storages

    assert settings.S3_BUCKET is None  # the suite itself runs on the embedded default
    storage = storages["default"]
    assert type(storage).__name__ == "FileSystemStorage"
    assert Path(storage.location) == Path(settings.MEDIA_ROOT)
