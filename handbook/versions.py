"""Version numbers of procedures: "1.0", "1.1", "0.9" (below 1.0 is a draft, for reference only)."""
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

VERSION_RE = re.compile(r"^[Vv]?(\d{1,3})\.(\d{1,3})$")


def parse(text):
    m = VERSION_RE.match((text or "").strip())
    if not m:
        raise ValueError(text)
    return int(m.group(1)), int(m.group(2))


def validate(text):
    try:
        parse(text)
    except ValueError:
        raise ValidationError(_("Write the version as 1.0, 1.1, 2.0 …"), code="version") from None


def normalise(text):
    major, minor = parse(text)
    return f"{major}.{minor}"


def is_draft(text):
    try:
        return parse(text) < (1, 0)
    except ValueError:
        return True


def label(text):
    try:
        return f"V{normalise(text)}"
    except ValueError:
        return f"V{text}"
