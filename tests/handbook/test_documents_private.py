"""Wagtail documents (/documents/<id>/<name>) are for signed-in handbook readers only
(handbook/wagtail_hooks.py, WAGTAILDOCS_SERVE_METHOD = "serve_view")."""
from django.core.files.base import ContentFile
from wagtail.documents import get_document_model

from org.models import User


def _document(db):
    document = get_document_model()(title="内部规定")
    document.file.save("rules.txt", ContentFile("内部规定全文".encode()), save=False)
    document.save()
    return document


def test_anonymous_is_sent_to_sign_in(client, org_demo):
    document = _document(org_demo)
    response = client.get(document.url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


def test_signed_in_reader_gets_it(client, users):
    document = _document(None)
    client.force_login(users("clerk-H11"))
    response = client.get(document.url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).decode() == "内部规定全文"
    assert "no-store" in response["Cache-Control"]


def test_signed_in_without_a_role_is_refused(client, org_demo):
    document = _document(org_demo)
    client.force_login(User.objects.create_user("no-role", password="x-Pass-2026-long"))
    assert client.get(document.url).status_code == 403


def test_the_file_is_not_under_a_public_media_folder(org_demo):
    from config.media import clean_path

    assert clean_path(_document(org_demo).file.name) is None
