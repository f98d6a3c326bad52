"""The act of destruction on the S3 server: the objects are gone from the bucket, and a storage failure
after the commit leaves the names listed until `retention purge` deletes them."""
import datetime
import uuid
from io import StringIO

import boto3
import pytest
from botocore.config import Config
from django.core.management import call_command

from archive import destruction
from archive.base import ChainError
from archive.models import DestructionItem
from records.models import Record
from records.storage import customer_files
from tests.conftest import s3_env
from tests.retention_support import PASSWORD, import_rows, old_record, volume_of, with_objects

pytestmark = pytest.mark.django_db
ON = datetime.date(2026, 11, 30)


def _options(endpoint=None):
    env = s3_env()
    return {"bucket_name": env["AWS_STORAGE_BUCKET_NAME"], "endpoint_url": endpoint or env["AWS_S3_ENDPOINT_URL"],
            "access_key": env["AWS_ACCESS_KEY_ID"], "secret_key": env["AWS_SECRET_ACCESS_KEY"],
            "region_name": env["AWS_S3_REGION_NAME"], "addressing_style": "path", "signature_version": "s3v4",
            "default_acl": None, "file_overwrite": False, "location": f"retention-{uuid.uuid4().hex}",
            "client_config": Config(connect_timeout=2, read_timeout=5, retries={"total_max_attempts": 1})}


def _use(settings, options):
    settings.STORAGES = {**settings.STORAGES, "records": {"BACKEND": "records.storage.PrivateS3Storage",
                                                          "OPTIONS": options}}


def _in_bucket(options):
    env = s3_env()
    client = boto3.client("s3", endpoint_url=env["AWS_S3_ENDPOINT_URL"], aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                          aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"], region_name=env["AWS_S3_REGION_NAME"])
    found = client.list_objects_v2(Bucket=options["bucket_name"], Prefix=options["location"] + "/")
    return sorted(o["Key"][len(options["location"]) + 1:] for o in found.get("Contents", []))


def _approved(make_record, users):
    records = [old_record(make_record, f"1370000{n:04d}", f"51030219700101{n:04d}") for n in range(2)]
    import_rows(users("archivist"), *[(r.service_number, "", "销户", "2024-01-02") for r in records])
    volume_of(records, number="V-S3-001")
    names = [n for r in records for n in with_objects(Record.objects.get(pk=r.pk))]
    lst = destruction.Draw(users("archivist"), ON).run()
    for item in lst.items.all():
        destruction.Appraise(users("archivist"), item, DestructionItem.Decision.DESTROY).run()
    return records, names, destruction.Approve(users("gm"), PASSWORD, lst).run()


def test_objects_are_gone_from_the_bucket(settings, make_record, users):
    options = _options()
    _use(settings, options)
    assert type(customer_files()).__name__ == "PrivateS3Storage"
    records, names, lst = _approved(make_record, users)
    assert _in_bucket(options) == sorted(names) and len(names) == 6
    lst = destruction.Execute(users("archivist"), PASSWORD, lst, users("office"), users("depthead")).run()
    assert _in_bucket(options) == [] and lst.storage_pending == []
    assert all(Record.objects.get(pk=r.pk).status == Record.Status.DESTROYED for r in records)


def test_a_storage_failure_after_the_commit_is_said_and_finished_by_purge(settings, make_record, users):
    options = _options()
    _use(settings, options)
    records, names, lst = _approved(make_record, users)
    _use(settings, {**options, "endpoint_url": "http://127.0.0.1:9"})  # nothing listens: the storage is down
    with pytest.raises(ChainError, match="retention purge"):
        destruction.Execute(users("archivist"), PASSWORD, lst, users("office"), users("depthead")).run()
    lst.refresh_from_db()
    assert sorted(lst.storage_pending) == sorted(names) and _in_bucket(options) == sorted(names)
    assert all(Record.objects.get(pk=r.pk).status == Record.Status.DESTROYED for r in records)
    _use(settings, options)
    out = StringIO()
    call_command("retention", "purge", lst.number, "--as", "archivist", stdout=out)
    lst.refresh_from_db()
    assert lst.storage_pending == [] and _in_bucket(options) == [] and "全部删除" in out.getvalue()
