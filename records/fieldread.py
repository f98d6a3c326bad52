"""The key fields of one page: located by layout (records.layout), each read twice, a few three times.

For every field whose label is on the page, two readings are kept in the page's row (Page.fields), so that a
worker that resumes a file does not read its pages again:
  "page"  the words the page read found in the value's box, with their word confidences;
  "cell"  the box read again alone with the field's own set-up (records.cellread), unless the page read was
          sure of every word of a value with a strong check (SURE, CHECKED): there a second reading only
          costs time (measured: skipping it for every field let five of 600 values through wrong, 0.83 %).
  "third" a phone or transaction number whose two readings differ, read once more by the other model; a
          name, read once more at half size.
records.keyfields decides between them. Label cells that the page read could not make out (a label under
the seal, a faint Kai face) are read once more, alone, before a label found on a text line is used.
"""
from PIL import Image

from . import cellread, keyfields, layout

MAX_LABEL_RETRIES = 12
SURE = 0.93  # every word of the page read at least this sure: no second reading …
CHECKED = {"id_number", "id_number_copy", "business_type", "business_date"}  # … of these fields
# a phone or transaction number whose two readings differ is read a third time, by the other model (the box
# was read in eng): two agreeing readings then outvote the third (records.keyfields.decide)
THIRD_LANG = "chi_sim"
# a name is read a third time from its box at half size: chi_sim's fast model misreads a complex character
# (磊, 浩, 梓) differently at another size, so a wrong reading rarely finds a second one to agree with it
# (measured on the bench's 100 forms: names right 86 → 90, none more silently wrong)
NAMES = ("customer_name", "customer_name_copy")
NAME_SCALE = 0.5


def _reading(text, confidences):
    """A reading with its words' mean confidence (Tesseract's own, 0-100 → 0-1)."""
    return {"text": text, "confidence": round(sum(confidences) / len(confidences) / 100 if confidences else 0, 3)}


def read_page(prepared, tsv, skew, size, workdir, number, pool):
    """{field: {"page": {...}, "cell": {...}, "in_cell": bool}} for the labels found on this page."""
    words = layout.words_from_tsv(tsv)
    found, unread, in_lines = layout.locate(words, prepared, skew, size)
    if not found and not in_lines and not prepared.ruled:
        return {}
    frame = layout.Frame(size, skew)
    wanted = {name for name in layout.LABELS if not name.endswith("_copy")} - set(found)
    if wanted and unread:
        unread = unread[:MAX_LABEL_RETRIES]
        labels = cellread.read([("label", cellread.crop(prepared, frame, cell)) for cell, _ in unread], workdir,
                               f"p{number}l", pool)
        for (cell, value), (text, _conf) in zip(unread, labels):
            match = layout.label_of(text)
            if match and match[0] in wanted:
                wanted.discard(match[0])
                found[match[0]] = layout.Region(match[0], value, [], True)
    for name, region in in_lines.items():  # a label on a line outside the table (or unread in its cell)
        found.setdefault(name, region)
    names = [name for name in sorted(found) if not _sure(found[name])]
    readings = dict(zip(names, cellread.read([(name, cellread.crop(prepared, frame, found[name].box)) for name in names],
                                             workdir, f"p{number}", pool)))
    result = {}
    for name, region in found.items():
        result[name] = {"page": _reading(region.text, [w.conf for w in region.words]), "in_cell": region.in_cell,
                        # where the value is, for the record page's highlight: its box in the straightened frame
                        # of the page (size in pixels, skew in degrees; records/pageview.py)
                        "box": [round(v) for v in region.box], "size": list(size), "skew": round(skew, 2)}
        if name in readings:
            result[name]["cell"] = _reading(*readings[name])
    third = [name for name in keyfields.UNCHECKED if name in readings and _differ(name, result[name])]
    if third:
        pieces = [(name, cellread.crop(prepared, frame, found[name].box)) for name in third]
        for name, reading in zip(third, cellread.read(pieces, workdir, f"p{number}t", pool, lang=THIRD_LANG)):
            result[name]["third"] = _reading(*reading)
    names = [name for name in NAMES if name in readings]
    if names:
        pieces = [(name, _smaller(cellread.crop(prepared, frame, found[name].box))) for name in names]
        for name, reading in zip(names, cellread.read(pieces, workdir, f"p{number}n", pool)):
            result[name]["third"] = _reading(*reading)
    return result


def _smaller(image):
    """A name's box at NAME_SCALE: the third reading of a name."""
    if image is None:
        return None
    return image.resize((max(1, round(image.width * NAME_SCALE)), max(1, round(image.height * NAME_SCALE))),
                        Image.LANCZOS)


def _differ(name, readings):
    """The two readings of a number without a check digit do not give the same value."""
    page, cell = (keyfields.clean(name, readings[s]["text"]) for s in ("page", "cell"))
    return page != cell or not page


def _sure(region):
    """The page read is sure of every word of a value that has a strong check of its own (a check digit, a
    closed list, a calendar): reading the box again would only cost time. Names, phone and transaction
    numbers are always read twice: one wrong digit or character passes their checks."""
    return (region.name in CHECKED and bool(region.words) and min(w.conf for w in region.words) >= SURE * 100
            and bool(region.text.strip(" :：|")))
