"""Intake time of a 100-page scanned PDF, with and without decoding its images (issue 13: truncated or
corrupt page images are refused at intake, records/pdfcheck.py; intake must stay fast).

Generates 100 A4 pages at 300 dpi (acceptance forms and agreement text, light noise) as two PDFs: greyscale
JPEG pages (what most scanners write) and bilevel pages (Pillow writes them as CCITT G4 or Flate). Each is
inspected by the app's own intake check (records.intake.inspect: type, page tree, every page's box and
content) once without the image decoding (the baseline, the check as it was before) and once with it, in the
same run, --repeat times; the best of each is printed with the ratio.

Run: .venv/bin/python bench/intake_pdf.py [--pages 100] [--repeat 3]
"""
import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(var_dir):
    os.environ.update(APP_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="config.settings.dev")
    import django
    django.setup()


def scanned_pdf(pages, mode):
    from tests.scans import form_lines, form_page, text_page

    sources = [form_page(form_lines(), seed=n) if n % 2 else text_page(seed=n) for n in range(8)]
    images = [sources[n % len(sources)].convert(mode) for n in range(pages)]
    buffer = io.BytesIO()
    options = {"quality": 75} if mode == "L" else {}
    images[0].save(buffer, "PDF", resolution=300, save_all=True, append_images=images[1:], **options)
    return buffer.getvalue()


def best_time(path, repeat, decode):
    from records import intake, pdfcheck

    real = pdfcheck.check_page
    if not decode:
        pdfcheck.check_page = lambda page, limit, seen: None
    try:
        times = []
        for _ in range(repeat):
            staged = intake.Staged(path=path, name="scan.pdf", size=path.stat().st_size, sha256="")
            start = time.perf_counter()
            intake.inspect(staged)
            times.append(time.perf_counter() - start)
        return min(times), staged.page_count
    finally:
        pdfcheck.check_page = real


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-intake-") as var:
        setup_django(var)
        print(f"| PDF ({args.pages} pages, 300 dpi) | size | without image decoding | with | ratio |")
        print("|---|---|---|---|---|")
        for label, mode in (("greyscale JPEG", "L"), ("bilevel", "1")):
            path = Path(var) / f"{mode}.pdf"
            path.write_bytes(scanned_pdf(args.pages, mode))
            before, pages = best_time(path, args.repeat, decode=False)
            after, _ = best_time(path, args.repeat, decode=True)
            assert pages == args.pages
            print(f"| {label} | {path.stat().st_size / 1e6:.1f} MB | {before:.2f} s | {after:.2f} s | "
                  f"{after / before:.1f} |")


if __name__ == "__main__":
    main()
