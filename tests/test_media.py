"""Development media serving (`make run`) never hands out customer files: they go through the scoped,
logged download views only."""
import importlib

import pytest
from django.http import Http404
from django.test import RequestFactory
from django.urls import resolve

from config import media


@pytest.fixture
def media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    for name in ("access/H11/1.pdf", "masters/H11/2026/12/abc.png", "pieces/1/00001.pdf", "original_images/logo.png"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"data")
    return tmp_path


@pytest.mark.parametrize("path", ["access/H11/1.pdf", "masters/H11/2026/12/abc.png", "pieces/1/00001.pdf",
                                  "/access/H11/1.pdf", "original_images/../access/H11/1.pdf"])
def test_customer_files_are_not_served(media_root, path):
    with pytest.raises(Http404):
        media.public_media(RequestFactory().get("/media/" + path), path)


def test_other_uploads_are_served(media_root):
    response = media.public_media(RequestFactory().get("/media/original_images/logo.png"), "original_images/logo.png")
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"data"


def test_development_urls_use_it(settings):
    import config.urls

    settings.DEBUG = True
    try:
        importlib.reload(config.urls)
        match = resolve("/media/access/H11/1.pdf", urlconf=config.urls)
        assert match.func is media.public_media
    finally:
        settings.DEBUG = False
        importlib.reload(config.urls)
