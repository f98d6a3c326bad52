"""The admin-kept rules the key-field reader follows: transaction-number formats per operator, the business
types and the confidence threshold (issue 15).

A transaction number is read well only when the reader knows what one looks like. Operators print them in a
fixed format (中国移动: 2 letters, the business date, 5 digits), so the formats are data kept in the admin
(records.models.TransactionFormat), not constants in the reader: a new operator or a changed format is a
row, not a release. A template is written as people describe it:

    A         an uppercase letter (a run of A's at the start may be fixed letters, `prefixes`)
    YYYYMMDD  the business date (a real date; when the business date is known, that date)
    9         a digit
    other     itself (uppercase letters other than A, Y, M, D; digits 0-8; "-")

A value is right only when it matches one active format as a whole: an extra character, a missing one or an
impossible date is a problem named in words, and the field is flagged (never silently kept). Without any
active format, a transaction number is 8-40 of A-Z, 0-9 and "-".

Everything here reads the database on each call (a few rows), so a change in the admin holds at once, in
every process, and tests share no cached state.
"""
import datetime
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

DATE = "YYYYMMDD"
MAX_LENGTH = 40  # Record.transaction_no
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"
FALLBACK = re.compile(r"[A-Z0-9-]{8,40}")
FALLBACK_CHARACTERS = DIGITS + LETTERS + "-"
DEFAULT_THRESHOLD = 0.75
_LITERAL = set(LETTERS + DIGITS + "-") - set("AYMD9")


@dataclass(frozen=True)
class Format:
    """One template, parsed: its tokens ("A", "9", DATE or a literal character) and fixed leading letters."""
    operator: str
    template: str
    tokens: tuple
    prefixes: tuple = ()

    @property
    def length(self):
        return sum(len(DATE) if t == DATE else 1 for t in self.tokens)

    @property
    def leading_letters(self):
        n = 0
        while n < len(self.tokens) and self.tokens[n] == "A":
            n += 1
        return n

    def regex(self, named=True):
        """The format as a regular expression (no anchors); `named`: the date is the group "date"."""
        parts, start = [], 0
        if self.prefixes:
            parts.append("(?:" + "|".join(re.escape(p) for p in self.prefixes) + ")")
            start = self.leading_letters
        for token in self.tokens[start:]:
            if token == "A":
                parts.append("[A-Z]")
            elif token == "9":
                parts.append("[0-9]")
            elif token == DATE:
                parts.append("(?P<date>[0-9]{8})" if named else "[0-9]{8}")
            else:
                parts.append(re.escape(token))
        return "".join(parts)

    def characters(self):
        chars = set()
        for index, token in enumerate(self.tokens):
            if token == "A":
                chars |= set("".join(self.prefixes)) if self.prefixes and index < self.leading_letters else set(LETTERS)
            elif token in ("9", DATE):
                chars |= set(DIGITS)
            else:
                chars.add(token)
        return chars


def _tokens(template):
    tokens, i = [], 0
    while i < len(template):
        if template.startswith(DATE, i):
            tokens.append(DATE)
            i += len(DATE)
        else:
            tokens.append(template[i])
            i += 1
    return tuple(tokens)


def split_prefixes(text):
    return tuple(p for p in re.split(r"[\s,，、;；]+", (text or "").strip().upper()) if p)


def template_problem(template, prefixes=""):
    """None when `template` (with its optional fixed letters) is a usable format, else the problem in words."""
    template = (template or "").strip()
    if not template:
        return "编号格式不能为空"
    if any(c.isspace() for c in template):
        return "编号格式不能包含空格"
    tokens = _tokens(template)
    bad = sorted({t for t in tokens if t not in ("A", "9", DATE) and t not in _LITERAL})
    if any(t in ("Y", "M", "D") for t in bad):
        return "Y、M、D 只能以 YYYYMMDD（受理日期）的形式写在编号格式中"
    if bad:
        return f"编号格式含有不允许的字符：{' '.join(bad)}（只能用 A、9、YYYYMMDD、其他大写字母、数字 0–8 和 -）"
    if not any(t in ("A", "9", DATE) for t in tokens):
        return "编号格式中至少要有一个 A（字母）、9（数字）或 YYYYMMDD（日期），否则它只是一个固定的编号"
    if tokens.count(DATE) > 1:
        return "YYYYMMDD（受理日期）在编号格式中只能出现一次"
    fmt = Format("", template, tokens)
    if fmt.length > MAX_LENGTH:
        return f"编号格式共 {fmt.length} 位，超过受理编号最多 {MAX_LENGTH} 位"
    fixed = split_prefixes(prefixes)
    if fixed:
        if not fmt.leading_letters:
            return "编号格式不以 A 开头，不能设置固定字母"
        for p in fixed:
            if not re.fullmatch(r"[A-Z]+", p) or len(p) != fmt.leading_letters:
                return (f"固定字母“{p}”应为 {fmt.leading_letters} 个大写字母（与编号格式开头 A 的个数相同），"
                        "多个用逗号分开")
    return None


def validate_template(template, prefixes=""):
    """For the model's clean(): ValidationError on the field at fault."""
    problem = template_problem(template)
    if problem:
        raise ValidationError({"template": problem})
    problem = template_problem(template, prefixes)
    if problem:
        raise ValidationError({"prefixes": problem})


def active_formats():
    """The active formats, parsed (rows whose template is not usable are left out)."""
    from .models import TransactionFormat

    found = []
    for row in TransactionFormat.objects.filter(active=True).order_by("pk"):
        if template_problem(row.template, row.prefixes) is None:
            found.append(Format(row.operator, row.template.strip(), _tokens(row.template.strip()),
                                split_prefixes(row.prefixes)))
    return found


def _date(text):
    try:
        return datetime.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def transaction_date(value):
    """The real date inside a transaction number of an active format, or None (no format with a date fits)."""
    for fmt in active_formats():
        match = re.fullmatch(fmt.regex(), (value or "").strip())
        if match and "date" in match.groupdict():
            day = _date(match["date"])
            if day:
                return day
    return None


def check_transaction_no(value, business_date=None):
    """None when `value` is a transaction number of an active format (the whole string; its date a real
    date, and the business date when that is given), else the problem as a Chinese sentence."""
    value = (value or "").strip()
    if not value:
        return "受理编号为空"
    formats = active_formats()
    if not formats:
        return None if FALLBACK.fullmatch(value) else "受理编号应为 8–40 位大写字母、数字或连字符 -"
    if isinstance(business_date, datetime.datetime):
        business_date = business_date.date()
    problem = None
    for fmt in formats:
        match = re.fullmatch(fmt.regex(), value)
        if match is None:
            continue
        if "date" not in match.groupdict():
            return None
        day = _date(match["date"])
        if day is None:
            problem = problem or f"受理编号中的日期 {match['date']} 不存在"
        elif business_date is not None and day != business_date:
            problem = problem or "受理编号中的日期与受理时间不一致"
        else:
            return None
    if problem:
        return problem
    shown = "、".join(dict.fromkeys(f.template for f in formats))
    lengths = {f.length for f in formats}
    detail = ""
    if len(lengths) == 1 and len(value) not in lengths:
        detail = f"：应为 {min(lengths)} 位，实为 {len(value)} 位"
    return f"受理编号不符合任何已设置的编号格式（如 {shown}）{detail}"


def transaction_pattern(bounded=False):
    """A compiled regex matching a transaction number of any active format (no anchors, no groups), to find
    candidates in text. `bounded`: not inside a longer run of letters and digits."""
    formats = active_formats()
    body = "|".join(f"(?:{f.regex(named=False)})" for f in formats) if formats else FALLBACK.pattern
    if bounded:
        body = f"(?<![A-Za-z0-9])(?:{body})(?![A-Za-z0-9])"
    return re.compile(body)


def allowed_characters():
    """The characters any active format allows, as one string (digits, letters, others): for Tesseract's
    tessedit_char_whitelist."""
    formats = active_formats()
    if not formats:
        return FALLBACK_CHARACTERS
    chars = set().union(*(f.characters() for f in formats))
    order = DIGITS + LETTERS
    return "".join(c for c in order if c in chars) + "".join(sorted(chars - set(order)))


def confidence_threshold():
    """A key field read with a lower confidence (0-1) than this is flagged (admin → 设置 → 识别设置). Read
    from the database each time; reading never creates the settings row."""
    from .models import FieldReadingSettings

    row = FieldReadingSettings.objects.order_by("pk").only("confidence_threshold").first()
    return float(row.confidence_threshold) if row is not None else DEFAULT_THRESHOLD


def business_types():
    """The active business types → their category (the admin-kept table 业务类型)."""
    from .models import BusinessType

    return dict(BusinessType.objects.filter(active=True).values_list("name", "category"))
