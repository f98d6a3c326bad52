"""Issue 16, the handover forms and the binding screen, the server's side.

A form's contents read as a table (volumes and files by category, with counts, a total), never a Python
dict. The receiver ticks each row they counted; receiving refuses (in Chinese, nothing changed) unless every
row is ticked or a discrepancy is written; the ticks and the note are stored on the form, shown on it and
logged with the receipt and the signature. The messages that mention a form link to it. The binding screen
has column headers and a select-all box, no file is ticked in advance, and the volume list shows each
volume's file count and month."""
import re

import pytest
from django.urls import reverse

from archive import events, handover
from archive.binding import Bind, CloseMonth
from archive.models import HandoverForm, Volume
from org.auditlog_models import AuditEvent
from org.models import Branch, Hall
from records.models import Record
from tests.archive_helpers import PASSWORD, day, give_to_keeper, level2_passed, make_day, to_keeper

pytestmark = pytest.mark.django_db


def _page(client, form):
    return client.get(reverse("archive_admin:form", args=[form.pk])).content.decode()


def _contents(page):
    return re.search(r'id="archive-form-contents".*?</section>', page, re.S).group(0)


def _messages(response):
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


@pytest.fixture
def hall_branch(make_record, users):
    """H11's October bound: two general files, one ownership, one agreement; a hall→branch form of all."""
    keeper = users("keeper-H11")
    make_day(make_record, "H11", day(2), ["general", "ownership", "agreement", "general"])
    to_keeper(users, "H11", day(2))
    Bind(keeper, Record.objects.filter(status=Record.Status.AT_HALL)).run()
    CloseMonth(keeper, Hall.objects.get(code="H11"), 2026, 10, today=day(31)).run()
    return handover.GiveHallBranch(keeper, PASSWORD, Volume.objects.filter(hall__code="H11")).run()


def test_a_clerk_hall_form_is_a_table_of_files_by_category(client, make_record, users):
    make_day(make_record, "H11", day(1), ["general", "general", "agreement"])

    form = give_to_keeper(users, "H11", day(1))

    client.force_login(users("keeper-H11"))
    page = _page(client, form)
    section = _contents(page)
    assert "by_category" not in page and "{&#x27;" not in page and "{'" not in page and "<pre>" not in page
    assert "<th>类别</th>" in section and "<th>份数</th>" in section and "本数" not in section  # files only
    rows = re.findall(r'<tr data-row="(\w+)"><td>(.*?)</td>\s*<td>(\d+)</td>', section)
    assert rows == [("general", "综合类", "2"), ("agreement", "协议类", "1")]  # no empty ownership row
    assert re.search(r"<th>合计</th>\s*<th>3</th>", section)
    assert section.count('name="counted"') == 2 and "checked" not in section  # nothing ticked for the receiver
    for record in form.records.all():  # the files themselves, each a link to its page
        assert reverse("record:inspect", args=[record.pk]) in section


def test_a_hall_branch_form_counts_volumes_and_files(client, users, hall_branch):
    client.force_login(users("auditor-B1"))
    section = _contents(_page(client, hall_branch))
    assert "<th>本数</th>" in section and "<th>份数</th>" in section and "<th>卷号</th>" in section
    general = Volume.objects.get(category="general")
    row = re.search(r'<tr data-row="general">.*?</tr>', section, re.S).group(0)
    assert re.findall(r"<td>(\d+)</td>", row) == ["1", "2"]  # one volume, two files
    assert reverse("archive_admin:volume", args=[general.pk]) in row and general.number in row
    assert re.search(r"<th>合计</th><th>3</th><th>4</th>", section)


def test_a_monthly_form_is_a_table_hall_by_hall_with_the_agreements_per_branch(client, make_record, users):

    keeper, auditor = users("keeper-H11"), users("auditor-B1")
    make_day(make_record, "H11", day(2), ["general", "ownership", "agreement"])
    to_keeper(users, "H11", day(2))
    Bind(keeper, Record.objects.filter(status=Record.Status.AT_HALL)).run()
    CloseMonth(keeper, Hall.objects.get(code="H11"), 2026, 10, today=day(31)).run()
    volumes = list(Volume.objects.all())
    handover.Receive(auditor, PASSWORD, handover.GiveHallBranch(keeper, PASSWORD, volumes).run()).run()
    level2_passed(auditor, volumes)
    form = handover.GiveBranchMarketing(auditor, PASSWORD, Branch.objects.get(code="B1"), 2026, 10).run()
    client.force_login(users("marketing"))
    section = _contents(_page(client, form))
    labels = re.findall(r'<tr data-row="([\w:]+)"><td>(.*?)</td>', section)
    assert labels == [("H11:ownership", "H11 权属类"), ("H11:general", "H11 综合类"),
                      ("agreement", "协议类（全分公司汇总）")]
    assert "营业厅及类别" in section and "业务月份 2026-10" in section


def test_receiving_needs_every_row_ticked_or_a_discrepancy(client, users, hall_branch):
    auditor = users("auditor-B1")
    client.force_login(auditor)
    url = reverse("archive_admin:form_receive", args=[hall_branch.pk])
    before = AuditEvent.objects.count()
    response = client.post(url, {"password": PASSWORD, "counted": ["general", "ownership"]}, follow=True)
    text = _messages(response)
    assert "请逐行清点并勾选，或填写差异说明后再签收。未勾选：协议类" in text
    hall_branch.refresh_from_db()
    assert hall_branch.status == "given" and hall_branch.counted == [] and hall_branch.receiver is None
    assert not AuditEvent.objects.filter(seq__gt=before, action=events.HANDOVER_RECEIVE).exists()

    response = client.post(url, {"password": PASSWORD, "counted": ["general", "ownership", "agreement"]}, follow=True)
    assert "已签收：各行均已清点" in _messages(response)
    hall_branch.refresh_from_db()
    assert hall_branch.status == "accepted" and hall_branch.counted == ["ownership", "general", "agreement"]
    event = AuditEvent.objects.filter(action=events.HANDOVER_RECEIVE, object_id=str(hall_branch.pk)).get()
    assert event.details["counted"] == ["ownership", "general", "agreement"] and event.details["not_counted"] == []
    signature = AuditEvent.objects.filter(action=events.SIGNATURE, object_id=str(hall_branch.pk),
                                          details__slot="receiver").get()
    assert signature.details["counted"] == ["ownership", "general", "agreement"]
    section = _contents(_page(client, hall_branch))
    assert section.count("✓ 已清点") == 3 and 'name="counted"' not in section


def test_a_discrepancy_receives_with_the_note_stored_shown_and_logged(client, users, hall_branch):
    client.force_login(users("auditor-B1"))
    url = reverse("archive_admin:form_receive", args=[hall_branch.pk])
    response = client.post(url, {"password": PASSWORD, "counted": ["general", "ownership"],
                                 "discrepancy": "协议类少一份，已电话告知营业厅"}, follow=True)
    assert "已签收，差异说明已记录" in _messages(response)
    hall_branch.refresh_from_db()
    assert hall_branch.status == "accepted" and hall_branch.discrepancy == "协议类少一份，已电话告知营业厅"
    event = AuditEvent.objects.filter(action=events.HANDOVER_RECEIVE, object_id=str(hall_branch.pk)).get()
    assert event.details["not_counted"] == ["agreement"]
    assert event.details["discrepancy"] == "协议类少一份，已电话告知营业厅"
    page = _page(client, hall_branch)
    assert "接收方记录的差异: 协议类少一份，已电话告知营业厅" in page
    row = re.search(r'<tr data-row="agreement">.*?</tr>', page, re.S).group(0)
    assert "未清点" in row
    from archive import printing
    from tests.archive.test_archive_printing import pdf_pages

    text = pdf_pages(printing.handover_form_pdf(hall_branch))[0]
    assert "接收方清点：未清点：协议类" in text and "差异说明：协议类少一份" in text


def test_unknown_ticks_count_for_nothing(users, hall_branch):
    with pytest.raises(handover.ChainError):
        handover.Receive(users("auditor-B1"), PASSWORD, hall_branch, counted=["x", "general"]).run()
    assert HandoverForm.objects.get(pk=hall_branch.pk).status == "given"


def test_the_messages_that_mention_a_form_link_to_it(client, make_record, users):
    keeper, auditor = users("keeper-H11"), users("auditor-B1")
    make_day(make_record, "H11", day(2), ["general"])
    to_keeper(users, "H11", day(2))
    Bind(keeper, Record.objects.filter(status=Record.Status.AT_HALL)).run()
    CloseMonth(keeper, Hall.objects.get(code="H11"), 2026, 10, today=day(31)).run()
    volume = Volume.objects.get()
    client.force_login(keeper)
    response = client.post(reverse("archive_admin:give_hall_branch"),
                           {"volumes": [volume.pk], "password": PASSWORD}, follow=True)
    form = HandoverForm.objects.get(kind="hall_branch")
    link = f'<a href="{reverse("archive_admin:form", args=[form.pk])}" class="archive-form-link">'
    assert link in response.content.decode() and "已签字，待分公司签收" in _messages(response)

    client.force_login(auditor)
    response = client.post(reverse("archive_admin:form_reject", args=[form.pk]),
                           {"password": PASSWORD, "reason": "份数不符"}, follow=True)
    assert link in response.content.decode() and "已拒收" in _messages(response)


def test_the_binding_screen_ticks_nothing_and_shows_the_volumes_count_and_month(client, make_record, users):
    keeper = users("keeper-H11")
    make_day(make_record, "H11", day(2), ["general"] * 3 + ["agreement"])
    to_keeper(users, "H11", day(2))
    Bind(keeper, Record.objects.filter(category="general")).run()
    client.force_login(keeper)
    page = client.get(reverse("archive_admin:keeper")).content.decode()
    files = re.search(r'id="archive-bind-files".*?</table>', page, re.S).group(0)
    assert re.findall(r"<th>(.*?)</th>", files)[1:] == ["营业厅", "类别", "业务日期", "受理编号"]
    assert 'data-archive-select-all="records"' in files and "全选" in files
    boxes = re.findall(r'<input type="checkbox" name="records"[^>]*>', files)
    assert len(boxes) == 1 and not any("checked" in b for b in boxes)  # the agreement, not ticked
    volumes = re.search(r'id="archive-volume-list".*?</table>', page, re.S).group(0)
    assert re.findall(r"<th>(.*?)</th>", volumes) == ["移交", "卷号", "类别", "业务月份", "份数", "状态", "保管人"]
    volume = Volume.objects.get()
    row = re.search(rf"<tr>.*?{volume.number}.*?</tr>", volumes, re.S).group(0)
    assert '<td class="archive-volume-month">2026-10</td>' in row and '<td class="archive-volume-size">3</td>' in row


def test_binding_binds_only_what_was_ticked(client, make_record, users):
    make_day(make_record, "H11", day(2), ["general"] * 3)
    to_keeper(users, "H11", day(2))
    first, *rest = Record.objects.filter(status=Record.Status.AT_HALL).order_by("transaction_no")
    client.force_login(users("keeper-H11"))
    client.post(reverse("archive_admin:bind"), {"records": [first.pk]})
    assert Record.objects.get(pk=first.pk).status == Record.Status.BOUND
    assert all(Record.objects.get(pk=r.pk).status == Record.Status.AT_HALL for r in rest)


def test_the_binding_message_lists_the_volumes_in_chinese(client, make_record, users):
    make_day(make_record, "H11", day(2), ["general", "agreement"])
    to_keeper(users, "H11", day(2))
    client.force_login(users("keeper-H11"))
    ids = list(Record.objects.filter(status=Record.Status.AT_HALL).values_list("pk", flat=True))
    page = client.post(reverse("archive_admin:bind"), {"records": ids}, follow=True).content.decode()
    assert "已装订：H11-2026-XY-001、H11-2026-ZH-001" in page


def test_the_volume_page_names_its_list_of_files(client, make_record, users):
    make_day(make_record, "H11", day(2), ["general"] * 2)
    to_keeper(users, "H11", day(2))
    keeper = users("keeper-H11")
    volume, = Bind(keeper, Record.objects.filter(status=Record.Status.AT_HALL)).run()
    client.force_login(keeper)
    page = client.get(reverse("archive_admin:volume", args=[volume.pk])).content.decode()
    assert "卷内资料（2 份）" in page
    items = re.search(r'id="archive-volume-items".*?</table>', page, re.S).group(0)
    assert re.findall(r"<th>(.*?)</th>", items) == ["卷内序号", "受理编号", "业务类型", "业务日期"]
