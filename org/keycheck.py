"""One PII key per database: a process whose key differs from the one the data was written with refuses to
start (config/startup.py), instead of writing lookup hashes nobody finds and failing every reveal.

The database keeps a check value of the key (org.pii.key_check_value: an HMAC under the derived lookup
key, never the key) in org.KeyCheck. The first process that starts against a database without one writes
it: after checking, on a database written before this check existed, that it can decrypt a stored ID
number. Two machines starting at once with different keys: the first insert wins, the other refuses.
"""
from cryptography.exceptions import InvalidTag
from django.apps import apps
from django.db import IntegrityError, connections, transaction

from config.env import ConfigError

NAME = "PII_KEY"
MISMATCH = ("does not match the key this database was written with (another machine's key, or a key "
            "generated on this machine because PII_KEY is not set): set the same PII_KEY on every machine")


def _stored_token(connection):
    """One encrypted ID number as stored, or None: straight from the table, not through the field."""
    from .pii import EncryptedIDField

    tables = set(connection.introspection.table_names())
    quote = connection.ops.quote_name
    for model in apps.get_models():
        if model._meta.db_table not in tables:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedIDField):
                table, column = quote(model._meta.db_table), quote(field.column)
                with connection.cursor() as cur:
                    cur.execute(f"SELECT {column} FROM {table} WHERE {column} LIKE %s LIMIT 1", ["v1:%"])
                    row = cur.fetchone()
                if row:
                    return row[0]
    return None


def check(alias="default"):
    """Compare (or, the first time, record) the key's check value; ConfigError("PII_KEY", …) on a mismatch.
    Nothing to do before the first migration."""
    from . import pii
    from .models import KeyCheck

    connection = connections[alias]
    if KeyCheck._meta.db_table not in connection.introspection.table_names():
        return
    value = pii.key_check_value()
    stored = KeyCheck.objects.using(alias).filter(name=NAME).first()
    if stored is None:
        token = _stored_token(connection)
        if token:
            try:
                pii.decrypt(token)
            except InvalidTag:
                raise ConfigError(NAME, MISMATCH) from None
        try:
            with transaction.atomic(using=alias):
                KeyCheck.objects.using(alias).create(name=NAME, value=value)
            return
        except IntegrityError:  # another process recorded its key meanwhile
            stored = KeyCheck.objects.using(alias).get(name=NAME)
    if stored.value != value:
        raise ConfigError(NAME, MISMATCH)
