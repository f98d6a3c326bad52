"""Customer files live in their own storage outside MEDIA_ROOT, under names that cannot be guessed
(records/storage.py), and files of the old layout are moved there by the migration."""
import importlib
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile

from org.models import Hall
from records import intake, ocr
from records.models import Record, Scan
from records.storage import customer_files, piece_name
from tests.scans import form_lines, form_page

RANDOM = r"[0-9a-f]{32}"


def _png(seed):
    buffer = io.BytesIO()
    form_page(form_lines(), seed=seed).save(buffer, "PNG", dpi=(300, 300))
    return buffer.getvalue()


def _ingest(users, data, name):
    return intake.ingest(users("clerk-H11"), hall=Hall.objects.get(code="H11"), clerk=users("clerk-H11"),
                         fileobj=io.BytesIO(data), name=name, channel=Record.Channel.COMMAND)


def test_masters_and_access_copies_have_random_names_outside_media(users):
    first, second = _ingest(users, _png(1), "a.png"), _ingest(users, _png(2), "b.png")
    names = [r.scans.get().master.name for r in (first, second)]
    for name, record in zip(names, (first, second)):
        scan = record.scans.get()
        assert re.fullmatch(rf"masters/H11/\d{{4}}/\d{{2}}/{RANDOM}/{scan.sha256}\.png", name), name
        assert (Path(settings.RECORDS_ROOT) / name).is_file()
        assert not (Path(settings.MEDIA_ROOT) / name).exists()
    assert names[0].split("/")[4] != names[1].split("/")[4]
    first.access_copy.save(f"H11/{first.pk}.pdf", ContentFile(b"%PDF-1.4"), save=True)
    assert re.fullmatch(rf"access/H11/{RANDOM}/{first.pk}\.pdf", first.access_copy.name)
    assert (Path(settings.RECORDS_ROOT) / first.access_copy.name).is_file()
    assert not any(p.is_file() for p in Path(settings.MEDIA_ROOT).rglob("*") if "access" in p.parts)


def test_customer_files_have_no_url(users):
    record = _ingest(users, _png(3), "c.png")
    with pytest.raises(ValueError):
        record.scans.get().master.url


def test_piece_names_are_keyed(make_record, settings):
    record = make_record("H11")
    name = ocr._piece_name(record, 1)
    assert re.fullmatch(rf"pieces/{record.pk}-{RANDOM}/00001\.pdf", name)
    assert ocr._piece_name(record, 1) == name  # a resumed worker finds its pieces again
    settings.SECRET_KEY = "another-" + "k" * 50
    assert piece_name(record.pk, 1) != name  # not derivable without the project's secret


def test_migration_moves_old_files_out_of_media(tmp_path, settings):
    media, records = tmp_path / "media", tmp_path / "records"
    for name in ("masters/H11/2026/11/x.png", "access/H11/7.pdf", "pieces/7/00001.pdf", "original_images/a.png"):
        (media / name).parent.mkdir(parents=True, exist_ok=True)
        (media / name).write_bytes(name.encode())
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                                          "OPTIONS": {"location": media}},
                         "records": {"BACKEND": "records.storage.PrivateFileSystemStorage",
                                     "OPTIONS": {"location": records}}}
    migration = importlib.import_module("records.migrations.0005_customer_files_private_storage")
    migration.move_customer_files(None, None)
    assert (records / "access/H11/7.pdf").read_bytes() == b"access/H11/7.pdf"
    assert (records / "masters/H11/2026/11/x.png").is_file() and (records / "pieces/7/00001.pdf").is_file()
    assert sorted(p.name for p in media.iterdir()) == ["original_images"]


def test_storage_of_the_fields_is_the_customer_storage():
    for field in (Record._meta.get_field("access_copy"), Scan._meta.get_field("master")):
        assert type(field.storage) is type(customer_files())
        assert Path(field.storage.location).resolve() == Path(settings.RECORDS_ROOT).resolve()
    assert not Path(settings.RECORDS_ROOT).resolve().is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert not Path(settings.MEDIA_ROOT).resolve().is_relative_to(Path(settings.RECORDS_ROOT).resolve())


@pytest.fixture(autouse=True)
def _db(org_demo):
    return org_demo


