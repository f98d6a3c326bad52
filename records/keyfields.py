"""Key fields of a customer file, validated, each with a confidence: right, or flagged, never silently wrong.

Each field comes from its box on the form (records.layout), read twice (records.fieldread): the page read's
words and a re-reading of the box with the field's own set-up. A value is taken without a flag only when it
passes its check, its words' own confidence (the recogniser's, never a constant) reaches the threshold set
in the admin (records.formats), and the two readings do not contradict each other. Checks: the ID number's
check digit (GB 11643, ISO 7064 MOD 11-2) and a real birth date, and agreement with the copy of the ID card;
an 11-digit mobile number; the operator's transaction-number format (records.formats) and its date; a real
business date, not in the future and not before the hall opened; a business type from the admin's table; a
name in Chinese characters that starts with a surname, and agrees with the name on the ID-card copy.
Where no label was found (an unknown form), the values are searched in the page text as before, at a
confidence below any threshold, so they are always flagged for a person.
"""
import datetime
import re
from dataclasses import dataclass, field

from . import surnames

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


# ---------------------------------------------------------------- fields read by layout (records.fieldread)

TEXT_ONLY_CONFIDENCE = 0.5  # a value found only in the page text, without its label's box: always checked
# another valid value makes the field doubtful when it is read with at least this confidence and at least
# 0.6 of the chosen value's (two agreeing readings of the ID-card copy outweigh one weak reading of the form)
DISSENT = 0.3
# two agreeing readings outvote a third, single reading unless it is this sure
LONE_DISSENT = 0.93
# numbers without a check digit: one reading, however sure, is not enough (a 3 read as 5 stays a number)
UNCHECKED = ("service_number", "transaction_no")


SNAP_LENGTH = 4  # business types at least this long are matched to the table's nearest entry (_nearest_type)

SEPARATORS = " :：;；|丨,，.。、"


def clean(name, raw):
    raw = re.split(r"\s{3,}", (raw or "").strip().strip(SEPARATORS))[0]  # a wide gap ends the value
    if name in ("customer_name", "customer_name_copy", "business_type"):
        return re.sub(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])", "", raw).strip(" :：|丨,，.。")
    if name == "business_date":
        return raw
    value = re.sub(r"^[^0-9A-Z$€]+|[^0-9A-Z$€]+$", "", re.sub(r"\s+", "", raw).upper())  # a rule's stub, a quote
    if name == "transaction_no":
        # the reader's usual confusions in a code of letters and digits: S as $, C as €
        value = value.replace("S$", "S").replace("$", "S").replace("€", "C")
    if name in ("service_number", "id_number", "id_number_copy"):
        value = value.translate(_DIGIT_FIXES)
    return value


def _problem(name, value, context):
    base = name.removesuffix("_copy")
    if base == "transaction_no":
        from .formats import check_transaction_no

        return check_transaction_no(value, context.get("business_date"))
    if base == "customer_name":
        if not re.fullmatch(r"[\u4e00-\u9fff·]{2,6}", value):
            return "客户姓名疑似识别错误（不是中文姓名），请核对"
        if not surnames.has_surname(value):
            return "客户姓名的首字不是常见姓氏，请核对"
        return None
    if base == "business_type":
        from .formats import business_types

        if not value:
            return "内容为空"
        return None if value in business_types() else "业务类型不在业务类型表中"
    if base == "business_date":
        day, problem = parse_date(value)
        if problem:
            return problem
        today = context.get("today") or datetime.date.today()
        if day > today:
            return "受理日期晚于今天"
        opened = context.get("opened_on")
        if opened and day < opened:
            return "受理日期早于营业厅开业日期"
        return None
    return validate(base, value)


def _normal(name, value):
    if name == "business_date":
        day, problem = parse_date(value)
        return day.isoformat() if day and not problem else value
    return value


def _combined(confidences):
    """Independent readings that agree: the chance that all of them erred the same way is the product."""
    miss = 1.0
    for confidence in confidences:
        miss *= 1 - min(max(confidence, 0.0), 1.0)
    return 1 - miss


def _edits(a, b):
    """Levenshtein distance of two short strings."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def _lean_on_transaction(support, candidates, reading, threshold):
    """The transaction number carries the business date. A date reading that is not a sure date of its own
    but is at most one character away from that date (年 read as F, a 0 read as 6, a lost digit) supports it,
    and the transaction number's own reading then supports it too. A sure reading of another date stays a
    dissent, and the transaction number alone never makes the date."""
    day, confidence = reading
    digits = day.strftime("%Y%m%d")
    for source, value, conf, problem in candidates:
        key = _normal("business_date", value)
        if problem is None and (key == day.isoformat() or conf >= threshold):
            continue
        read = re.sub(r"\D", "", value)
        if min(_edits(read[:n], digits) for n in (7, 8, 9)) <= 1:
            if problem is None:
                support[key] = [b for b in support[key] if b[1] != source]
                if not support[key]:
                    del support[key]
            support.setdefault(day.isoformat(), []).append((conf, source))
    if day.isoformat() in support:
        support[day.isoformat()].append((confidence, "transaction_no"))


def _nearest_type(support, candidates):
    """Business types are a closed table. A reading outside it that is one character away from exactly one
    long entry (积分竞换 → 积分兑换), and at least three from every other, supports that entry at half its
    confidence: one misread character cannot turn one long entry into another, but a single such reading
    stays below the threshold on its own. Short entries (补卡, 换卡) differ by one character and never snap."""
    from .formats import business_types

    table = list(business_types())
    for source, value, confidence, problem in candidates:
        if problem is None or len(value) < SNAP_LENGTH:
            continue
        distances = sorted((_edits(value, entry), entry) for entry in table)
        if distances and distances[0][0] == 1 and all(d >= 3 for d, _ in distances[1:]):
            support.setdefault(distances[0][1], []).append((confidence * 0.5, source))


def _outvotes(name, backing, others):
    """The value's readings outvote the other valid values read (`others`: their confidences). A number: two
    readings (by different models) against a single other one that is not LONE_DISSENT sure. A name, read up
    to six times (the form and the ID-card copy, each three ways): readings of both the form and the copy, and
    more of them than all the other values' readings together (the box read at two sizes is one image read
    by one model twice, so two agreeing readings of one image outvote nothing)."""
    if name == "customer_name":
        return len({source.startswith("copy") for _, source in backing}) == 2 and len(backing) > len(others)
    return len(backing) >= 2 and len(others) == 1 and _combined(others) < LONE_DISSENT


def decide(name, readings, context, threshold):
    """One field from its readings [(source, {"text", "confidence"})]: the page read and the cell re-read of
    the form, and for names and ID numbers those of the ID-card copy too → Field. Valid values are grouped;
    the best-supported one is taken unless another valid value is strongly read too (then flagged)."""
    candidates = []
    for source, part in readings:
        value = clean(name, (part or {}).get("text"))
        if value:
            candidates.append((source, value, float(part.get("confidence") or 0), _problem(name, value, context)))
    if not candidates:
        return Field(name, problem="标签旁未识别到内容")
    support = {}
    for source, value, confidence, problem in candidates:
        if problem is None:
            support.setdefault(_normal(name, value), []).append((confidence, source))
    if name == "business_date" and context.get("transaction_date"):
        _lean_on_transaction(support, candidates, context["transaction_date"], threshold)
    if name == "business_type":
        _nearest_type(support, candidates)
    if not support:
        source, value, confidence, problem = candidates[0]
        return Field(name, _normal(name, value), round(confidence * 0.4, 2), problem, source)
    ranked = sorted(support.items(), key=lambda item: -_combined(c for c, _ in item[1]))
    value, backing = ranked[0]
    confidence = _combined(c for c, _ in backing)
    source = "+".join(s for _, s in backing)
    # every other valid value read counts against it together (a name read six ways: 孙舌 twice, 孙乔 and 孙符
    # once each is a doubtful second character, not a sure 孙舌)
    others = [c for _, other in ranked[1:] for c, _ in other]
    dissent = _combined(others)
    outvoted = _outvotes(name, backing, others)
    if dissent >= DISSENT and dissent >= 0.6 * confidence and not outvoted:
        copy = any(s.startswith("copy") for _, s in ranked[1][1] + backing)
        problem = "与身份证复印件上的内容不一致，请核对" if copy else "两次识别的结果不一致，请核对"
        return Field(name, value, round(confidence * 0.5, 2), problem, source)
    if name in UNCHECKED and len(backing) < 2:
        return Field(name, value, round(confidence * 0.8, 2), "只有一次识别得到该值（号码没有校验位），请核对", source)
    if confidence < threshold:
        return Field(name, value, round(confidence, 2), f"识别置信度 {confidence:.2f} 低于阈值 {threshold:.2f}，请核对",
                     source)
    return Field(name, value, round(confidence, 2), None, source)


def _readings(readings, name):
    found = [(source, readings[name][source]) for source in ("page", "cell", "third")
             if source in readings.get(name, {})]
    copy = readings.get(f"{name}_copy")
    if copy:
        found += [(f"copy-{source}", copy[source]) for source in ("page", "cell", "third") if source in copy]
    return found


def extract_fields(pages, text, context=None):
    """The key fields of a file from its pages' layout readings (the first page with each label wins; names
    and ID numbers also from the ID-card copy), falling back to the page text."""
    from .formats import confidence_threshold, transaction_date

    context = dict(context or {})
    threshold = confidence_threshold()
    readings = {}
    for page in pages:
        for name, reading in (page or {}).items():
            readings.setdefault(name, reading)
    fields = {}
    first = _readings(readings, "transaction_no")
    if first:  # decided once without the date, for the date it carries
        number = decide("transaction_no", first, context, threshold)
        day = None if number.flagged else transaction_date(number.value)
        if day:
            context["transaction_date"] = (day, number.confidence)
    for name in ["business_date"] + [n for n in LABELS if n != "business_date"]:
        found = _readings(readings, name)
        if found:
            fields[name] = decide(name, found, context, threshold)
        else:
            fields[name] = extract_field(name, text)
            fields[name].confidence = min(fields[name].confidence, TEXT_ONLY_CONFIDENCE)
            if not fields[name].flagged:
                fields[name].problem = "未找到该字段的标签位置，取自全文，请核对"
        if name == "business_date" and not fields[name].flagged:
            context["business_date"] = datetime.date.fromisoformat(fields[name].value)
    _against_transaction(fields)
    return {name: fields[name] for name in LABELS}


def _against_transaction(fields):
    """The check runs both ways: a transaction number whose date differs from the business date is flagged by
    its format check, and the date is flagged too, even when the number itself was read only once (年0月 read
    as 9月 on the form, 0419 in the number: either may be the misread one)."""
    from .formats import transaction_date

    day, number = fields.get("business_date"), fields.get("transaction_no")
    if day is None or number is None or day.flagged or not number.value:
        return
    carried = transaction_date(number.value)
    if carried and carried.isoformat() != day.value:
        day.problem = f"与受理编号中的日期（{carried.isoformat()}）不一致，请核对"
        day.confidence = round(day.confidence * 0.5, 2)
