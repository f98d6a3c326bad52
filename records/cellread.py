"""Each key field's box read again, alone, with a set-up made for that field.

The page read (chi_sim+eng, a column of lines) is a general reader: it reads 侯 as 修 in a name next to
Latin letters, S as $ in a transaction number, and the digits of a phone number as words. A field's value
is read a second time from its box (records.layout) on the cleaned page (records.pageprep), as one line
(psm 7): words in chi_sim only, no English model to turn a character of a name into Latin letters; numbers
in eng (SPECS). What each
field may contain is checked afterwards (records.keyfields: digits and X, the operator's numbering formats,
a surname, the business-type table).
The box is cut from the straightened, cleaned page with a white border (Tesseract reads a line best with
some margin). The engine (records.engine) does the reading; without it, the `tesseract` command.
"""
import subprocess
from pathlib import Path

import numpy as np
from django.conf import settings
from PIL import Image

from .pageprep import INK, despeckle

# Every box is read in chi_sim without a character whitelist: with one, Tesseract 5 forces what it saw as
# "$" to "S" and reports that word's confidence as 0 (measured on the bench's forms), so the confidence that
# decides the flag would be lost. The character set is enforced by each field's check instead (digits and X
# for ID numbers, the operator's format for transaction numbers).
# Numbers are read by the Latin model: chi_sim inserts and doubles digits in a line of figures and reads the S
# of a serif face as 9 (measured on 40 of the bench's forms: 92 of 120 number boxes read right in chi_sim,
# 111 in eng). Dates keep chi_sim for 年月日.
SPECS = {**dict.fromkeys(("business_date", "business_type", "customer_name", "customer_name_copy", "label"),
                         {"lang": "chi_sim", "whitelist": ""}),
         **dict.fromkeys(("transaction_no", "service_number", "id_number", "id_number_copy"),
                         {"lang": "eng", "whitelist": ""})}
BORDER = 12
PAPER = 200  # lighter than this is paper
LINE_GAP = 10  # pixel rows without ink that end a line (at 240-300 dpi a character's strokes are closer)


def crop(prepared, frame, box):
    """The box (in the straightened frame) of the page in grey (coloured ink already dropped out), with the
    rules records.pageprep found and speckle made white, trimmed to its ink and given a white border; None for an empty
    box. Only the box is cut and turned, never a copy of the page (memory)."""
    left, top, right, bottom = box
    if right - left < 8 or bottom - top < 8:
        return None
    inner = (left + 2, top + 2, right - 2, bottom - 2)
    pixels = np.array(frame.cut(prepared.gray, inner))
    ink = pixels < INK
    if prepared.lines is not None:
        ink &= np.asarray(frame.cut(prepared.lines, inner))  # white (True) where no rule was
    kept = despeckle(ink)
    pixels[~kept & (pixels < INK)] = 255
    pixels[pixels > PAPER] = 255  # the paper's grey and what is left of a seal after the dropout
    band = _line(kept)
    if band is None:
        return None  # an empty cell
    top, bottom = band
    columns = np.flatnonzero(kept[top:bottom].any(axis=0))
    piece = Image.fromarray(pixels[top:bottom, columns[0]:columns[-1] + 1])
    framed = Image.new("L", (piece.width + 2 * BORDER, piece.height + 2 * BORDER), 255)
    framed.paste(piece, (BORDER, BORDER))
    return framed


def _line(kept):
    """(top, bottom) of the value's line: the rows of ink split into bands at gaps wider than a stroke's
    spacing (the strokes of 三 stay together), and the band with the most ink taken (a seal's arc or a
    signature's tail below the value is left out); None without ink."""
    rows = kept.sum(axis=1)
    inked = np.flatnonzero(rows > 0)
    if not len(inked):
        return None
    bands, start, last = [], inked[0], inked[0]
    for row in inked[1:]:
        if row - last > LINE_GAP:
            bands.append((start, last + 1))
            start = row
        last = row
    bands.append((start, last + 1))
    return max(bands, key=lambda band: rows[band[0]:band[1]].sum())


def read(pieces, workdir, tag, pool, lang=None):
    """[(name, image or None)] → [(text, [word confidences])], in order; `pool` lends the engines. `lang`
    replaces the fields' own language (records.fieldread's third reading)."""
    requests, answers = [], [("", [])] * len(pieces)
    for index, (name, image) in enumerate(pieces):
        if image is None:
            continue
        path = Path(workdir) / f"{tag}-cell{index}.png"
        image.save(path, dpi=(300, 300))
        requests.append((index, {"image": str(path), "lang": lang or SPECS[name]["lang"], "psm": 7,
                                 "whitelist": SPECS[name]["whitelist"]}))
    if not requests:
        return answers
    try:
        if getattr(settings, "OCR_ENGINE", "library") == "library" and pool.available():
            results = pool.cells([r for _, r in requests])
            for (index, _), result in zip(requests, results):
                answers[index] = (result["text"], [c for c in result["confidences"] if c >= 0])
        else:
            for index, request in requests:
                answers[index] = _command(request)
    finally:
        for _, request in requests:
            Path(request["image"]).unlink(missing_ok=True)
    return answers


def _command(request):
    """The same reading through the `tesseract` command (one process per cell: only where engines cannot run)."""
    command = ["tesseract", request["image"], "stdout", "-l", request["lang"], "--psm", str(request["psm"]),
               "--dpi", "300", "-c", f"tessedit_char_whitelist={request['whitelist']}", "tsv"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    words, confidences = [], []
    for line in result.stdout.splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) == 12 and parts[0] == "5" and parts[11].strip():
            words.append(parts[11].strip())
            confidences.append(float(parts[10]))
    joiner = "" if request["lang"] == "chi_sim" else " "
    return joiner.join(words), confidences
