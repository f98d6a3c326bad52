"""Personal data: ID numbers encrypted at rest, a keyed hash for exact lookup, masking, logged reveals.

mask_text() masks every ID-like run of digits inside free text (OCR text): what the search index, its
snippets and every search result are built from. Its rule is written down at the function.

The key comes from PII_KEY (base64 of 32 bytes). The embedded default generates one into var/pii.key,
which is never committed. Every machine of one deployment needs the same key: the database remembers a
check value of the key it was written with and a process with another key refuses to start
(org/keycheck.py). From that one secret two keys are derived: one for AES-GCM encryption, one
for the HMAC-SHA256 lookup hash, so the hash cannot be used to decrypt and vice versa.
"""
import base64
import hashlib
import hmac
import os
import re
import secrets
import unicodedata
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


def key_check_value():
    """A fingerprint of the key, stored in the database (org/keycheck.py): HMAC of a fixed label under the
    derived lookup key, so it tells two keys apart without revealing either."""
    return hmac.new(keys()[1], b"pii-key-check-v1", hashlib.sha256).hexdigest()


def normalise_id(value):
    """Without spaces, in capitals, full-width digits and letters as ASCII (NFKC)."""
    return "".join(unicodedata.normalize("NFKC", str(value)).split()).upper()


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


ID_TAIL = 6  # the last characters of an ID number people type to find a file (5 digits and the check X)


def id_tail(value):
    """The last ID_TAIL characters of an ID number, normalised; "" for a value too short to have them."""
    value = normalise_id(value or "")
    return value[-ID_TAIL:] if len(value) >= 15 else ""


def tail_hash(tail):
    """Keyed hash of an ID number's tail (id_tail), for the search index: the tail is never stored in clear
    there (a separate label from lookup_hash, so a tail's hash never equals a whole number's)."""
    if not tail:
        return ""
    return hmac.new(keys()[1], b"id-tail:" + normalise_id(tail).encode("utf-8"), hashlib.sha256).hexdigest()


def mask(value):
    """First 4 and last 4 characters kept, the rest as *: 5101**********123X."""
    if not value:
        return ""
    value = normalise_id(value)
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_name(value):
    """A customer's name in the event log: its first character kept, the rest as *: 张**."""
    value = (value or "").strip()
    return value[:1] + "*" * (len(value) - 1) if value else ""


def mask_phone(value):
    """A service number in the event log: 138****1234 (a value shorter than 8 is all *)."""
    value = (value or "").strip()
    return value[:3] + "*" * (len(value) - 7) + value[-4:] if len(value) >= 8 else "*" * len(value)


# --- ID numbers inside free text ------------------------------------------------------------------------

_LINE_BREAKS = set("\n\v\f\x1c\x1d\x1e\x85\u2028\u2029")
_SEPARATORS = set("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63.\u00b7\u30fb\uff65")  # dashes, dots
_CONFUSED = {"O": "0", "o": "0", "D": "0", "Q": "0", "I": "1", "l": "1", "|": "1", "Z": "2", "S": "5", "B": "8"}
_MAX_GAP = 3  # separator characters between two groups of one run
_MOBILE = re.compile(r"1[3-9]\d{9}")
_ID_QUERY = re.compile(r"\d{17}[\dX]|\d{15}")


@lru_cache(maxsize=1)
def _candidate():
    """A pattern for stretches of text that may hold an ID-like run: every character that NFKC makes a digit,
    an X, a space, a dash or a dot, and the letters OCR confuses with digits. Only these stretches are
    looked at character by character (most OCR text is CJK and skipped at C speed)."""
    chars = set(_CONFUSED) | set(_SEPARATORS) | set(_LINE_BREAKS) | {"X", "x", "\u00d7", "*", "\uff0a"}
    digits = set()
    for block in (range(0x10000), range(0x1D400, 0x1D800), range(0x1F100, 0x1FC00)):
        for code in block:
            char = chr(code)
            norm = unicodedata.normalize("NFKC", char)
            if len(norm) == 1 and "0" <= norm <= "9":
                digits.add(char)
            elif norm in ("X", "x") or norm in _SEPARATORS or norm.isspace():
                chars.add(char)
    def klass(items):
        return "".join(re.escape(c) for c in sorted(items))
    places = digits | set(_CONFUSED) | {"X", "x", "\u00d7", "\uff38", "\uff58", "*", "\uff0a"}
    return re.compile(f"[{klass(chars | digits)}]+"), re.compile(f"[{klass(places)}]")


def _kinds(text):
    """Per character of `text`: its digit ("0"-"9"), "X", "*", " " for a separator, "\\n" for a line break,
    or "" for anything else."""
    kinds, confused = [], {}
    for i, char in enumerate(text):
        norm = unicodedata.normalize("NFKC", char)
        if len(norm) == 1 and "0" <= norm <= "9":
            kinds.append(norm)
        elif norm in ("X", "x", "\u00d7"):
            kinds.append("X")
        elif norm == "*":  # a place masked already: masking twice changes nothing
            kinds.append("*")
        elif char in _LINE_BREAKS:
            kinds.append("\n")
        elif norm.isspace() or norm in _SEPARATORS or char in _SEPARATORS:
            kinds.append(" ")
        else:
            kinds.append("")
            if norm in _CONFUSED:
                confused[i] = _CONFUSED[norm]
    for i, digit in confused.items():  # OCR's O for 0, l for 1 …: only between two digits
        if 0 < i < len(kinds) - 1 and kinds[i - 1].isdigit() and kinds[i + 1].isdigit():
            kinds[i] = digit
    return kinds


def _place(kind):
    return kind.isdigit() or kind == "*"


def _runs(kinds):
    """Runs of digit groups: each run a list of (start, end, digits), groups apart by 1-3 separators of
    which at most one is a line break."""
    runs, run, i, n = [], [], 0, len(kinds)
    while i < n:
        if not _place(kinds[i]):
            i += 1
            continue
        start = i
        while i < n and _place(kinds[i]):
            i += 1
        if i < n and kinds[i] == "X" and not (i + 1 < n and _place(kinds[i + 1])):
            i += 1  # the check character of an 18-character number
        run.append((start, i, "".join(kinds[start:i])))
        gap = i
        while gap < n and kinds[gap] in (" ", "\n"):
            gap += 1
        joined = 1 <= gap - i <= _MAX_GAP and kinds[i:gap].count("\n") <= 1
        if not (joined and gap < n and _place(kinds[gap])):
            runs.append(run)
            run = []
        i = gap
    return runs


def _masked_groups(run):
    """Which groups of a run are masked (see mask_text)."""
    sizes = [len(digits) for _, _, digits in run]
    mobile = [bool(_MOBILE.fullmatch(digits)) for _, _, digits in run]
    masked = [False] * len(run)
    first = 0
    for i in range(len(run) + 1):  # stretches between mobile numbers, 15 or more characters
        if i == len(run) or mobile[i]:
            if sum(sizes[first:i]) >= 15:
                masked[first:i] = [True] * (i - first)
            first = i + 1
    ruled = list(masked)
    for a in range(len(run)):  # exactly 15 or 18 characters across a mobile number's group
        total = 0
        for b in range(a, len(run)):
            total += sizes[b]
            if total > 18:
                break
            window = range(a, b + 1)
            if (total in (15, 18) and any(mobile[k] for k in window)
                    and not any(ruled[k] for k in window if not mobile[k])):
                for k in window:
                    masked[k] = True
    return masked


def mask_text(text):
    """`text` with every ID-like run of digits masked: first 4 and last 4 characters kept (as mask()).

    The rule, for OCR text whatever the layout of the number:
    - Characters are compared after NFKC (full-width digits and letters count as ASCII); the masked form
      replaces the original characters. A letter OCR confuses with a digit (O o D Q I l | Z S B) counts as
      that digit between two digits. X (x, Ｘ, ×) ends a group as the check character.
    - A run is a row of digit groups apart by 1-3 spaces, dashes or dots, of which one may be a line break
      (a number OCR wrapped). Letters, CJK and other characters on either side do not matter
      (`No510302…` is a run).
    - A group that is a mobile number (11 digits, 1[3-9]…) is kept and splits the run. Every other stretch
      of 15 or more characters (15-digit old numbers, 18-character numbers, also 16/17 read with a digit
      lost, bank cards, long codes) is masked, separators included: `5103 0319 9203 0332 13` becomes
      `5103**********3213`. Groups that together with a mobile number's group make exactly 15 or 18
      characters are masked with it (a number OCR split after its 11th digit). A `*` counts as a digit,
      so masked text stays as it is when masked again.
    False positives, accepted: long all-digit transaction numbers and dates or amounts strung together on
    one line (`2026.11.02-2027.11.01`) are masked too; their values stay readable in the named fields.
    """
    if not text:
        return text or ""
    stretches, place = _candidate()
    out, last = [], 0
    for stretch in stretches.finditer(text):
        if len(place.findall(stretch.group())) < 15:  # too few digits (or letters read as one) to mask
            continue
        offset = stretch.start()
        for run in _runs(_kinds(stretch.group())):
            masked = _masked_groups(run)
            i = 0
            while i < len(run):
                if not masked[i]:
                    i += 1
                    continue
                j = i
                while j + 1 < len(run) and masked[j + 1]:
                    j += 1
                out.append(text[last:offset + run[i][0]])
                out.append(mask("".join(digits for _, _, digits in run[i:j + 1])))
                last = offset + run[j][1]
                i = j + 1
    out.append(text[last:])
    return "".join(out)


# --- mobile numbers inside free text (the event log's details) ---------------------------------------

_PHONE_SEPARATORS = " \u3000\t-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"
_PHONE_IN_TEXT = re.compile(
    r"(?<![\d*\uff0a])\d(?:[" + re.escape(_PHONE_SEPARATORS) + r"]{0,3}\d){10}(?![\d*\uff0a])")


def _mask_phone_match(match):
    digits = "".join(unicodedata.normalize("NFKC", c) for c in match.group() if c.isdigit())
    return mask_phone(digits) if _MOBILE.fullmatch(digits) else match.group()


def mask_mobiles(text):
    """`text` with every mobile number masked as mask_phone does (138****8000): 11 digits starting 13-19,
    written together or with up to 3 spaces or dashes between digits (138-0013-8000, 138 0013 8000,
    full-width digits too). Digits that are part of a longer run are left alone: a transaction number
    (SC2026110500777), a 12-digit code, or an ID number (mask_text masks it first; its * ends a run).
    mask_text keeps mobile numbers (people search files by them); the event log masks them with this."""
    if not text:
        return text or ""
    return _PHONE_IN_TEXT.sub(_mask_phone_match, text)


def id_number_query(text):
    """The ID number a search box holds as its whole text (any layout, see mask_text), normalised; or ""."""
    kinds = _kinds((text or "").strip())
    if not kinds or any(k == "" for k in kinds):
        return ""
    compact = "".join(k for k in kinds if k not in (" ", "\n"))
    return compact if _ID_QUERY.fullmatch(compact) else ""


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
