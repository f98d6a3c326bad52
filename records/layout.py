"""Where each key field's value sits on a page: found by the form's layout, not by the order of text lines.

A page read as one column of lines mixes the cells of a ruled table (the value of 受理时间 lands on the line of
受理编号), so the value is taken from geometry instead:
  1. the page's ruled lines (records.pageprep) are cut into cells, in the frame of the straightened page;
  2. each label (受理编号, 客户姓名 …) is found among Tesseract's word boxes, allowing one misread character
     in four, and the cell it sits in is a label cell;
  3. the value is the next cell to its right in the same row. Where the label is in no cell (an untabled
     form, the ID-card copy), the value is the rest of the label's line up to the next label.
The result is a Region per field: the value's box in the straightened frame and the words the page read
already found in it; records.cellread reads each box again with the field's own set-up.
"""
import csv
import difflib
import io
import math
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

# field → its labels on the operator's forms; *_copy are read on the copy of the ID card
LABELS = {
    "transaction_no": ("受理编号", "业务流水号", "受理单号", "流水号"),
    "service_number": ("服务号码", "手机号码", "用户号码"),
    "id_number": ("证件号码", "身份证号码", "身份证号"),
    "business_date": ("受理时间", "受理日期", "办理时间", "业务日期"),
    "business_type": ("业务类型", "业务名称", "办理业务"),
    "customer_name": ("客户姓名", "客户名称", "机主姓名"),
    "id_number_copy": ("公民身份号码",),
    "customer_name_copy": ("姓名",),
}
OTHER_LABELS = ("证件类型", "受理渠道", "受理营业厅", "联系地址", "业务内容", "客户签名", "营业员", "性别", "民族",
                "出生", "住址", "签发机关", "有效期限")
ALL_LABELS = [(label, name) for name, labels in LABELS.items() for label in labels] + [(o, None) for o in OTHER_LABELS]


@dataclass
class Word:
    text: str
    conf: float
    box: tuple  # left, top, right, bottom in the page as read
    line: tuple  # (block, paragraph, line)


@dataclass
class Region:
    name: str
    box: tuple  # in the straightened frame
    words: list = field(default_factory=list)
    in_cell: bool = False

    @property
    def text(self):
        return "".join(w.text for w in self.words)


TSV_COLUMNS = ["level", "page_num", "block_num", "par_num", "line_num", "word_num", "left", "top", "width", "height",
               "conf", "text"]


def words_from_tsv(tsv):
    """Tesseract's word rows (level 5) with text; the library's TSV has no header line, the command's has."""
    words = []
    header = None if tsv.startswith("level") else TSV_COLUMNS
    for row in csv.DictReader(io.StringIO(tsv), fieldnames=header, delimiter="\t", quoting=csv.QUOTE_NONE):
        text = (row.get("text") or "").strip()
        if row.get("level") == "5" and text:
            left, top = int(row["left"]), int(row["top"])
            words.append(Word(text, float(row["conf"]), (left, top, left + int(row["width"]), top + int(row["height"])),
                              (row["block_num"], row["par_num"], row["line_num"])))
    return words


class Frame:
    """The straightened frame: a page rotated back by its skew about its centre."""

    def __init__(self, size, skew):
        self.size, self.skew = size, skew
        self.cx, self.cy = size[0] / 2, size[1] / 2
        self.cos, self.sin = math.cos(math.radians(-skew)), math.sin(math.radians(-skew))

    def point(self, x, y):
        dx, dy = x - self.cx, y - self.cy
        return self.cx + dx * self.cos + dy * self.sin, self.cy - dx * self.sin + dy * self.cos

    def inverse(self, x, y):
        """The point of the page as read that lands on (x, y) of the straightened frame."""
        dx, dy = x - self.cx, y - self.cy
        return self.cx + dx * self.cos - dy * self.sin, self.cy + dx * self.sin + dy * self.cos

    def cut(self, image, box, fill=255):
        """The straightened frame's `box` cut from the page as read: a small piece is cut and turned, not the
        page (bilinear, so grey edges stay smooth)."""
        left, top, right, bottom = box
        half_w, half_h = (right - left) / 2, (bottom - top) / 2
        ox, oy = self.inverse(left + half_w, top + half_h)
        cos, sin = abs(self.cos), abs(self.sin)
        reach_w, reach_h = half_w * cos + half_h * sin + 2, half_w * sin + half_h * cos + 2
        piece = image.crop((int(ox - reach_w), int(oy - reach_h), int(ox + reach_w), int(oy + reach_h)))
        if abs(self.skew) >= 0.05:
            resample = Image.NEAREST if image.mode == "1" else Image.BILINEAR
            piece = piece.rotate(-self.skew, resample=resample, expand=False, fillcolor=fill)
        cx, cy = piece.width / 2, piece.height / 2
        return piece.crop((int(cx - half_w), int(cy - half_h), int(cx + half_w), int(cy + half_h)))

    def box(self, box):
        corners = [self.point(x, y) for x in (box[0], box[2]) for y in (box[1], box[3])]
        xs, ys = [c[0] for c in corners], [c[1] for c in corners]
        return min(xs), min(ys), max(xs), max(ys)

    def straighten(self, image, fill=255):
        if abs(self.skew) < 0.05:
            return image
        return image.rotate(-self.skew, resample=Image.NEAREST, expand=False, fillcolor=fill)


def _groups(indices, gap=4):
    spans = []
    for i in indices:
        if spans and i - spans[-1][1] <= gap:
            spans[-1][1] = i
        else:
            spans.append([i, i])
    return spans


def _spread(counts):
    """Counts of ink along lines, each with its two neighbours': a thin rule turned by a fraction of a degree
    steps between neighbouring rows (columns)."""
    counts = counts.astype(np.int64)
    out = counts.copy()
    out[1:] += counts[:-1]
    out[:-1] += counts[1:]
    return out


def cells(prepared, skew):
    """Rows of cells [(left, top, right, bottom)] of the page's ruled tables, in the straightened frame (the
    rules are kept at 1/prepared.SCALE of the page's size)."""
    scale, dpi = prepared.SCALE, prepared.dpi / prepared.SCALE
    frame = Frame(prepared.horizontal.shape[::-1], skew)
    across, down = (np.asarray(frame.straighten(Image.fromarray(m.astype(np.uint8) * 255), fill=0)) > 0
                    for m in (prepared.horizontal, prepared.vertical))
    rows = []
    lines = _groups(np.nonzero(_spread(across.sum(axis=1)) > dpi)[0], gap=2)
    for (_, above), (below, _) in zip(lines, lines[1:]):
        top, bottom = above + 1, below
        if bottom - top < dpi * 0.15:
            continue
        band = down[top:bottom]
        seps = _groups(np.nonzero(_spread(band.sum(axis=0)) > (bottom - top) * 0.6)[0], gap=2)
        row = [((left + 1) * scale, top * scale, right * scale, bottom * scale)
               for (_, left), (right, _) in zip(seps, seps[1:]) if right - left > dpi * 0.2]
        if row:
            rows.append(row)
    return rows


def label_of(text):
    """(field or None, label) of a cell's or line's text that is a label, allowing one misread character in
    four; None when it is no label."""
    text = "".join(text.split()).strip("：:|丨")
    if not text or len(text) > 8:
        return None
    best = max(ALL_LABELS, key=lambda item: difflib.SequenceMatcher(None, text, item[0]).ratio())
    ratio = difflib.SequenceMatcher(None, text, best[0]).ratio()
    return (best[1], best[0]) if ratio >= 0.74 and abs(len(text) - len(best[0])) <= 1 else None


def _inside(box, cell):
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return cell[0] <= cx <= cell[2] and cell[1] <= cy <= cell[3]


def locate(words, prepared, skew, size):
    """({field: Region} found in table cells, the label cells no word explained (for a second look by
    records.cellread), {field: Region} found on lines outside the cells)."""
    frame = Frame(size, skew)
    straight = [(w, frame.box(w.box)) for w in words]
    found, unread = {}, []
    if prepared.ruled:
        for row in cells(prepared, skew):
            for index, cell in enumerate(row):
                inside = [w for w, box in straight if _inside(box, cell)]
                match = label_of("".join(w.text for w in inside))
                if match is None:
                    if index + 1 < len(row) and len(inside) <= 6:
                        unread.append((cell, row[index + 1]))
                    continue
                name = match[0]
                if name and name not in found and index + 1 < len(row):
                    value = row[index + 1]
                    found[name] = Region(name, value, [w for w, box in straight if _inside(box, value)], True)
    in_lines = {}
    _by_lines(words, frame, in_lines, skip=set(found))
    return found, unread, in_lines


def _by_lines(words, frame, found, skip=()):
    """Labels outside any cell: the value is the rest of the line, up to the next label."""
    lines = {}
    for word in words:
        lines.setdefault(word.line, []).append(word)
    for line in lines.values():
        line.sort(key=lambda w: w.box[0])
        text, owner = "", []
        for i, word in enumerate(line):
            text += word.text
            owner += [i] * len(word.text)
        hits = []
        for label, name in sorted(ALL_LABELS, key=lambda item: -len(item[0])):
            start = text.find(label)
            while start >= 0:
                span = (start, start + len(label))
                if not any(s < span[1] and span[0] < e for s, e, _ in hits):
                    hits.append((span[0], span[1], name))
                start = text.find(label, start + 1)
        hits.sort()
        for n, (start, end, name) in enumerate(hits):
            if not name or name in found or name in skip:
                continue
            stop = hits[n + 1][0] if n + 1 < len(hits) else len(text)
            first = owner[end] if end < len(text) else None
            last = owner[stop - 1] if stop > end else None
            if first is None or last is None or last < first:
                continue
            value = line[first:last + 1]
            height = max(1, line[owner[end - 1]].box[3] - line[owner[end - 1]].box[1])
            for k in range(1, len(value)):  # a wide gap ends the value (a photo, the next column)
                if value[k].box[0] - value[k - 1].box[2] > 2.5 * height:
                    value = value[:k]
                    break
            if first == owner[end - 1]:  # the label and the value read as one word: keep only the value's part
                value = [Word(text[end:stop], line[first].conf, line[first].box, line[first].line)]
            boxes = [frame.box(w.box) for w in value]
            label_box = frame.box(line[owner[end - 1]].box)
            height = label_box[3] - label_box[1]
            box = (max(label_box[2], min(b[0] for b in boxes) - height * 0.3), min(b[1] for b in boxes) - height * 0.3,
                   max(b[2] for b in boxes) + height * 0.5, max(b[3] for b in boxes) + height * 0.3)
            found[name] = Region(name, box, value, False)
