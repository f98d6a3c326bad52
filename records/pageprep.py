"""What is not text is taken off a page before it is read: coloured ink, table rules and scanner speckle.

Halls print their forms in black and then stamp a red seal across the date and phone cells and sign in blue
pen. Read as grey, a red seal is as dark as print (L ≈ 95) and turns the cells under it into noise. The
colour dropout keeps each pixel's brightest channel: red and blue ink become light and vanish at the ink
threshold, while black print, also where the seal lies over it, stays black (the scanners' "red dropout",
done for every colour). Only colour scans pay for it; grey and bilevel pages are left as they are.

Ruled lines are found as runs of ink longer than any stroke of a character (a quarter inch across, a quarter
inch down), which survives the up-to-2° skew of a page fed by hand (a 3 px rule at 2° still runs 85 px on
one row). They are both removed before reading and kept as the table's geometry for records.layout.
Speckle is ink with almost no ink around it (under 12% of an 11 × 11 window); strokes and the dots of a
colon have more. All of it works on arrays of one byte or one bit per pixel, a few copies of the page at
most (an A4 page at 300 dpi is 8.7 MB a copy).
"""
import numpy as np
from PIL import Image, ImageChops, ImageFilter

INK = 160  # grey levels below this are ink (as records.pagecheck.INK_THRESHOLD)
SPECKLE_DENSITY = 0.12


def grey(image):
    """The page in grey with coloured ink dropped out (a colour page), or simply in grey."""
    if image.mode in ("RGB", "RGBA", "CMYK", "P", "YCbCr"):
        red, green, blue = image.convert("RGB").split()[:3]
        return ImageChops.lighter(ImageChops.lighter(red, green), blue)
    return image if image.mode == "L" else image.convert("L")


def _runs(mask, axis, length):
    """Where `mask` has a run of at least `length` along `axis` (erosion, then dilation, by doubling shifts)."""
    runs = mask.copy()
    done = 1
    while done < length:
        step = min(done, length - done)
        if axis == 1:
            runs[:, :-step] &= runs[:, step:]
            runs[:, -step:] = False
        else:
            runs[:-step] &= runs[step:]
            runs[-step:] = False
        done += step
    grown = 1
    while grown < length:
        step = min(grown, length - grown)
        if axis == 1:
            runs[:, step:] |= runs[:, :-step]
        else:
            runs[step:] |= runs[:-step]
        grown += step
    return runs


def rules(ink, dpi):
    """(horizontal, vertical) masks of the ruled lines in a page's ink mask."""
    length = max(4, int(dpi * 0.25))
    return _runs(ink, 1, length), _runs(ink, 0, length)


def _thicken(mask):
    """One pixel more on every side: the blurred edge of a rule goes with it."""
    out = mask.copy()
    out[1:] |= mask[:-1]
    out[:-1] |= mask[1:]
    edge = out.copy()
    out[:, 1:] |= edge[:, :-1]
    out[:, :-1] |= edge[:, 1:]
    return out


def despeckle(ink):
    """The ink mask without isolated dots."""
    density = Image.fromarray(ink.astype(np.uint8) * 255).filter(ImageFilter.BoxBlur(5))
    return ink & (np.asarray(density) > int(SPECKLE_DENSITY * 255))


def _packed(white):
    """A mask as a bilevel image (True white), packed eight pixels a byte as Pillow keeps mode "1"."""
    height, width = white.shape
    return Image.frombytes("1", (width, height), np.packbits(white, axis=1).tobytes())


class Prepared:
    """A page ready to read: its bilevel image without rules, and the rules for the layout. On a page without
    rules (text) speckle is left to records.pagecheck's median filter where it is heavy, as before: the pass
    costs more there than it gives. The boxes read again are despeckled each (records.cellread)."""

    SCALE = 2  # (the code below halves) rules are found on a half-size copy (a pixel there is ink if any of its four was): a quarter
    # of the memory and time, and a 2 px rule is still 1 px there

    def __init__(self, gray, dpi, threshold=INK):
        ink = np.asarray(gray) < threshold
        self.lines = None
        height, width = ink.shape[0] // self.SCALE * self.SCALE, ink.shape[1] // self.SCALE * self.SCALE
        small = ink[0:height:2, 0:width:2] | ink[1:height:2, 0:width:2]
        small |= ink[0:height:2, 1:width:2]
        small |= ink[1:height:2, 1:width:2]
        self.horizontal, self.vertical = rules(small, dpi / self.SCALE)
        del small
        self.ruled = bool(self.horizontal.any() and self.vertical.any())
        if self.ruled:  # a form: its rules out, and its speckle (which garbles short cells more than text)
            lines = np.zeros_like(ink)
            lines[:height, :width] = _thicken(self.horizontal | self.vertical).repeat(self.SCALE, axis=0).repeat(
                self.SCALE, axis=1)
            ink &= ~lines
            self.lines = _packed(~lines)  # (white where a rule was) for the boxes read again
            del lines
            ink = despeckle(ink)
        self.ink = ink
        self.dpi = dpi
        self.gray = gray
        self._image = None

    def image(self):
        """The page as a bilevel image (ink black), packed eight pixels a byte as Pillow keeps mode "1"."""
        if self._image is None:
            self._image = _packed(~self.ink)
        return self._image
