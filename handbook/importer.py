"""The legacy handbook parser: a scraped text (or a .docx) → parts → procedures with their sections.

The legacy text is messy (DOMAIN.md): paragraphs are separated by two spaces, old page breaks left single
spaces inside words ("五、普 通开户入网业务办理流程"), some headings carry scraping noise ("…流程&l") and
some characters are garbled. The parser repairs titles, keeps every paragraph it can place and reports the
ones it cannot. It writes nothing: `handbook.loader` turns the tree into pages.
"""
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _

from .timelimits import find_time_limit

CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CJK = r"\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”‘’"
PART_RE = re.compile(r"^第\s*([一二三四五六七八九十]+)\s*部\s*分\s*(.*)$")
PROC_RE = re.compile(r"^([一二三四五六七八九十]+)、\s*(.+?流\s*程)(.*)$")
NUM_RE = re.compile(r"^(\d(?:\s*\.\s*\d){0,2})(?![\d)）])\s*(.*)$")
# a section heading glued to the previous paragraph by a single space: "…业务。 2.2 流程范围"
GLUED_RE = re.compile(r"\s+(?=\d(?:\s*\.\s*\d){1,2}\s*(?:流程|部门|关键|岗位))")
NOISE_RE = re.compile(r"^(?:[;；,，.。:：\s]+|&[a-z]+;?.*|<[^>]*>)$")
SECTION_WORDS = {
    "2.1": ("流程目标", "流程目"),
    "2.2": ("流程范围",),
    "2.3": ("部门/岗位职责说明", "部门/岗位职责", "流程职责", "岗位职责说明"),
    "2.4": ("流程关键时刻说明", "关键时刻说明"),
    "1": ("流程图",),
    "2": ("流程说明",),
}
SECTION_KEYS = {"1": "flowchart", "2.1": "objective", "2.2": "scope", "2.3": "responsibilities",
                "2.4": "key_moments"}
GARBLED_RE = re.compile(r"\?[a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]+|[\ue000-\uf8ff]|\?[!！]保\?")
MOMENT_SPLIT_RE = re.compile(r"(?<=[;；])\s+(?=[^;；:：]{1,40}[:：])")


class ImportFailed(Exception):
    """The file cannot be read as a handbook; the message says why (nothing is written)."""


def cn_number(text):
    text = text.strip()
    if text == "十":
        return 10
    if "十" in text:
        tens, _sep, ones = text.partition("十")
        return CN_DIGITS.get(tens, 1) * 10 + CN_DIGITS.get(ones, 0)
    return CN_DIGITS.get(text, 0)


def repair(text):
    """Remove the single spaces old page breaks left between Chinese characters (and before punctuation)."""
    text = text.strip()
    text = re.sub(rf"(?<=[{CJK}])\s+(?=[{CJK}])", "", text)
    text = re.sub(r"\s+(?=[,;:，；：。、)])", "", text)
    return text


@dataclass
class Procedure:
    number: int
    title: str
    sections: list = field(default_factory=list)
    objective: list = field(default_factory=list)
    scope: list = field(default_factory=list)
    responsibilities: list = field(default_factory=list)
    key_moments: list = field(default_factory=list)
    sub_flows: list = field(default_factory=list)

    def as_dict(self):
        limits = [m["limit"] for m in self.key_moments if m.get("limit")]
        return {
            "number": self.number, "title": self.title, "sections": self.sections,
            "objective": self.objective, "scope": self.scope, "responsibilities": self.responsibilities,
            "key_moments": self.key_moments, "key_moment_count": len(self.key_moments),
            "time_limits": limits, "sub_flows": self.sub_flows,
        }


@dataclass
class Part:
    number: int
    title: str
    procedures: list = field(default_factory=list)


@dataclass
class Tree:
    parts: list = field(default_factory=list)
    unplaced: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    def procedures(self):
        for part in self.parts:
            yield from ((part, p) for p in part.procedures)

    def as_dict(self):
        procs = [p for _part, p in self.procedures()]
        return {
            "parts": [{"number": part.number, "title": part.title,
                       "procedures": [p.as_dict() for p in part.procedures]} for part in self.parts],
            "totals": {"parts": len(self.parts), "procedures": len(procs),
                       "key_moments": sum(len(p.key_moments) for p in procs),
                       "time_limits": sum(1 for p in procs for m in p.key_moments if m.get("limit")),
                       "unplaced": len(self.unplaced), "warnings": len(self.warnings)},
            "unplaced": self.unplaced,
            "warnings": self.warnings,
        }


def read_file(path):
    """The paragraphs of a legacy handbook file (.txt in UTF-8 or GB18030, or .docx)."""
    path = Path(path)
    if not path.exists():
        raise ImportFailed(_("File not found: %(path)s") % {"path": path})
    suffix = path.suffix.lower()
    if suffix == ".docx":
        try:
            import docx

            document = docx.Document(str(path))
        except Exception as exc:  # python-docx raises several kinds for a broken package
            raise ImportFailed(_("Cannot read %(path)s as a Word document: %(error)s")
                               % {"path": path.name, "error": exc}) from exc
        text = "  ".join(block for block in docx_blocks(document) if block.strip())
    elif suffix in (".txt", ".text", ""):
        raw = path.read_bytes()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ImportFailed(_("Cannot decode %(path)s as UTF-8 or GB18030 text") % {"path": path.name})
        text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    else:
        raise ImportFailed(_("Unknown file format %(suffix)s: use a .txt or a .docx file") % {"suffix": suffix})
    if not text.strip():
        raise ImportFailed(_("The file %(path)s is empty") % {"path": path.name})
    return text


def docx_blocks(container):
    """The text of a Word document (or of a table cell) in document order: each paragraph, and each table row
    as one block, interleaved as they stand. Handbooks keep responsibilities and key moments in tables ("role |
    duties", "when | do"): a row's cells are joined as "first：rest" so the parser reads them like the text
    form; merged cells count once; tables inside cells are read too."""
    from docx.table import Table

    for item in container.iter_inner_content():
        if not isinstance(item, Table):
            yield item.text
            continue
        for row in item.rows:
            seen, cells = [], []
            for cell in row.cells:
                if any(cell._tc is other for other in seen):
                    continue  # a horizontally merged cell is returned once per grid column
                seen.append(cell._tc)
                text = " ".join(" ".join(docx_blocks(cell)).split())  # no double space: that splits paragraphs
                if text:
                    cells.append(text)
            if cells:
                yield cells[0] + ("：" + "；".join(cells[1:]) if len(cells) > 1 else "")


def paragraphs(text):
    for block in re.split(r"\s{2,}|\n+", text):
        for chunk in GLUED_RE.split(block):
            chunk = chunk.strip()
            if chunk:
                yield chunk


def _split_heading(rest, number):
    """For "2.1 流程目标 确保…" return (section heading key, content after the heading words)."""
    rest = rest.replace(" ", "") if len(rest) < 14 else rest
    for word in SECTION_WORDS.get(number, ()):
        squeezed = rest.replace(" ", "")
        if squeezed.startswith(word):
            # drop the heading words (which may contain page-break spaces) and keep the content after them
            consumed, i = 0, 0
            while consumed < len(word) and i < len(rest):
                if rest[i] != " ":
                    consumed += 1
                i += 1
            return True, rest[i:].strip()
    return False, rest


def parse(text):
    tree = Tree()
    part = proc = None
    section = None

    def unplaced(chunk, why):
        where = f"{part.title if part else '-'} / {proc.title if proc else '-'}"
        tree.unplaced.append({"where": where, "text": chunk, "why": why})

    pending = list(paragraphs(text))
    while pending:
        chunk = pending.pop(0)
        m = PART_RE.match(chunk)
        if m:
            part = Part(cn_number(m.group(1)), repair(m.group(2)))
            tree.parts.append(part)
            proc, section = None, None
            continue
        m = PROC_RE.match(chunk)
        expected = (len(part.procedures) + 1) if part else None
        if m and part is not None and cn_number(m.group(1)) == expected:
            proc = Procedure(expected, repair(m.group(2)))
            part.procedures.append(proc)
            section = None
            rest = m.group(3).strip()
            if rest:
                if NUM_RE.match(rest):
                    pending.insert(0, rest)  # "…流程 1 流程图": the next heading on the same line
                else:
                    tree.warnings.append({"where": proc.title, "text": rest,
                                          "why": _("noise after the title removed")})
            continue
        if NOISE_RE.match(chunk):
            tree.warnings.append({"where": proc.title if proc else "-", "text": chunk,
                                  "why": _("scraping noise dropped")})
            continue
        if proc is None:
            unplaced(chunk, _("text outside any procedure"))
            continue
        m = NUM_RE.match(chunk)
        if m:
            number, rest = re.sub(r"\s+", "", m.group(1)), m.group(2)
            is_heading, content = _split_heading(rest, number)
            if is_heading or number in ("1", "2"):
                key = SECTION_KEYS.get(number)
                section = key
                if key and key not in proc.sections:
                    proc.sections.append(key)
                if content and key:
                    pending.insert(0, content)
                elif content and number == "1" and not is_heading:
                    pending.insert(0, content)
                continue
            if number.startswith("1."):
                for name in re.split(r"\s+\d\.\d\s+", rest):
                    proc.sub_flows.append(repair(name))
                continue
            if number.startswith("2.3."):
                proc.responsibilities.append({"role": repair(rest), "duties": ""})
                continue
        if section in ("objective", "scope"):
            getattr(proc, section).append(repair(chunk))
        elif section == "responsibilities":
            role, _sep, duties = _role_split(chunk)
            proc.responsibilities.append({"role": repair(role), "duties": repair(duties)})
        elif section == "key_moments":
            for piece in MOMENT_SPLIT_RE.split(chunk):
                _add_moment(tree, proc, piece)
        else:
            unplaced(chunk, _("text outside the sections objective, scope, responsibilities, key moments"))
    for _part, p in tree.procedures():
        for m in p.key_moments:
            if GARBLED_RE.search(m["when"] + m["do"]):
                tree.warnings.append({"where": p.title, "text": m["when"] + "：" + m["do"],
                                      "why": _("garbled characters kept as they are")})
    return tree


def _role_split(chunk):
    head, sep, tail = chunk.partition("：")
    if not sep:
        head, sep, tail = chunk.partition(":")
    if not sep:
        return "", chunk, ""
    return head, sep, tail


def _add_moment(tree, proc, piece):
    piece = repair(piece).strip()
    if not piece or piece in (";", "；"):
        return
    m = re.match(r"^(?:\d+\))?\s*(.{1,60}?)\s*[:：]\s*(.*)$", piece)
    if m:
        when, do = m.group(1), m.group(2)
    else:
        when, do = "", piece
        tree.warnings.append({"where": proc.title, "text": piece,
                              "why": _("key moment without “when … :”, kept as a general note")})
    do = do.rstrip(";；")
    proc.key_moments.append({"when": when, "do": do, "limit": find_time_limit(do)})
