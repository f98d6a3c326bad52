"""Customer files get their own storage outside MEDIA_ROOT (records/storage.py). Files saved before lay under
MEDIA_ROOT: on local storage they are moved over with the same names (so the rows stay right) and the media
folder keeps none. On S3 both storages are the same private bucket and nothing moves."""
import shutil
from pathlib import Path

from django.db import migrations, models

import records.storage

FOLDERS = ("masters", "access", "pieces")


def move_customer_files(apps, schema_editor):
    from django.core.files.storage import FileSystemStorage, storages

    source, target = storages["default"], storages["records"]
    if not (isinstance(source, FileSystemStorage) and isinstance(target, FileSystemStorage)):
        return
    old, new = Path(source.location), Path(target.location)
    if old.resolve() == new.resolve():
        return
    for folder in FOLDERS:
        top = old / folder
        if not top.is_dir():
            continue
        for path in sorted(p for p in top.rglob("*") if p.is_file() and not p.is_symlink()):
            dest = new / path.relative_to(old)
            if not dest.exists():
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(path, dest)
        for directory in sorted((d for d in top.rglob("*") if d.is_dir()), reverse=True) + [top]:
            if not any(directory.iterdir()):
                directory.rmdir()


class Migration(migrations.Migration):

    dependencies = [
        ('records', '0004_ocr_attempts_label'),
    ]

    operations = [
        migrations.AlterField(
            model_name='record',
            name='access_copy',
            field=models.FileField(blank=True, max_length=255, storage=records.storage.customer_files, upload_to=records.storage.access_copy_name, verbose_name='Access copy (searchable PDF)'),
        ),
        migrations.AlterField(
            model_name='scan',
            name='master',
            field=models.FileField(max_length=255, storage=records.storage.customer_files, upload_to=records.storage.master_name, verbose_name='Preservation master'),
        ),
        migrations.RunPython(move_customer_files, migrations.RunPython.noop),
    ]
