"""DA/T 31-2017 page checks on generated 300 dpi scans (CJK font, noise, skew)."""
import pytest

from records import pagecheck
from tests.scans import blank_page, form_page

LINES = ["业务受理单", "受理编号：SC2026110200123", "客户姓名：张三", "服务号码：13800001234",
         "证件号码：11010519491231002X", "受理时间：2026年11月02日 10:31"]


@pytest.mark.parametrize("skew", [0.0, 2.0, -4.5, 6.0])
def test_skew_is_measured_and_flagged_above_three_degrees(skew):
    result = pagecheck.check(form_page(LINES, skew=skew))
    assert abs(result.skew - skew) <= 0.5
    assert any("倾斜" in w for w in result.warnings) is (abs(skew) > 3)
    assert not result.rejected and not result.blank


def test_deskew_straightens_the_page():
    page = form_page(LINES, skew=-4.5)
    fixed = pagecheck.deskew(page, pagecheck.check(page).skew)
    assert abs(pagecheck.estimate_skew(fixed)) <= 0.5


@pytest.mark.parametrize("dpi,rejected,warned", [(300, False, False), (250, False, True), (150, True, False)])
def test_resolution(dpi, rejected, warned):
    result = pagecheck.check(form_page(LINES[:2], dpi=dpi))
    assert result.dpi == dpi and result.rejected is rejected
    assert any("dpi" in w for w in result.warnings) is warned


def test_blank_page_is_flagged():
    result = pagecheck.check(blank_page())
    assert result.blank and "空白页" in result.warnings
