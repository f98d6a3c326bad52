"""DA/T 31-2017 page checks on generated 300 dpi scans (CJK font, noise, skew)."""
import random

import pytest

from records import pagecheck
from tests.scans import blank_page, form_page, text_page

LINES = ["业务受理单", "受理编号：SC2026110200123", "客户姓名：张三", "服务号码：13800001234",
         "证件号码：11010519491231002X", "受理时间：2026年11月02日 10:31"]


@pytest.mark.parametrize("skew", [0.0, 2.0, -4.5, 6.0])
def test_skew_is_measured_and_flagged_above_three_degrees(skew):
    result = pagecheck.check(form_page(LINES, skew=skew))
    assert abs(result.skew - skew) <= 0.5
    assert any("倾斜" in w for w in result.warnings) is (abs(skew) > 3)
    assert not result.rejected and not result.blank


def test_skew_is_measured_on_noisy_forms_and_text_pages():
    """Forty generated pages, forms and dense text, speckle 0.5-3%, skews up to 6°: every estimate within
    0.5° (a wrong large estimate would deskew a straight page into one Tesseract cannot read)."""
    rng = random.Random(7)
    errors = []
    for n in range(40):
        truth = rng.uniform(-3, 3) if n % 4 else rng.uniform(-6, 6)
        noise = rng.uniform(0.005, 0.03)
        page = (form_page(LINES, skew=truth, noise=noise, seed=n) if n % 3 else
                text_page(seed=n, lines=12).rotate(truth, expand=True, fillcolor=255))
        errors.append((round(abs(pagecheck.estimate_skew(page) - truth), 2), n))
    assert max(errors)[0] <= 0.5, sorted(errors)[-3:]


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
