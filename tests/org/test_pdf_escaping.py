"""User text in printed PDFs is text, never ReportLab markup.

Every form is printed through its real view with hostile text in every free-text field: an <img> tag naming
an image on the server must not embed it, a tag naming any other file or a broken tag must not turn the PDF
into a 500, and the text must appear literally. A source check keeps Paragraph out of reach of the printing
modules (only org/printing.py builds one, and it escapes)."""
import ast
import io
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import IndirectObject

from archive import dailyclose, errors, handover, level1, level2
from archive.binding import Bind, CloseMonth, FixReturned
from archive.models import ErrorEntry, HandoverForm, Level1Audit, Volume
from org.models import Branch, Hall, User
from records.models import Record
from tests.archive_helpers import PASSWORD, day, make_day
from tests.handbook_support import make_handbook, make_procedure

ROOT = Path(__file__).resolve().parent.parent.parent
EVIL_SIZE = (37, 23)  # an image of this size in a PDF can only be the planted one


@pytest.fixture(scope="module")
def planted_png():
    """A PNG on the server at a short path (the hostile text must fit a 40-character field)."""
    folder = tempfile.mkdtemp(prefix="e", dir="/tmp")
    path = Path(folder) / "e.png"
    Image.new("RGB", EVIL_SIZE, (255, 0, 0)).save(path)
    yield str(path)
    shutil.rmtree(folder)


@pytest.fixture(params=["server-image", "server-file", "broken-tags"])
def payload(request, planted_png):
    return {"server-image": f'<img src="{planted_png}"/>',
            "server-file": '<img src="/etc/hostname"/>',
            "broken-tags": "<b>unclosed <font name=x>&bogus;"}[request.param]


def images_in(data):
    """(width, height) of every image XObject of the PDF, Form XObjects searched too."""
    found, seen = [], set()

    def walk(resources):
        resources = resources.get_object() if isinstance(resources, IndirectObject) else resources
        if not resources or "/XObject" not in resources:
            return
        for ref in resources["/XObject"].get_object().values():
            key = ref.idnum if isinstance(ref, IndirectObject) else id(ref)
            if key in seen:
                continue
            seen.add(key)
            obj = ref.get_object()
            if obj.get("/Subtype") == "/Image":
                found.append((int(obj["/Width"]), int(obj["/Height"])))
            elif obj.get("/Subtype") == "/Form" and "/Resources" in obj:
                walk(obj["/Resources"])

    for page in PdfReader(io.BytesIO(data)).pages:
        if "/Resources" in page:
            walk(page["/Resources"])
    return found


def squeezed_text(data):
    text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout
    return re.sub(r"\s+", "", text.decode("utf-8"))


class Printer:
    """Fetches PDFs through the views and checks each one."""

    def __init__(self, user, hostile):
        self.client = Client(raise_request_exception=False)  # a view that fails answers 500, as in production
        self.client.force_login(user)
        self.hostile = hostile

    def get(self, url, tags, images=0):
        response = self.client.get(url)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        assert response["Content-Type"] == "application/pdf"
        data = b"".join(response.streaming_content) if response.streaming else response.content
        found = images_in(data)
        assert EVIL_SIZE not in found, f"{url}: a server file was embedded"
        assert len(found) == images, f"{url}: images {found}"
        text = squeezed_text(data)
        for tag in tags:
            assert re.sub(r"\s+", "", self.hostile(tag)) in text, f"{url}: {tag} not printed literally"
        return text


def _name(username, full_name):
    User.objects.filter(username=username).update(full_name=full_name)
    return User.objects.get(username=username)


def test_every_archive_form_prints_hostile_text_literally(payload, make_record, users):
    def hostile(tag):
        return f"{tag}{payload}"

    Hall.objects.filter(code="H11").update(name=hostile("HN"))
    Branch.objects.filter(code="B1").update(name=hostile("BN"))
    clerk, l1 = _name("clerk-H11", hostile("CK")), _name("l1-H11", hostile("AU"))
    keeper, auditor = _name("keeper-H11", hostile("KP")), _name("auditor-B1", hostile("B2"))
    marketing = _name("marketing", hostile("MK"))
    hall, branch = Hall.objects.get(code="H11"), Branch.objects.get(code="B1")

    files = make_day(make_record, "H11", day(5), ["agreement"] * 3, with_copy=True)
    Record.objects.filter(pk__in=[f.pk for f in files]).update(business_type=hostile("BT"))
    Record.objects.filter(pk=files[0].pk).update(transaction_no=hostile("TX"))
    files = list(Record.objects.filter(pk__in=[f.pk for f in files]).order_by("pk"))

    # level 1: one error (kind and description), corrected; notes on every mark and on the record
    dailyclose.DailyClose(clerk, hall, day(5)).run()
    audit = level1.open_audit(l1, hall, day(5))
    level1.Mark(l1, audit, files[0], passed=False, note=hostile("NT"), error_kind=hostile("EK")).run()
    errors.CorrectError(clerk, ErrorEntry.objects.get()).run()
    for record in files:
        level1.Mark(l1, audit, record, passed=True, note=hostile("N1")).run()
    level1.Sign(l1, audit, PASSWORD, notes=hostile("AN")).run()

    # clerk→hall: rejected with a reason, given again, received
    rejected = handover.GiveClerkHall(l1, PASSWORD, audit).run()
    handover.Reject(keeper, PASSWORD, rejected, hostile("R1")).run()
    accepted = handover.Receive(keeper, PASSWORD, handover.GiveClerkHall(l1, PASSWORD, audit).run()).run()

    Bind(keeper, files).run()
    CloseMonth(keeper, hall, 2026, 10, reason=hostile("CS"), today=day(31)).run()
    volume = Volume.objects.get()
    hall_branch = handover.Receive(auditor, PASSWORD, handover.GiveHallBranch(keeper, PASSWORD, [volume]).run()).run()

    # level 2 fails: a finding with a note and error kind, the reason noted on the hall→branch form
    audit2 = level2.Start(auditor, volume).run()
    for n, pk in enumerate(audit2.sample):
        level2.Finding(auditor, audit2, Record.objects.get(pk=pk), ok=n > 0, note=hostile("F2"),
                       error_kind="" if n else hostile("K2")).run()  # a pass with an error kind is refused
    level2.Finish(auditor, audit2, PASSWORD, reason=hostile("RS")).run()

    printer = Printer(auditor, hostile)
    sampled = Record.objects.filter(pk__in=audit2.sample)
    level2_tags = ["HN", "BT", "CK", "F2", "RS", "B2"] + (["TX"] if files[0] in sampled else [])
    level1_tags = ["HN", "AU", "TX", "BT", "CK", "EK", "NT", "AN"]
    printer.get(reverse("archive_admin:level1_pdf", args=[Level1Audit.objects.get().pk]), level1_tags)
    printer.get(reverse("archive_admin:form_pdf", args=[rejected.pk]), ["HN", "BN", "TX", "R1", "AU", "KP"])
    printer.get(reverse("archive_admin:form_pdf", args=[accepted.pk]), ["HN", "BN", "TX", "AU", "KP"])
    printer.get(reverse("archive_admin:form_pdf", args=[hall_branch.pk]), ["HN", "BN", "KP", "B2", "RS"])
    printer.get(reverse("archive_admin:cover_pdf", args=[volume.pk]), ["HN", "BN", "KP", "CS"], images=1)  # QR
    printer.get(reverse("archive_admin:level2_pdf", args=[volume.pk]), level2_tags)
    printer.get(reverse("archive_admin:volume_pdf", args=[volume.pk]),
                set(level1_tags + level2_tags + ["KP", "CS"]), images=1)

    # fixed, audited again and passed; the month goes to marketing, who rejects it with a reason
    errors.CorrectError(clerk, ErrorEntry.objects.get(level=ErrorEntry.Level.L2)).run()
    FixReturned(keeper, volume, hostile("FX")).run()
    handover.Receive(auditor, PASSWORD, handover.GiveHallBranch(keeper, PASSWORD, [volume]).run()).run()
    audit2 = level2.Start(auditor, volume).run()
    for pk in audit2.sample:  # a note longer than a page fits no table cell: the cell goes on over pages
        level2.Finding(auditor, audit2, Record.objects.get(pk=pk), ok=True, note=hostile("F3") + "说明" * 3000).run()
    level2.Finish(auditor, audit2, PASSWORD).run()
    monthly = handover.GiveBranchMarketing(auditor, PASSWORD, branch, 2026, 10).run()
    handover.Reject(marketing, PASSWORD, monthly, hostile("RM")).run()
    assert HandoverForm.objects.get(pk=monthly.pk).status == "rejected"
    printer.get(reverse("archive_admin:form_pdf", args=[monthly.pk]), ["BN", "B2", "MK", "RM"])
    printer.get(reverse("archive_admin:level2_pdf", args=[volume.pk]), ["HN", "BT", "CK", "F3", "B2"])
    printer.get(reverse("archive_admin:volume_pdf", args=[volume.pk]), ["HN", "F3", "AN", "CS"], images=1)


def test_handbook_pdfs_print_hostile_text_literally(payload, users):
    def hostile(tag):
        return f"{tag}{payload}"

    root, part = make_handbook()
    part.title = hostile("PA")
    part.save_revision().publish()
    make_procedure(part, title=hostile("PT"), objective=hostile("OB"), scope=hostile("SC"),
                   performers=hostile("PF"), change_summary=hostile("CH"),
                   key_moments=[("moment", {"when": hostile("WH"), "do": hostile("DO"), "limit_value": None,
                                            "limit_unit": ""})],
                   related_forms=[("form", {"name": hostile("FN"), "note": hostile("FO")})])
    procedure = part.get_children().last().specific
    printer = Printer(users("staff"), hostile)
    tags = ["PT", "OB", "SC", "PF", "CH", "WH", "DO", "FN", "FO"]
    printer.get(procedure.url + "pdf/", tags)
    printer.get(root.url + "pdf/", tags + ["PA"])


def test_separator_sheet_still_prints(users):
    printer = Printer(users("clerk-H11"), str)
    text = printer.get(reverse("records_admin:separator_sheet"), [], images=1)
    assert "客户资料分隔页" in text


# --- nothing but org/printing.py may build a Paragraph ----------------------------------------------

MARKUP_PARSERS = {"Paragraph", "XPreformatted", "ParaParser", "ParagraphAndImage", "ImageAndFlowables",
                  "Para", "FastPara", "ListFlowable", "ListItem", "TableOfContents", "SimpleIndex"}
MARKUP_MODULES = {"paragraph", "paraparser", "para", "xpreformatted", "tableofcontents"}


def _project_modules():
    skip = {".venv", "var", ".cache", "tests", "node_modules", "bench"}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if not any(p in skip or p.startswith(".") for p in parts):
            yield path


def test_only_org_printing_builds_paragraphs():
    """ReportLab parses a Paragraph's text as markup: building one anywhere else could skip the escaping."""
    offenders = []
    for path in _project_modules():
        if path == ROOT / "org" / "printing.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("reportlab"):
                names = [a.name for a in node.names] + [node.module.rsplit(".", 1)[-1]]
            elif isinstance(node, ast.Import):
                names = [a.name.rsplit(".", 1)[-1] for a in node.names if a.name.startswith("reportlab")]
            elif isinstance(node, ast.Attribute):
                names = [node.attr]
            if any(n in MARKUP_PARSERS or n in MARKUP_MODULES for n in names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
