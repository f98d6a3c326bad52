"""Time limits in key moments: "3分钟内完成", "1小时内", "1个工作日内", "不超过3个工作日" → value + unit."""
import re

from django.db import models
from django.utils.translation import gettext_lazy as _


class Unit(models.TextChoices):
    SECONDS = "seconds", _("seconds")
    MINUTES = "minutes", _("minutes")
    HOURS = "hours", _("hours")
    DAYS = "days", _("days")
    WORKING_DAYS = "working_days", _("working days")


UNITS = {"秒": Unit.SECONDS, "秒钟": Unit.SECONDS, "分钟": Unit.MINUTES, "小时": Unit.HOURS,
         "个小时": Unit.HOURS, "天": Unit.DAYS, "日": Unit.DAYS, "个工作日": Unit.WORKING_DAYS,
         "工作日": Unit.WORKING_DAYS}
_UNIT = "|".join(sorted(UNITS, key=len, reverse=True))
LIMIT_RE = re.compile(rf"(?:(\d+)\s*({_UNIT})\s*之?内|不超过\s*(\d+)\s*({_UNIT}))")


def find_time_limit(text):
    """The first time limit in `text` as {"value": 3, "unit": "minutes"}, or None."""
    m = LIMIT_RE.search(text or "")
    if not m:
        return None
    value, unit = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    return {"value": int(value), "unit": UNITS[unit].value}


def label(limit):
    if not limit:
        return ""
    return f"{limit['value']} {Unit(limit['unit']).label}"
