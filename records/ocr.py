"""OCR of a record, page by page, in the worker; restartable.

Each page is rasterised (PDF via pdftoppm, TIFF frame by frame), checked (records.pagecheck), deskewed,
cleaned of coloured ink, table rules and speckle (records.pageprep) and read by one Tesseract run
(chi_sim+eng) that writes the text, the word boxes and that page's searchable PDF (page image as scanned +
invisible text layer). The key fields' boxes are then found by layout and read again (records.fieldread). The page's PDF piece is stored under a fixed name and its Page row is saved
after it, so a worker killed in the middle resumes at the first page without a row, never duplicating a
page or leaving a stray file. A worker holds the file under a lease while it works (records/lease.py): a
dead worker's file is taken over by another, and faults of the database or S3 queue it again instead of
failing it. At the end the pieces are assembled with pypdf into the access copy; the
preservation master is never touched. An access copy stored but not yet saved in the row when the worker dies
is left to the orphan sweep (records/orphans.py); the copy it replaces is removed only after the row is saved,
so a row never names a removed file.

A page that fails the page check (too low a resolution) does not stop the others: it is kept as an image
without text, and at the end the record fails with a sentence naming the pages to rescan. Failure reasons
shown to people are Chinese sentences; the exception behind one is logged for operators.
"""
import csv
import io
import logging
import os
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import reset_queries, transaction
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader, PdfWriter, Transformation

from . import engine, fieldread, fixity, keyfields, lease, pagecheck, pageprep, pdfjoin, storage, suggest, transitions
from .intake import tmp_dir
from .models import Page, Record, StoredObject

LANG = "chi_sim+eng"
RASTER_DPI = 300
PSM = "4"  # one column of lines: keeps a form's "label: value" lines together, ignores speckle
# Inverted-text retries are for light-on-dark print, which paper forms do not have.
TESSERACT_CONFIG = ["-c", "tessedit_do_invert=0"]
# Engines that keep the models loaded between pages (records.engine); the command is the fallback.
ENGINES = engine.Pool(LANG, PSM, RASTER_DPI, [("tessedit_do_invert", "0")])


log = logging.getLogger(__name__)
SYSTEM_ERROR = "识别时出现系统错误（详情已记入服务日志），请稍后重试；如仍失败请联系管理员"


class OcrFailure(Exception):
    """A failure whose message is a sentence for the people who see the record."""


def failure_reason(record, exc):
    """The sentence stored as the record's OCR error; anything but an OcrFailure is logged in full."""
    if isinstance(exc, OcrFailure):
        return str(exc)
    log.error("OCR of record %s failed", record.pk, exc_info=exc)
    return SYSTEM_ERROR


def rescan_reason(pages, total):
    """The failure of a file with pages that failed the page check: which pages to rescan and why."""
    numbers = "、".join(str(number) for number, _problems in pages)
    why = "；".join(f"第 {number} 页{problems[0]}" for number, problems in pages[:5]) + ("等" if len(pages) > 5 else "")
    return f"请重新扫描第 {numbers} 页：{why}。其余 {total - len(pages)} 页已识别并保留。"


@dataclass
class PageResult:
    number: int
    text: str
    confidence: float | None
    pdf: bytes
    check: pagecheck.PageCheck
    fields: dict = None


def threads():
    return max(1, getattr(settings, "OCR_THREADS", 0) or os.cpu_count() or 1)


def pdf_page_dpis(path):
    """Resolution and colour of the scan on each page of a PDF: {page: (dpi of its sharpest image, whether
    any image is in colour)}, from poppler's `pdfimages -list` (nothing is decoded or kept in memory)."""
    result = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, timeout=600)
    pages = {}
    for line in result.stdout.splitlines()[2:]:
        parts = line.split()
        if len(parts) >= 14 and parts[0].isdigit() and parts[2] == "image":
            try:
                number, dpi = int(parts[0]), int(round(float(parts[12])))
            except ValueError:
                continue
            known_dpi, colour = pages.get(number, (0, False))
            pages[number] = (max(known_dpi, dpi), colour or parts[5] not in ("gray", "-"))
    return pages


def _rasterise_pdf_page(path, number, workdir, colour=False):
    out = Path(workdir) / f"r{number}"
    subprocess.run(["pdftoppm", "-r", str(RASTER_DPI), *([] if colour else ["-gray"]), "-f", str(number), "-l",
                    str(number), "-singlefile", str(path), str(out)], check=True, capture_output=True, timeout=300)
    name = f"{out}.{'ppm' if colour else 'pgm'}"
    image = Image.open(name)
    image.load()
    os.unlink(name)
    return image


def _load_page(path, kind, number, workdir, pdf_page=None):
    """(the page image, grey or colour as scanned; dpi of the original scan) of page `number` (1-based)."""
    if kind == "pdf":
        dpi, colour = pdf_page or (None, False)
        return _rasterise_pdf_page(path, number, workdir, colour), dpi
    with Image.open(path) as source:
        source.seek(number - 1)
        image = source.convert("RGB") if source.mode in ("RGB", "RGBA", "CMYK", "P", "YCbCr") else source.convert("L")
        return image, pagecheck.image_dpi(source)


def _tesseract(bilevel, workdir, number):
    """One Tesseract run on the cleaned bilevel page → (text, mean word confidence, text-only PDF page, word
    boxes as TSV)."""
    base = Path(workdir) / f"p{number}"
    source = base.with_suffix(".tif")
    bilevel.save(source, "TIFF", compression="group4")
    try:
        if getattr(settings, "OCR_ENGINE", "library") == "library" and ENGINES.available():
            try:
                answer = ENGINES.read(source, base)
            except engine.EngineError as exc:
                log.error("Tesseract failed on page %s: %s", number, exc)
                raise OcrFailure(f"第 {number} 页文字识别程序出错，请稍后重试；如仍失败请联系管理员") from exc
            text, confidences, tsv = answer["text"], [c for c in answer["confidences"] if c >= 0], answer["tsv"]
        else:
            text, confidences, tsv = _tesseract_command(source, base, number)
        pdf = base.with_suffix(".pdf").read_bytes()
    finally:
        for suffix in (".tif", ".txt", ".pdf", ".tsv"):
            base.with_suffix(suffix).unlink(missing_ok=True)
    return text, (round(sum(confidences) / len(confidences), 1) if confidences else None), pdf, tsv


def _tesseract_command(source, base, number):
    """The same reading through the `tesseract` command (where libtesseract cannot be loaded)."""
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    result = subprocess.run(["tesseract", str(source), str(base), "-l", LANG, "--dpi", str(RASTER_DPI), "--psm", PSM,
                             *TESSERACT_CONFIG, "-c", "textonly_pdf=1", "pdf", "txt", "tsv"], capture_output=True, env=env, timeout=600)
    if result.returncode != 0:
        log.error("tesseract failed on page %s: %s", number, result.stderr.decode(errors="replace").strip()[-300:])
        raise OcrFailure(f"第 {number} 页文字识别程序出错，请稍后重试；如仍失败请联系管理员")
    confidences = []
    tsv = base.with_suffix(".tsv").read_text(encoding="utf-8")
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row.get("text", "").strip() and float(row.get("conf", -1)) >= 0:
            confidences.append(float(row["conf"]))
    return base.with_suffix(".txt").read_text(encoding="utf-8"), confidences, tsv


def _image_pdf(image):
    """The page image as a one-page PDF (JPEG inside), the visible layer of the access copy."""
    buffer = io.BytesIO()
    image.save(buffer, "PDF", resolution=RASTER_DPI, quality=60)
    return buffer.getvalue()


def _searchable(image, text_pdf):
    """Page image with Tesseract's invisible text layer laid over it."""
    writer = PdfWriter(clone_from=io.BytesIO(_image_pdf(image)))
    writer.pages[0].merge_page(PdfReader(io.BytesIO(text_pdf)).pages[0])
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def process_page(path, kind, number, workdir, pdf_page=None):
    try:
        image, dpi = _load_page(path, kind, number, workdir, pdf_page)
    except Exception as exc:  # damaged page data (intake decodes images, but a PDF's pages only here)
        log.warning("page %s of %s cannot be read: %s: %s", number, Path(path).name, type(exc).__name__, exc)
        raise OcrFailure(f"第 {number} 页已损坏或不完整，无法读取；请重新扫描该文件") from exc
    gray = pageprep.grey(image)  # what is read: coloured ink dropped out (records.pageprep)
    visible = gray if image.mode == "L" else image.convert("L")  # what people see: seals, signatures
    del image
    for page in (visible, gray):
        if dpi:
            page.info["dpi"] = (dpi, dpi)
        else:
            page.info.pop("dpi", None)  # not recorded: read as 300 dpi with a warning (records.pagecheck)
    check = pagecheck.check(gray)
    if check.rejected or check.blank:  # nothing to read (or to be rescanned): the page image without text layer
        return PageResult(number, "", None, _image_pdf(visible), check)
    if check.speckle >= pagecheck.SPECKLE_DENOISE:
        # heavy speckle costs OCR accuracy (and time on sparse pages)
        visible, gray = (pagecheck.denoise(visible), pagecheck.denoise(gray)) if visible is not gray else (
            (pagecheck.denoise(gray),) * 2)
    skew = check.skew
    if abs(skew) > pagecheck.MAX_SKEW:  # strong skew hurts OCR: straighten the pixels first
        visible, gray = (pagecheck.deskew(visible, skew), pagecheck.deskew(gray, skew)) if visible is not gray else (
            (pagecheck.deskew(gray, skew),) * 2)
        skew = 0.0
    prepared = pageprep.Prepared(gray, dpi or RASTER_DPI)
    size = gray.size
    del gray
    text, confidence, text_pdf, tsv = _tesseract(prepared.image(), workdir, number)
    fields = fieldread.read_page(prepared, tsv, skew, size, workdir, number, ENGINES)
    return PageResult(number, text, confidence, _searchable(visible, text_pdf), check, fields)


def residual_skew(page):
    """Skew left in a page's PDF piece: small skews are not resampled before OCR (see process_page)."""
    return page.skew if 0.3 <= abs(page.skew) <= pagecheck.MAX_SKEW else 0.0


def _straightening(pdf_page, skew):
    """The matrix that rotates a page's content (image and text layer together) about its centre by -skew
    degrees."""
    box = pdf_page.mediabox
    cx, cy = float(box.width) / 2, float(box.height) / 2
    return Transformation().translate(-cx, -cy).rotate(-skew).translate(cx, cy).ctm


def _piece_name(record, number):
    return storage.piece_name(record.pk, number)


def _save_piece(name, data):
    if storage.customer_files().exists(name):
        storage.customer_files().delete(name)
    saved = storage.customer_files().save(name, ContentFile(data))
    if saved != name:  # storage refused the fixed name: never keep a stray copy
        storage.customer_files().delete(saved)
        log.error("storage stored %s as %s", name, saved)
        raise OcrFailure("识别结果无法保存，请稍后重试；如仍失败请联系管理员")
    return name


def _store(record, result, held=None):
    if held:
        held.check()  # taken over meanwhile: store nothing more
    name = _save_piece(_piece_name(record, result.number), result.pdf)
    check = result.check
    Page.objects.update_or_create(record=record, number=result.number, defaults={
        "text": result.text, "confidence": result.confidence, "dpi": check.dpi, "skew": check.skew,
        "ink_ratio": check.ink_ratio, "warnings": check.warnings, "problems": check.problems, "piece": name,
        "fields": result.fields or {}})
    if held:
        held.renew()
    else:
        Record.objects.filter(pk=record.pk).update(ocr_heartbeat=timezone.now())
    reset_queries()  # with DEBUG on, Django would keep every query of a long file in memory


def _assemble(record, numbers, workdir):
    """The access copy from the pages' pieces, written page by page (memory does not grow with pages)."""
    skews = dict(record.pages.values_list("number", "skew"))
    out = Path(workdir) / "access.pdf"
    with open(out, "wb") as fh, pdfjoin.Joiner(fh) as joiner:
        for number in numbers:
            with storage.customer_files().open(_piece_name(record, number), "rb") as piece:
                page = PdfReader(io.BytesIO(piece.read())).pages[0]
            skew = residual_skew(Page(skew=skews.get(number, 0)))
            joiner.add_page(page, ctm=_straightening(page, skew) if skew else None)
    with open(out, "rb") as fh:  # page count read back from the file itself, lazily
        count = len(PdfReader(fh).pages)
    with open(out, "rb") as fh:  # its fixity value, registered when the row points at it (run)
        record._access_fixity = fixity.file_digest(fh)
    with open(out, "rb") as fh:  # the copy it replaces is removed once the row points at this one (_run)
        record.access_copy.save(f"{record.hall.code}/{record.pk}.pdf", File(fh), save=False)
    return count


def _cleanup_pieces(record, numbers):
    for number in numbers:
        name = _piece_name(record, number)
        if storage.customer_files().exists(name):
            storage.customer_files().delete(name)
    Page.objects.filter(record=record).update(piece="")


def run(record_id, progress=None):
    """OCR one record (resuming where a killed worker stopped)."""
    record = Record.objects.select_related("hall").get(pk=record_id)
    if record.status not in (Record.Status.OCR_QUEUED, Record.Status.OCR_RUNNING):
        return {"skipped": record.get_status_display()}
    try:
        transitions.start_ocr(record, expired_before=timezone.now() - timedelta(seconds=lease.lease_seconds()))
    except transitions.TransitionError:
        return {"skipped": "held by another worker"}
    held = lease.Lease(record.pk, record.ocr_attempts)
    with held:
        try:
            return _run(record, progress, held)
        except (lease.LeaseLost, transitions.LeaseHeld):
            return {"taken_over": record.pk}
        except Exception as exc:
            return _failed(record, exc, held)


def _failed(record, exc, held):
    """A transient fault queues the file again (S3 is not called); any other failure is the file's own."""
    if lease.transient(exc):  # the fault goes to the event log for operators; the file shows no error
        fault = f"{type(exc).__name__}: {exc}"
        lease.drop_broken_connection()
        lease.requeue_later(record, fault, held.attempt)
        return {"requeued": fault}
    reason = failure_reason(record, exc)
    try:
        held.check()  # never clear pieces another worker now holds
        _cleanup_pieces(record, range(1, record.page_count + 1))
        record.pages.all().delete()
        transitions.fail_ocr(record, reason[:1000], attempt=held.attempt)
    except (lease.LeaseLost, transitions.LeaseHeld):
        return {"taken_over": record.pk}
    except Exception as again:
        if not lease.transient(again):
            raise
        lease.drop_broken_connection()
        lease.requeue_later(record, reason, held.attempt)  # the failure is recorded when it is tried again
        return {"requeued": reason}
    return {"failed": reason}


def _run(record, progress, held=None):
    scan = record.scans.order_by("pk").first()
    if scan is None:
        raise OcrFailure("该客户资料没有扫描件，无法识别")
    done = set(record.pages.exclude(piece="").values_list("number", flat=True))
    record.pages.filter(piece="").delete()  # rows of an earlier finished run are rebuilt
    numbers = list(range(1, scan.page_count + 1))
    todo = [n for n in numbers if n not in done]
    with tempfile.TemporaryDirectory(prefix="ocr-", dir=tmp_dir()) as workdir:
        if held:
            held.folder = Path(workdir)
        local = Path(workdir) / f"master.{scan.kind}"
        with scan.master.open("rb") as src, open(local, "wb") as dst:
            while chunk := src.read(1024 * 1024):
                dst.write(chunk)
        pdf_pages = pdf_page_dpis(local) if scan.kind == "pdf" else {}
        with ThreadPoolExecutor(max_workers=threads()) as pool:
            window = threads() * 2
            pending = []
            for number in todo:
                pending.append(pool.submit(process_page, local, scan.kind, number, workdir, pdf_pages.get(number)))
                if len(pending) >= window:
                    _store(record, pending.pop(0).result(), held)
                    if progress:
                        progress(record.pages.count(), len(numbers))
            for future in pending:
                _store(record, future.result(), held)
                if progress:
                    progress(record.pages.count(), len(numbers))
        replaced = record.access_copy.name
        page_count = _assemble(record, numbers, workdir)
    _cleanup_pieces(record, numbers)
    pages = list(record.pages.order_by("number").values_list("text", "fields"))
    extracted = keyfields.extract_fields([f for _, f in pages], "\n".join(t for t, _ in pages),
                                         {"opened_on": getattr(record.hall, "opened_on", None)})
    if held:
        held.check()
    flagged = transitions.apply_fields(record, extracted)
    record.page_count = page_count
    with transaction.atomic():  # the row points at the new copy and its fixity value is recorded together
        record.save(update_fields=["fields", "page_count", "access_copy", "transaction_no", "service_number",
                                   "id_number", "id_number_hash", "business_date", "category", "business_type",
                                   "customer_name"])
        if getattr(record, "_access_fixity", None):
            digest, size = record._access_fixity
            fixity.register(record.access_copy.name, StoredObject.Kind.ACCESS, digest, size, record=record)
    if replaced and replaced != record.access_copy.name:  # a crash before this leaves an orphan (records/orphans.py)
        record.access_copy.storage.delete(replaced)
        fixity.forget([replaced])
    rejected = [(n, p) for n, p in record.pages.order_by("number").values_list("number", "problems") if p]
    if rejected:  # the pages read are kept (text, access copy); the record says which pages to rescan
        reason = rescan_reason(rejected, page_count)
        transitions.fail_ocr(record, reason, attempt=held.attempt if held else None)
        return {"failed": reason, "pages": page_count}
    warnings = sum(len(w) for w in record.pages.values_list("warnings", flat=True))
    transitions.finish_ocr(record, {"pages": page_count, "flagged": flagged, "page_warnings": warnings},
                           attempt=held.attempt if held else None)
    if "customer_name" in flagged:  # a billing report imported before the scan may name the customer
        suggest.suggest_names([record])
    return {"pages": page_count, "flagged": flagged}


def recover_stale(minutes=None):
    """Files left running by a stopped worker (no heartbeat for `minutes`, default the lease) are queued
    again and its scratch folders removed (records/lease.py; every worker also does this periodically)."""
    return lease.reclaim_expired(None if minutes is None else minutes * 60)
