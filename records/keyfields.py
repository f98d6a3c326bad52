"""Key fields of a customer file read from its OCR text, validated, each with a confidence.

A value that fails validation is kept with its problem named (flagged), never silently accepted.
Validation: ID number check digit (GB 11643, ISO 7064 MOD 11-2) and a real birth date; 11-digit mobile
number; a real business date.
"""
import datetime
import re
from dataclasses import dataclass, field

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
# characters Tesseract often reads in place of digits
_DIGIT_FIXES = str.maketrans({"O": "0", "o": "0", "D": "0", "I": "1", "l": "1", "|": "1", "Z": "2", "S": "5",
                              "B": "8", "x": "X", "×": "X"})


def id_check_digit(first17):
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS))
    return ID_CHECK[total % 11]


def check_id_number(value):
    """None when valid, else the problem in words."""
    value = (value or "").strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", value):
        return "证件号码应为18位（末位可为X）"
    try:
        datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "证件号码中的出生日期不存在"
    if id_check_digit(value[:17]) != value[17]:
        return "证件号码校验位错误"
    return None


def check_mobile(value):
    if not re.fullmatch(r"1[3-9]\d{9}", (value or "").strip()):
        return "服务号码应为以1开头的11位手机号码"
    return None


_DATE_PATTERNS = (
    re.compile(r"(?P<y>20\d{2})\s*[年\-/.]\s*(?P<m>\d{1,2})\s*[月\-/.]\s*(?P<d>\d{1,2})\s*日?"),
    re.compile(r"(?P<y>20\d{2})(?P<m>\d{2})(?P<d>\d{2})"),
)


def parse_date(text):
    """(date, None) or (None, problem) for the first date-looking text."""
    for pattern in _DATE_PATTERNS:
        match = pattern.search(text or "")
        if match:
            try:
                return datetime.date(int(match["y"]), int(match["m"]), int(match["d"])), None
            except ValueError:
                return None, f"日期不存在：{match.group(0)}"
    return None, "未找到日期"


@dataclass
class Field:
    name: str
    value: str = ""
    confidence: float = 0.0
    problem: str | None = None
    source: str = field(default="", repr=False)

    @property
    def flagged(self):
        return self.problem is not None


# label words on the operator's forms, in the order they are tried
LABELS = {
    "transaction_no": ("受理编号", "业务流水号", "流水号", "受理单号"),
    "service_number": ("服务号码", "手机号码", "用户号码", "号码"),
    "id_number": ("证件号码", "身份证号码", "身份证号"),
    "business_date": ("受理时间", "受理日期", "办理时间", "业务日期", "日期"),
    "business_type": ("业务类型", "业务名称", "办理业务"),
    "customer_name": ("客户姓名", "客户名称", "机主姓名"),
}
VALUE_PATTERNS = {
    "transaction_no": r"[A-Z0-9][A-Z0-9\-]{7,39}",
    "service_number": r"1[3-9]\d{9}",
    "id_number": r"\d{17}[\dX]",
    "business_date": r"20\d{2}\s*[年\-/.]\s*\d{1,2}\s*[月\-/.]\s*\d{1,2}\s*日?|20\d{6}",
    "business_type": r"(?!x)x",  # only after a label
    "customer_name": r"(?!x)x",
}


def _after_label(text, labels, width=40):
    for label in labels:
        for match in re.finditer(re.escape(label) + r"[ \t:：;；,，.。|丨]*", text):
            yield text[match.end():match.end() + width]


def _normalise(name, raw):
    if name == "customer_name":
        return raw.strip()
    raw = re.sub(r"\s+", "", raw)
    if name in ("service_number", "id_number"):
        return raw.translate(_DIGIT_FIXES)
    if name == "business_type":
        return raw
    return raw.upper()


def validate(name, value):
    if name == "id_number":
        return check_id_number(value)
    if name == "service_number":
        return check_mobile(value)
    if name == "business_date":
        return parse_date(value)[1]
    if name == "transaction_no" and not re.fullmatch(VALUE_PATTERNS["transaction_no"], value):
        return "受理编号格式不正确"
    if name in ("business_type", "customer_name") and not value:
        return "内容为空"
    return None


def plausible_name(value):
    """A read name that looks like one: Chinese characters, or a foreign name of at least two words. Tesseract
    sometimes reads a short Chinese name as a few Latin letters ("OR", "Br"); those are flagged for a person
    (who may still confirm a one-word foreign name by correcting the field)."""
    if re.fullmatch(r"[\u4e00-\u9fff·]{2,20}", value):
        return True
    return len(re.findall(r"[A-Za-z]{2,}", value)) >= 2


_TOKEN = {
    "business_date": re.compile(VALUE_PATTERNS["business_date"]),
    "business_type": re.compile(r"[\u4e00-\u9fffA-Za-z0-9]{2,20}"),
    "customer_name": re.compile(r"[\u4e00-\u9fff·]{2,20}|[A-Za-z][A-Za-z .]{1,40}"),
    "default": re.compile(r"[0-9A-Za-z|×\-]+"),
}


def _labelled(name, text):
    """Raw tokens that follow one of the field's labels."""
    token = _TOKEN.get(name, _TOKEN["default"])
    for window in _after_label(text, LABELS[name]):
        if name not in ("business_date", "business_type", "customer_name"):
            window = re.sub(r"(?<=[0-9A-Za-z])[ \t]+(?=[0-9A-Za-z])", "", window)
        match = token.match(window)
        if match:
            yield match.group(0)


def extract_field(name, text):
    """Best candidate for one field: values after a label first (higher confidence), then bare patterns
    anywhere in the text only when no label was found."""
    candidates = [(0.95, raw) for raw in _labelled(name, text)]
    if not candidates:
        candidates = [(0.6, m.group(0)) for m in re.finditer(VALUE_PATTERNS[name], text)]
    if not candidates:
        return Field(name, problem="未识别到该字段")
    best = None
    for confidence, raw in candidates:
        value = _normalise(name, raw)
        if raw != value and name in ("service_number", "id_number"):
            confidence -= 0.15  # characters had to be repaired
        problem = validate(name, value)
        if name == "customer_name" and problem is None and not plausible_name(value):
            problem = "客户姓名疑似识别错误（既非中文姓名，也非完整的外文姓名），请核对"
        if name == "business_date" and problem is None:
            value = parse_date(value)[0].isoformat()
        candidate = Field(name, value, round(confidence if problem is None else confidence * 0.4, 2), problem, raw)
        if best is None or (best.flagged and not candidate.flagged) or (
                best.flagged == candidate.flagged and candidate.confidence > best.confidence):
            best = candidate
    return best


def extract(text):
    """All key fields of one customer file's OCR text."""
    return {name: extract_field(name, text) for name in LABELS}
