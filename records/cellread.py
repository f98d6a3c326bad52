"""Each key field's box read again, alone, with a set-up made for that field.

The page read (chi_sim+eng, a column of lines) is a general reader: it reads 侯 as 修 in a name next to
Latin letters, S as $ in a transaction number, and the digits of a phone number as words. A field's value
is read a second time from its box (records.layout) on the cleaned page (records.pageprep), as one line
(psm 7), in chi_sim only: no English model to turn a character of a name into Latin letters. What each
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
SPECS = dict.fromkeys(("transaction_no", "service_number", "id_number", "id_number_copy", "business_date",
                       "business_type", "customer_name", "customer_name_copy", "label"),
                      {"lang": "chi_sim", "whitelist": ""})
BORDER = 12


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
    bbox = Image.fromarray(kept.astype(np.uint8)).getbbox()
    if bbox is None:
        return None  # an empty cell
    piece = Image.fromarray(pixels).crop(bbox)
    framed = Image.new("L", (piece.width + 2 * BORDER, piece.height + 2 * BORDER), 255)
    framed.paste(piece, (BORDER, BORDER))
    return framed


def read(pieces, workdir, tag, pool):
    """[(name, image or None)] → [(text, [word confidences])], in order; `pool` lends the engines."""
    requests, answers = [], [("", [])] * len(pieces)
    for index, (name, image) in enumerate(pieces):
        if image is None:
            continue
        path = Path(workdir) / f"{tag}-cell{index}.png"
        image.save(path, dpi=(300, 300))
        requests.append((index, {"image": str(path), "lang": SPECS[name]["lang"], "psm": 7,
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
