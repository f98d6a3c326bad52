"""Personal data: ID numbers encrypted at rest, a keyed hash for exact lookup, masking, logged reveals.

The key comes from PII_KEY (base64 of 32 bytes). The embedded default generates one into var/pii.key,
which is never committed. From that one secret two keys are derived: one for AES-GCM encryption, one
for the HMAC-SHA256 lookup hash, so the hash cannot be used to decrypt and vice versa.
"""
import base64
import hashlib
import hmac
import os
import secrets
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import models

from config.env import ConfigError

_PREFIX = "v1:"


def _load_master_key():
    raw = settings.PII_KEY
    if not raw:
        path = settings.PII_KEY_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(base64.b64encode(secrets.token_bytes(32)).decode())
        raw = path.read_text().strip()
    try:
        key = base64.b64decode(raw, validate=True)
    except ValueError:
        raise ConfigError("PII_KEY", "not valid base64") from None
    if len(key) != 32:
        raise ConfigError("PII_KEY", f"must decode to 32 bytes, got {len(key)}")
    return key


@lru_cache(maxsize=4)
def _keys(master_fingerprint):
    master = _load_master_key()
    enc = hmac.new(master, b"pii-encryption", hashlib.sha256).digest()
    mac = hmac.new(master, b"pii-lookup-hash", hashlib.sha256).digest()
    return enc, mac


def keys():
    return _keys(settings.PII_KEY or str(settings.PII_KEY_FILE))


def normalise_id(value):
    return "".join(str(value).split()).upper()


def encrypt(plaintext):
    if plaintext in (None, ""):
        return plaintext
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(keys()[0]).encrypt(nonce, plaintext.encode("utf-8"), b"id-number")
    return _PREFIX + base64.b64encode(nonce + sealed).decode("ascii")


def decrypt(token):
    if token in (None, ""):
        return token
    if not token.startswith(_PREFIX):
        raise ValueError("not an encrypted value")
    blob = base64.b64decode(token[len(_PREFIX):])
    return AESGCM(keys()[0]).decrypt(blob[:12], blob[12:], b"id-number").decode("utf-8")


def lookup_hash(value):
    """Keyed hash of the normalised number, for exact-match search without decrypting."""
    if not value:
        return ""
    return hmac.new(keys()[1], normalise_id(value).encode("utf-8"), hashlib.sha256).hexdigest()


def mask(value):
    """First 4 and last 4 characters kept, the rest as *: 5101**********123X."""
    if not value:
        return ""
    value = normalise_id(value)
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


class EncryptedIDField(models.TextField):
    """Stores the value AES-GCM encrypted; Python code sees plain text. Not searchable: use the hash."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value)

    def to_python(self, value):
        if value is None or value == "" or not str(value).startswith(_PREFIX):
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(normalise_id(value))


def reveal(user, obj, field="id_number", request=None, purpose="view"):
    """The value for `user`: full if their role allows it for this object (and the view is logged),
    masked otherwise."""
    from . import access, auditlog

    value = getattr(obj, field)
    if not value:
        return ""
    if not access.can(user, "pii.view_full", obj):
        return mask(value)
    auditlog.record("pii.view_full", actor=user, obj=obj, details={"field": field, "purpose": purpose},
                    request=request)
    return value


def may_reveal(user, obj):
    from . import access

    return access.can(user, "pii.view_full", obj)
