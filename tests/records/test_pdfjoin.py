"""records.pdfjoin: pages of several PDFs joined into one file, page by page, in bounded memory. The result is
checked by pypdf in strict mode and by poppler (pdfinfo, pdftotext, pdfimages), which are independent readers."""
import gc
import io
import os
import subprocess
import tracemalloc

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter, Transformation
from pypdf.generic import NameObject
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from records.pdfjoin import Joiner

FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"


def text_pdf(*lines):
    """One page per line, Chinese text in an embedded font (one font object shared by the pages)."""
    if "WQY" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("WQY", FONT))
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4)
    for line in lines:
        c.setFont("WQY", 20)
        c.drawString(72, 700, line)
        c.showPage()
    c.save()
    return buffer.getvalue()


def image_pdf(seed=0, size=(400, 300)):
    image = Image.frombytes("L", size, os.urandom(size[0] * size[1]) if seed else bytes(size[0] * size[1]))
    buffer = io.BytesIO()
    image.save(buffer, "PDF", resolution=100)
    return buffer.getvalue()


def inherited_pdf():
    """A page whose MediaBox and Resources sit on the page tree, not on the page (allowed by the standard)."""
    writer = PdfWriter(clone_from=io.BytesIO(text_pdf("继承的页面")))
    page = writer.pages[0]
    tree = page["/Parent"].get_object()
    for key in ("/MediaBox", "/Resources"):
        tree[NameObject(key)] = page.raw_get(key)
        del page[key]
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def join(*documents, ctm=None):
    out = io.BytesIO()
    with Joiner(out) as joiner:
        for data in documents:
            reader = PdfReader(io.BytesIO(data))
            if ctm is None:
                joiner.add(reader)
            else:
                for page in reader.pages:
                    joiner.add_page(page, ctm=ctm)
    return out.getvalue(), joiner.page_count


def poppler(tool, data, *args):
    result = subprocess.run([tool, *args, "-"] + (["-"] if tool == "pdftotext" else []), input=data,
                            capture_output=True, check=True)
    assert result.stderr == b"", result.stderr  # poppler complains about any damage it finds
    return result.stdout.decode()


def test_pages_of_several_documents_in_order_readable_by_pypdf_and_poppler():
    data, count = join(text_pdf("第一页 封面", "第二页 稽核"), image_pdf(), inherited_pdf(), text_pdf("第五页 资料"))
    assert count == 5
    reader = PdfReader(io.BytesIO(data), strict=True)
    assert len(reader.pages) == 5
    assert "Pages:           5" in poppler("pdfinfo", data)
    texts = [poppler("pdftotext", data, "-f", str(n), "-l", str(n)) for n in range(1, 6)]
    assert "第一页 封面" in texts[0] and "第二页 稽核" in texts[1] and texts[2].strip() == ""
    assert "继承的页面" in texts[3] and "第五页 资料" in texts[4]
    assert float(reader.pages[3].mediabox.width) == pytest.approx(A4[0])  # taken from the old page tree
    images = poppler("pdfimages", data, "-list").splitlines()[2:]
    assert len(images) == 1 and images[0].split()[0] == "3" and images[0].split()[3:5] == ["400", "300"]


def test_objects_shared_by_the_pages_of_a_document_are_written_once():
    source = text_pdf(*[f"第{n}页" for n in range(10)])
    data, _ = join(source)
    assert data.count(b"/FontFile2") == source.count(b"/FontFile2") == 1
    assert len(data) < len(source) * 1.2


def test_transformation_applies_to_the_whole_page_content():
    ctm = Transformation().translate(-297, -421).rotate(-2).translate(297, 421).ctm  # as ocr straightens a page
    data, _ = join(text_pdf("旋转"), ctm=ctm)
    page = PdfReader(io.BytesIO(data), strict=True).pages[0]
    content = page.get_contents().get_data()
    assert content.startswith(b"q " + b" ".join(b"%.6f" % v for v in ctm) + b" cm\n")
    assert content.rstrip().endswith(b"Q")
    assert "旋转" in poppler("pdftotext", data)


def _peak_joining(path, page, count):
    tracemalloc.start()
    try:
        with open(path, "wb") as fh, Joiner(fh) as joiner:
            for n in range(count):
                joiner.add(PdfReader(io.BytesIO(page)))
                if n % 10 == 0:
                    gc.collect()  # pypdf readers are reference cycles: free them at a known pace
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_page_count(tmp_path):
    """30 and 300 pages of incompressible image (4 and 40 MB written) take the same memory: the joiner holds
    one page at a time, where pypdf's PdfWriter would hold all of them."""
    page = image_pdf(seed=1, size=(600, 400))
    assert len(page) > 100_000
    few = _peak_joining(tmp_path / "few.pdf", page, 30)
    many = _peak_joining(tmp_path / "many.pdf", page, 300)
    assert (tmp_path / "many.pdf").stat().st_size > 0.95 * 300 * len(page)
    assert many < few + 1_000_000, f"peak {few} bytes for 30 pages, {many} for 300"
    assert len(PdfReader(tmp_path / "many.pdf", strict=True).pages) == 300


def test_empty_join_is_a_valid_pdf_with_no_pages():
    data, count = join()
    assert count == 0 and len(PdfReader(io.BytesIO(data), strict=True).pages) == 0
