"""One contract, both backends: the database backend (SQLite FTS5 / PostgreSQL) and Elasticsearch answer
the same queries the same way, inside the user's scope."""
import json

import pytest

from records.models import Page, Record
from search import outbox, query, registry
from search.query import SearchInputError, search

from tests.search_support import any_backend, sync  # noqa: F401

pytestmark = pytest.mark.django_db


def _page(record, text, number=1):
    Page.objects.create(record=record, number=number, text=text)


@pytest.fixture
def corpus(make_record, any_backend):
    a = make_record("H11", customer_name="张三丰", business_type="过户", category="ownership",
                    service_number="13800001111", transaction_no="TX1001")
    _page(a, "业务受理单：客户张三丰办理过户业务，新机主李明，证件已核验。")
    b = make_record("H11", customer_name="王五", business_type="普通开户", category="general",
                    service_number="13900002222", id_number="11010519491231002X", transaction_no="TX1002")
    _page(b, "普通开户 入网协议 <script>alert(1)</script> 套餐 A8")
    c = make_record("H12", customer_name="赵六", business_type="补换卡", category="general",
                    service_number="13700003333", transaction_no="TX1003")
    _page(c, "补换卡 客户赵六 证件核验 张三丰 代办")
    d = make_record("H21", customer_name="张三丰", business_type="过户", category="ownership",
                    service_number="13600004444", transaction_no="TX2001")
    _page(d, "客户张三丰办理过户业务（另一个分公司）")
    Record.objects.filter(pk=c.pk).update(status=Record.Status.OCR_DONE)  # no signal: enqueue by hand
    outbox.enqueue("record", c.pk)
    import datetime
    Record.objects.filter(pk=a.pk).update(business_date=datetime.date(2026, 10, 1))
    outbox.enqueue("record", a.pk)
    sync(any_backend)
    return {"a": a, "b": b, "c": c, "d": d}


def ids(result):
    return sorted(int(h.id) for h in result.hits)


def test_name_and_two_character_words_match(corpus, users):
    archivist = users("archivist")
    assert ids(search(archivist, "张三丰")) == sorted([corpus["a"].pk, corpus["c"].pk, corpus["d"].pk])
    assert ids(search(archivist, "过户 李明")) == [corpus["a"].pk]
    assert ids(search(archivist, "三丰")) == sorted([corpus["a"].pk, corpus["c"].pk, corpus["d"].pk])
    assert ids(search(archivist, "开户")) == [corpus["b"].pk]
    assert ids(search(archivist, "a8")) == [corpus["b"].pk]
    assert search(archivist, "李四").total == 0


def test_clerk_of_hall_a_never_gets_hall_b(corpus, users):
    clerk = users("clerk-H11")
    result = search(clerk, "张三丰")
    assert ids(result) == [corpus["a"].pk]
    assert {h.fields["hall"] for h in result.hits} == {"H11"}
    assert search(clerk, "赵六").total == 0
    assert search(clerk, "", hall="H21").total == 0
    assert search(clerk, "TX2001").total == 0
    assert {v for v, _ in search(clerk, "", category="ownership").facets["hall"]} == {"H11"}


def test_branch_auditor_sees_own_branch_only(corpus, users):
    auditor = users("auditor-B1")
    assert ids(search(auditor, "张三丰")) == sorted([corpus["a"].pk, corpus["c"].pk])
    assert ids(search(users("auditor-B2"), "张三丰")) == [corpus["d"].pk]
    assert search(users("staff"), "张三丰").total == 0  # no record role: nothing


def test_numbers_and_id_number_by_hash(corpus, users):
    archivist = users("archivist")
    assert ids(search(archivist, "13900002222")) == [corpus["b"].pk]
    assert ids(search(archivist, "TX1003")) == [corpus["c"].pk]
    assert ids(search(archivist, "11010519491231002x")) == [corpus["b"].pk]
    assert ids(search(archivist, "110105 19491231 002X")) == [corpus["b"].pk]
    assert search(archivist, "110105194912310011").total == 0
    everything = search(archivist, "", category=["ownership", "general"])
    dumped = json.dumps([h.fields for h in everything.hits], ensure_ascii=False)
    assert "11010519491231002X" not in dumped and "510302199001011234" not in dumped
    assert all("id_hash" not in h.fields for h in everything.hits)  # matched on, never handed out


def test_id_number_in_the_ocr_text_is_never_indexed(any_backend, make_record, users):
    record = make_record("H11", id_number="11010519491231002X", customer_name="孔乙己")
    _page(record, "证件号码 11010519491231002X 旧证 110105491231002 服务号码 13800001234")
    sync(any_backend)
    result = search(users("archivist"), "孔乙己")
    dumped = json.dumps([h.fields for h in result.hits], ensure_ascii=False) + str(result.hits[0].snippet)
    assert "11010519491231002X" not in dumped and "110105491231002" not in dumped
    assert "1101**********002X" in dumped and "13800001234" in dumped
    assert ids(search(users("archivist"), "11010519491231002X")) == [record.pk]


def test_facets_filters_and_dates(corpus, users):
    archivist = users("archivist")
    result = search(archivist, "", category="ownership")
    assert ids(result) == sorted([corpus["a"].pk, corpus["d"].pk])
    facets = dict(result.facets["branch"])
    assert facets == {"B1": 1, "B2": 1}
    assert ids(search(archivist, "", hall=["H11", "H12"], status="ocr_done")) == [corpus["c"].pk]
    assert ids(search(archivist, "张三丰", date_to="2026-10-31")) == [corpus["a"].pk]
    assert search(archivist, "张三丰", date_from="2026-11-01", date_to="2026-11-30").total == 2
    assert dict(search(archivist, "", hall="H11").facets["has_errors"]) == {"false": 2}
    assert ids(search(archivist, "", has_errors="no", branch="B2")) == [corpus["d"].pk]
    assert "volume" not in result.facets or not result.facets["volume"]  # no file is bound: no value, not "null"


def test_highlight_is_safe_html(corpus, users):
    result = search(users("archivist"), "入网")
    snippet = str(result.hits[0].snippet)
    assert "<mark>" in snippet and "入" in snippet
    assert "<script>" not in snippet
    assert "李明" in str(search(users("archivist"), "李明").hits[0].snippet)


def test_sort_and_paging(corpus, users):
    archivist = users("archivist")
    newest = search(archivist, "", category=["ownership", "general"], sort="date", per_page=2)
    assert newest.total == 4 and newest.pages == 2 and len(newest.hits) == 2
    oldest = search(archivist, "", category=["ownership", "general"], sort="date_asc", per_page=2)
    assert oldest.hits[0].id == str(corpus["a"].pk)
    second = search(archivist, "", category=["ownership", "general"], sort="date_asc", per_page=2, page=2)
    seen = [h.id for h in oldest.hits] + [h.id for h in second.hits]
    assert sorted(map(int, seen)) == sorted(r.pk for r in corpus.values())
    assert [h.id for h in search(archivist, "", hall="H11", sort="transaction").hits] == [
        str(corpus["a"].pk), str(corpus["b"].pk)]


def test_changes_and_deletes_reach_the_index(corpus, users, any_backend):
    archivist = users("archivist")
    b = corpus["b"]
    b.customer_name = "钱七"
    b.save()
    corpus["d"].delete()
    _page(corpus["c"], "第二页 回执 钱七", number=2)
    sync(any_backend)
    assert ids(search(archivist, "钱七")) == sorted([b.pk, corpus["c"].pk])
    assert ids(search(archivist, "张三丰")) == sorted([corpus["a"].pk, corpus["c"].pk])


@pytest.mark.parametrize("text, filters, message", [
    ("", {}, "Enter something to search for"),
    ("   ", {}, "Enter something to search for"),
    ("张三", {"date_from": "2026-13-01"}, "is not a date"),
    ("张三", {"date_from": "yesterday"}, "is not a date"),
    ("张三", {"date_from": "2026-11-02", "date_to": "2026-11-01"}, "after the end date"),
    ("张三", {"colour": "red"}, "Unknown filter"),
    ("张三", {"page": "x"}, "not a whole number"),
    ("张三", {"per_page": 0}, "between"),
    ("张三", {"sort": "price"}, "Unknown sort"),
    ("张三", {"has_errors": "maybe"}, "yes or no"),
    ("！？。", {}, "no letters"),
])
def test_bad_input_gets_a_clear_message(corpus, users, text, filters, message):
    from django.utils import translation

    with translation.override("en"), pytest.raises(SearchInputError, match=message):
        search(users("archivist"), text, **filters)


def test_a_document_type_plugs_in(any_backend, users, db):
    """A tiny type registered here, as the handbook will register procedures."""
    notes = {1: "营业厅开户流程 关键时刻：三分钟内完成", 2: "投诉工单一小时内回复"}
    kind = registry.DocType(
        name="note", load=lambda pks: ({"id": int(pk), "title": f"note {pk}", "text": notes[int(pk)],
                                         "part": "第一部分"} for pk in pks if int(pk) in notes),
        all_pks=lambda: list(notes), keyword_fields={"part": "keyword"}, facets=("part",),
        scope_action="handbook.read", scoped=False)
    registry.register(kind)
    try:
        outbox.enqueue("note", 1)
        outbox.enqueue("note", 2)
        sync(any_backend)
        result = search(users("staff"), "开户", doctype="note")
        assert [h.id for h in result.hits] == ["1"] and result.facets["part"] == [("第一部分", 1)]
        assert "<mark>" in str(result.hits[0].snippet) and result.hits[0].fields["title"] == "note 1"
        assert search(users("clerk-H11"), "工单", doctype="note").total == 1
        del notes[2]
        outbox.enqueue("note", 2, delete=True)
        sync(any_backend)
        assert search(users("staff"), "工单", doctype="note").total == 0
        assert any_backend.reindex(kind) == 1
        sync(any_backend)
        assert search(users("staff"), "开户", doctype="note").total == 1
    finally:
        registry.unregister("note")
    with pytest.raises(LookupError):
        outbox.enqueue("nothing-like-this", 1)
    assert query.MAX_PER_PAGE == 100
