"""The legacy handbook import: the reference text, .docx, bad input, dry run, importing twice."""
import json

import pytest
from django.core.management import CommandError, call_command

from handbook import importer
from tests.handbook_support import REFERENCE

TITLES_PART_1 = ["顾客引导流程", "业务推荐流程", "VIP服务流程", "顾客投诉受理流程", "普通开户入网业务办理流程",
                 "批量开户入网业务办理流程", "品牌变更业务办理流程", "资费变更业务办理流程", "服务变更业务办理流程",
                 "帐务变更业务办理流程", "SIM卡类业务受理流程", "充值卡类业务受理流程", "特服业务办理流程",
                 "积分类业务办理流程", "续费业务办理流程", "查询类业务受理流程", "投诉业务处理流程",
                 "系统退费处理流程", "营业厅VPMN业务受理流程", "集团短信业务预受理流程", "其他综合性业务受理流程",
                 "积分礼品发放流程", "客户关怀与挽留流程"]
TITLES_PART_2 = ["业务稽核流程", "资金稽核流程", "培训管理流程", "业务差错考核流程", "服务质量监督管理流程",
                 "排班管理流程", "交接班管理流程", "客户资料管理流程", "报表管理流程", "宣传品管理流程",
                 "信息收集管理流程", "办公设施系统管理流程"]
TITLES_PART_3 = ["大客户拜访流程", "大客户业务推荐流程"]


@pytest.fixture(scope="module")
def tree():
    return importer.parse(importer.read_file(REFERENCE))


def test_reference_text_gives_3_parts_and_37_procedures_with_repaired_titles(tree):
    assert [(p.number, p.title) for p in tree.parts] == [
        (1, "营业厅服务流程"), (2, "营业厅内部管理流程"), (3, "大客户服务流程")]
    titles = [[proc.title for proc in part.procedures] for part in tree.parts]
    assert titles == [TITLES_PART_1, TITLES_PART_2, TITLES_PART_3]
    assert sum(len(t) for t in titles) == 37


def test_sections_key_moments_and_time_limits(tree):
    procs = {p.title: p for _part, p in tree.procedures()}
    opening = procs["普通开户入网业务办理流程"]
    assert opening.sections == ["flowchart", "objective", "scope", "responsibilities", "key_moments"]
    assert opening.objective == ["快速、准确办理普通客户入网业务。"]
    assert {"when": "在系统内开户时", "do": "3分钟内完成", "limit": {"value": 3, "unit": "minutes"}} \
        in opening.key_moments
    complaint = procs["顾客投诉受理流程"]
    assert any(m["limit"] == {"value": 1, "unit": "hours"} for m in complaint.key_moments)
    # "2 .4 关键时刻说明" with a stray space, and "不超过3个工作日"
    query = procs["查询类业务受理流程"]
    assert [m["limit"] for m in query.key_moments if m["limit"]] == [
        {"value": 30, "unit": "seconds"}, {"value": 3, "unit": "working_days"}]
    assert any(m["limit"] == {"value": 1, "unit": "working_days"} for m in procs["宣传品管理流程"].key_moments)
    # a heading glued to the previous paragraph by one space ("…业务。 2.2 流程范围")
    assert "scope" in procs["服务变更业务办理流程"].sections
    # a page-break space inside a key moment is repaired
    assert any("是否携带了相关有效证件" in m["do"] for m in procs["顾客引导流程"].key_moments)
    assert procs["业务稽核流程"].sub_flows == ["业务档案稽核流程", "业务类协议稽核流程", "业务流程检查流程"]
    totals = tree.as_dict()["totals"]
    assert totals["key_moments"] > 170 and totals["time_limits"] >= 18


def test_what_cannot_be_placed_is_reported(tree):
    data = tree.as_dict()
    texts = [w["text"] for w in data["warnings"]]
    assert "&l" in texts  # noise after "客户资料管理流程"
    assert any(t.startswith("值班经理负责对以上关键时刻") for t in texts)  # no "when …:"
    parsed = importer.parse("第一部分 营业厅服务流程  前言文字  一、顾客引导流程  1 流程图  2.1 流程目标  目标。")
    assert parsed.as_dict()["unplaced"][0]["text"] == "前言文字"


def test_time_limits():
    from handbook.timelimits import find_time_limit

    assert find_time_limit("要在1小时内填写回复工单") == {"value": 1, "unit": "hours"}
    assert find_time_limit("3个工作日内答复") == {"value": 3, "unit": "working_days"}
    assert find_time_limit("每月20日前将报表报市场部") is None
    assert find_time_limit("不超过3个工作日") == {"value": 3, "unit": "working_days"}


def test_dry_run_json_prints_tree_and_writes_nothing(db, capsys):
    from handbook.models import ProcedurePage

    call_command("import_handbook", REFERENCE, "--dry-run", "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["totals"]["parts"] == 3 and data["totals"]["procedures"] == 37
    first = data["parts"][0]["procedures"][0]
    assert set(first) >= {"title", "sections", "key_moment_count", "time_limits"}
    assert ProcedurePage.objects.count() == 0


def test_import_twice_does_not_duplicate(org_demo, capsys):
    from handbook.models import PartPage, ProcedurePage

    call_command("import_handbook", REFERENCE, "--publish", "--as", "admin")
    assert PartPage.objects.count() == 3
    assert ProcedurePage.objects.count() == 37
    assert ProcedurePage.objects.live().count() == 37
    assert set(ProcedurePage.objects.values_list("version", flat=True)) == {"1.0"}
    page = ProcedurePage.objects.get(title="普通开户入网业务办理流程")
    assert [(b.value["when"], b.value["limit_value"], b.value["limit_unit"]) for b in page.key_moments
            if b.value["limit_value"]] == [("在系统内开户时", 3, "minutes")]
    capsys.readouterr()
    call_command("import_handbook", REFERENCE, "--publish", "--json")
    assert json.loads(capsys.readouterr().out)["written"] == {"created": 0, "updated": 0, "unchanged": 37}
    assert ProcedurePage.objects.count() == 37 and PartPage.objects.count() == 3
    assert page.revision_log.count() == 1  # nothing changed, nothing published again


def test_docx_import(db, tmp_path, capsys):
    import docx

    document = docx.Document()
    document.add_paragraph("第一部分 营业厅服务流程")
    document.add_paragraph("一、顾客引导流程")
    document.add_paragraph("2.1 流程目标")
    document.add_paragraph("确保顾客在进入营业厅时能得到引导和帮助;")
    document.add_paragraph("2.4 关键时刻说明")
    document.add_paragraph("相关部门接到投诉工单时:要在1小时内填写回复工单;")
    document.add_paragraph("二、业务推 荐流程")
    path = tmp_path / "手册.docx"
    document.save(path)
    call_command("import_handbook", str(path), "--dry-run", "--json")
    data = json.loads(capsys.readouterr().out)
    procs = data["parts"][0]["procedures"]
    assert [p["title"] for p in procs] == ["顾客引导流程", "业务推荐流程"]
    assert procs[0]["time_limits"] == [{"value": 1, "unit": "hours"}]


@pytest.mark.parametrize("name, content, message", [
    ("empty.txt", b"", "empty"),
    ("broken.docx", b"PK\x03\x04 not really a zip", "Word"),
    ("handbook.pdf", b"%PDF-1.4", "Unknown file format"),
    ("latin.txt", "\ufeffsome text without parts".encode(), "No part"),
])
def test_bad_input_gives_a_clear_message_and_writes_nothing(db, tmp_path, name, content, message, settings):
    from handbook.models import PartPage

    settings.LANGUAGE_CODE = "en"
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        call_command("import_handbook", str(path))
    assert PartPage.objects.count() == 0
    with pytest.raises(CommandError, match="not found"):
        call_command("import_handbook", str(tmp_path / "missing.txt"))


def test_docx_tables_are_read_in_document_order(db, tmp_path):
    """Handbooks keep sections, responsibilities and key moments in tables (issue 13): their text is imported,
    in its place between the paragraphs."""
    import docx

    document = docx.Document()
    document.add_paragraph("第一部分 营业厅服务流程")
    document.add_paragraph("一、普通开户入网业务办理流程")
    layout = document.add_table(rows=2, cols=1)
    layout.cell(0, 0).text = "2.1 流程目标"
    layout.cell(1, 0).text = "快速、准确办理普通客户入网业务。"
    document.add_paragraph("2.3 部门/岗位职责说明")
    roles = document.add_table(rows=2, cols=2)
    roles.cell(0, 0).text, roles.cell(0, 1).text = "营业员", "负责受理客户的开户申请"
    roles.cell(1, 0).text, roles.cell(1, 1).text = "值班经理", "负责审核"
    document.add_paragraph("2.4 关键时刻说明")
    moments = document.add_table(rows=1, cols=2)
    moments.cell(0, 0).text, moments.cell(0, 1).text = "在系统内开户时", "3分钟内完成"
    merged = document.add_table(rows=1, cols=3)
    merged.cell(0, 0).text = "客户离开时"
    merged.cell(0, 1).merge(merged.cell(0, 2)).text = "礼貌道别"
    document.add_paragraph("二、批量开户入网业务办理流程")
    path = tmp_path / "表格手册.docx"
    document.save(path)
    tree = importer.parse(importer.read_file(path))
    first, second = tree.parts[0].procedures
    assert first.objective == ["快速、准确办理普通客户入网业务。"]
    assert first.responsibilities == [{"role": "营业员", "duties": "负责受理客户的开户申请"},
                                      {"role": "值班经理", "duties": "负责审核"}]
    assert [(m["when"], m["do"]) for m in first.key_moments] == [("在系统内开户时", "3分钟内完成"),
                                                                 ("客户离开时", "礼貌道别")]
    assert first.key_moments[0]["limit"] == {"value": 3, "unit": "minutes"}
    assert second.title == "批量开户入网业务办理流程" and not tree.unplaced
