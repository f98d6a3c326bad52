"""Customer forms as halls really print and scan them, with their truth (issue 15), for bench/fields.py and
the suite.

tests/scans.py draws clean lines of text; these are what the key-field reader meets in the halls: a ruled
table (two layouts), one of the printers' typefaces (sans, serif/Song, Kai, Ming, ZenHei), a red round seal
stamped across the date and phone cells, a blue pen signature, paper tint, up to 2° skew, blur, speckle,
colour JPEG at quality 60–90, 240–300 dpi, and a second page with a copy of the ID card. Everything is
drawn here from a seed: the same seed gives the same form and the same truth.
"""
import datetime
import io
import math
import random
from dataclasses import dataclass, field

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

FONTS = {  # (file, face index of the simplified-Chinese face)
    "sans": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    "serif": ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    "kai": ("/usr/share/fonts/truetype/arphic/ukai.ttc", 0),
    "ming": ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    "zenhei": ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红玲芬燕彬建国志海文博子涵浩然梓轩欣怡宇雨桐思远嘉俊晓东春梅秋菊立新怡"
BUSINESS = ["普通开户", "过户", "销户", "携号转网", "资费变更", "补卡", "换卡", "积分兑换", "入网协议", "合约计划",
            "终端合约", "实名登记", "品牌变更", "复机"]
STREETS = ["人民路", "解放大道", "建设街", "中山路", "和平里", "新华路", "滨江大道", "长江路", "光明街", "文化路"]
AREAS = ["510104", "510105", "510107", "510108", "110105", "440305", "320102", "330106"]
TODAY = datetime.date(2026, 11, 30)  # forms are dated before this day (bench and tests run after it)


def id_number(rng):
    from records.keyfields import id_check_digit  # the app's own MOD 11-2

    born = datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randrange(20000))
    body = f"{rng.choice(AREAS)}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return body + id_check_digit(body), born


@dataclass
class Form:
    seed: int
    font: str
    layout: str
    dpi: int
    quality: int
    container: str  # "pdf", "tiff" or "tiff-nodpi"
    truth: dict = field(default_factory=dict)
    pages: list = field(default_factory=list)
    born: datetime.date = None

    @property
    def name(self):
        return f"form-{self.seed:04d}-{self.font}-{self.layout}.{'pdf' if self.container == 'pdf' else 'tif'}"

    def file_bytes(self):
        buffer = io.BytesIO()
        if self.container == "pdf":
            self.pages[0].save(buffer, "PDF", save_all=True, append_images=self.pages[1:], resolution=self.dpi,
                               quality=self.quality)
        else:
            extra = {} if self.container == "tiff-nodpi" else {"dpi": (self.dpi, self.dpi)}
            self.pages[0].save(buffer, "TIFF", save_all=True, append_images=self.pages[1:],
                               compression="tiff_lzw", **extra)
        return buffer.getvalue()


def truth_for(rng, date=None):
    """The key fields of one form; `date` (a datetime.date) fixes its business day, else one is drawn."""
    surname = rng.choice(SURNAMES)
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    ident, born = id_number(rng)
    drawn = TODAY - datetime.timedelta(days=rng.randrange(1, 600))
    date = date or drawn
    return {
        "transaction_no": f"SC{date:%Y%m%d}{rng.randrange(100000):05d}",
        "service_number": f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
        "id_number": ident,
        "business_date": date.isoformat(),
        "business_type": rng.choice(BUSINESS),
        "customer_name": surname + given,
    }, born


def _font(kind, size):
    path, index = FONTS[kind]
    return ImageFont.truetype(path, size, index=index)


def _text_in(draw, box, text, font, fill=(20, 20, 20), pad=0.08):
    x0, y0, x1, y1 = box
    top, bottom = font.getbbox("国")[1], font.getbbox("国")[3]
    draw.text((x0 + int((x1 - x0) * pad / 2 + 0.08 * (y1 - y0)), (y0 + y1) // 2 - (top + bottom) // 2), text,
              font=font, fill=fill)


def _table(draw, dpi, rows, widths, top, font, label_font, rng):
    """Rows of cells [(text, is_label, span)] with ruled lines; returns {text of label: value cell box}."""
    left = int(0.6 * dpi)
    height = int(rng.uniform(0.42, 0.5) * dpi)
    rule = max(2, dpi // 110)
    boxes = {}
    y = top
    for row in rows:
        x, column = left, 0
        for text, is_label, span in row:
            width = int(sum(widths[column:column + span]) * dpi)
            box = (x, y, x + width, y + height)
            draw.rectangle(box, outline=(30, 30, 30), width=rule)
            _text_in(draw, box, text, label_font if is_label else font)
            boxes[text] = box
            x, column = x + width, column + span
        y += height
    return boxes, y


def _seal(size, rng, dpi):
    """A red round seal (company name around a star) as an RGBA image to stamp."""
    seal = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(seal)
    red = (rng.randint(200, 235), rng.randint(20, 60), rng.randint(30, 70), rng.randint(170, 225))
    ring = max(4, size // 28)
    draw.ellipse((ring, ring, size - ring, size - ring), outline=red, width=ring)
    cx = cy = size / 2
    star = [(cx + (size * (0.14 if i % 2 == 0 else 0.055)) * math.sin(i * math.pi / 5),
             cy - (size * (0.14 if i % 2 == 0 else 0.055)) * math.cos(i * math.pi / 5)) for i in range(10)]
    draw.polygon(star, fill=red)
    text = "中国移动通信集团四川有限公司"
    font = _font("sans", int(size * 0.1))
    for i, char in enumerate(text):
        angle = -120 + 240 * i / (len(text) - 1)
        glyph = Image.new("RGBA", (int(size * 0.14),) * 2, (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((glyph.width * 0.1, 0), char, font=font, fill=red)
        glyph = glyph.rotate(-angle, resample=Image.BICUBIC)
        r = size * 0.34
        x = cx + r * math.sin(math.radians(angle)) - glyph.width / 2
        y = cy - r * math.cos(math.radians(angle)) - glyph.height / 2
        seal.alpha_composite(glyph, (int(x), int(y)))
    ImageDraw.Draw(seal).text((cx - size * 0.2, cy + size * 0.2), "业务专用章", font=_font("sans", int(size * 0.08)),
                              fill=red)
    return seal.rotate(rng.uniform(-30, 30), resample=Image.BICUBIC)


def _signature(name, dpi, rng):
    """The customer's name in blue pen: a slanted Kai hand with a flourish."""
    size = int(dpi * rng.uniform(0.3, 0.42))
    font = _font("kai", size)
    blue = (rng.randint(10, 40), rng.randint(30, 70), rng.randint(150, 210), 235)
    sig = Image.new("RGBA", (size * (len(name) + 2), int(size * 1.8)), (0, 0, 0, 0))
    draw = ImageDraw.Draw(sig)
    draw.text((size // 3, size // 4), name, font=font, fill=blue)
    points = [(size * 0.2 + i * size * 0.4, size * 1.3 + math.sin(i * 1.3) * size * 0.2) for i in range(len(name) * 3)]
    draw.line(points, fill=blue, width=max(2, dpi // 100))
    return sig.rotate(rng.uniform(-12, 8), resample=Image.BICUBIC, expand=True)


def _stamp(page, overlay, xy):
    """Ink on paper: multiply the overlay's colour where it has ink."""
    layer = Image.new("RGB", page.size, (255, 255, 255))
    layer.paste(overlay.convert("RGB"), xy, overlay)
    return ImageChops.multiply(page, layer)


def form_page(truth, font_kind, layout, dpi, rng, hall="成都天府广场营业厅"):
    width, height = int(8.27 * dpi), int(11.69 * dpi)
    page = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(page)
    size = int(dpi * rng.uniform(0.13, 0.16))
    font, label_font = _font(font_kind, size), _font(font_kind, size)
    draw.text((int(2.2 * dpi), int(0.6 * dpi)), "中国移动通信 业务受理单", font=_font(font_kind, int(size * 1.5)),
              fill=(10, 10, 10))
    date = datetime.date.fromisoformat(truth["business_date"])
    when = f"{date:%Y年%m月%d日} {rng.randint(8, 20):02d}:{rng.randint(0, 59):02d}"
    t = truth
    if layout == "grid":
        rows = [[("受理编号", 1, 1), (t["transaction_no"], 0, 1), ("受理时间", 1, 1), (when, 0, 1)],
                [("客户姓名", 1, 1), (t["customer_name"], 0, 1), ("服务号码", 1, 1), (t["service_number"], 0, 1)],
                [("证件类型", 1, 1), ("居民身份证", 0, 1), ("证件号码", 1, 1), (t["id_number"], 0, 1)],
                [("业务类型", 1, 1), (t["business_type"], 0, 1), ("受理渠道", 1, 1), ("营业厅", 0, 1)],
                [("受理营业厅", 1, 1), (hall, 0, 3)],
                [("联系地址", 1, 1), (f"成都市{rng.choice(STREETS)}{rng.randint(1, 300)}号", 0, 3)],
                [("业务内容", 1, 1), ("客户持本人有效身份证件原件办理，已告知资费", 0, 3)],
                [("客户签名", 1, 1), ("", 0, 1), ("营业员", 1, 1), (f"工号 {rng.randint(10000, 99999)}", 0, 1)]]
        widths = [1.35, 2.25, 1.25, 2.2]
        sign_cell = 7
    else:  # "rows": one field a row, label left
        rows = [[("受理编号", 1, 1), (t["transaction_no"], 0, 1)], [("业务类型", 1, 1), (t["business_type"], 0, 1)],
                [("客户姓名", 1, 1), (t["customer_name"], 0, 1)], [("证件类型", 1, 1), ("居民身份证", 0, 1)],
                [("证件号码", 1, 1), (t["id_number"], 0, 1)], [("服务号码", 1, 1), (t["service_number"], 0, 1)],
                [("受理时间", 1, 1), (when, 0, 1)], [("受理营业厅", 1, 1), (hall, 0, 1)],
                [("业务内容", 1, 1), ("客户持本人有效身份证件原件办理，已告知资费", 0, 1)],
                [("客户签名", 1, 1), ("", 0, 1)]]
        widths = [1.8, 5.25]
        sign_cell = 9
    boxes, bottom = _table(draw, dpi, rows, widths, int(1.2 * dpi), font, label_font, rng)
    row_height = (bottom - int(1.2 * dpi)) / len(rows)
    # the red seal across the date and phone cells
    date_box, phone_box = boxes[when], boxes[t["service_number"]]
    seal = _seal(int(dpi * rng.uniform(1.45, 1.65)), rng, dpi)
    cx = (date_box[0] + date_box[2]) // 2 + int(rng.uniform(-0.4, 0.4) * dpi)
    cy = (date_box[1] + date_box[3] + phone_box[1] + phone_box[3]) // 4
    page = _stamp(page, seal, (cx - seal.width // 2, cy - seal.height // 2))
    # the blue signature in (and over the edges of) the signature cell
    sig_top = int(1.2 * dpi + sign_cell * row_height)
    sig = _signature(t["customer_name"], dpi, rng)
    page = _stamp(page, sig, (int(0.6 * dpi + widths[0] * dpi + rng.uniform(0, 0.6) * dpi),
                              sig_top - sig.height // 4))
    ImageDraw.Draw(page).text((int(0.6 * dpi), bottom + int(0.3 * dpi)),
                              "本人已阅读并同意《中国移动客户入网服务协议》。", font=font, fill=(20, 20, 20))
    return page


def id_copy_page(truth, born, dpi, rng):
    """A photocopy of the ID card (front and back) on a second page, the name signed in blue beside it."""
    width, height = int(8.27 * dpi), int(11.69 * dpi)
    page = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(page)
    cw, ch = int(3.37 * dpi * 1.2), int(2.13 * dpi * 1.2)
    x0, y0 = int(1.8 * dpi), int(1.2 * dpi)
    grey = rng.randint(215, 235)
    draw.rounded_rectangle((x0, y0, x0 + cw, y0 + ch), radius=dpi // 8, fill=(grey, grey, grey), outline=(90, 90, 90),
                           width=3)
    small, label = _font("sans", int(dpi * 0.11)), _font("sans", int(dpi * 0.09))
    lines = [("姓名", truth["customer_name"]), ("性别", f"{rng.choice('男女')}    民族  汉"),
             ("出生", f"{born.year}年{born.month}月{born.day}日"), ("住址", f"成都市{rng.choice(STREETS)}{rng.randint(1, 300)}号")]
    for i, (key, value) in enumerate(lines):
        y = y0 + int(0.25 * dpi) + i * int(0.36 * dpi)
        draw.text((x0 + int(0.25 * dpi), y + int(0.02 * dpi)), key, font=label, fill=(70, 90, 120))
        draw.text((x0 + int(0.8 * dpi), y), value, font=small, fill=(25, 25, 25))
    draw.rectangle((x0 + cw - int(1.3 * dpi), y0 + int(0.3 * dpi), x0 + cw - int(0.3 * dpi), y0 + int(1.6 * dpi)),
                   fill=(grey - 60,) * 3)
    y = y0 + ch - int(0.5 * dpi)
    draw.text((x0 + int(0.25 * dpi), y + int(0.02 * dpi)), "公民身份号码", font=label, fill=(70, 90, 120))
    draw.text((x0 + int(1.25 * dpi), y - int(0.02 * dpi)), truth["id_number"], font=_font("sans", int(dpi * 0.13)),
              fill=(20, 20, 20))
    y1 = y0 + ch + int(0.5 * dpi)
    draw.rounded_rectangle((x0, y1, x0 + cw, y1 + ch), radius=dpi // 8, fill=(grey, grey, grey), outline=(90, 90, 90),
                           width=3)
    draw.text((x0 + int(0.9 * dpi), y1 + int(0.5 * dpi)), "中华人民共和国\n  居民身份证", font=_font("serif", int(dpi * 0.2)),
              fill=(40, 40, 40))
    draw.text((x0 + int(0.4 * dpi), y1 + ch - int(0.8 * dpi)), "签发机关  成都市公安局\n有效期限  2016.05.01-2036.05.01",
              font=small, fill=(30, 30, 30))
    note = _signature("与原件一致 " + truth["customer_name"], dpi, rng)
    return _stamp(page, note, (x0 + int(0.2 * dpi), y1 + ch + int(0.4 * dpi)))


def _degrade(page, dpi, quality, rng):
    """Paper tint, skew up to 2°, blur, speckle, then colour JPEG at the given quality."""
    tint = Image.new("RGB", page.size, (rng.randint(238, 255), rng.randint(236, 252), rng.randint(228, 248)))
    page = ImageChops.multiply(page, tint)
    skew = rng.uniform(-2, 2)
    page = page.rotate(skew, resample=Image.BICUBIC, fillcolor=tint.getpixel((0, 0)))
    draw = ImageDraw.Draw(page)
    for _ in range(int(page.width * page.height * rng.uniform(0.0003, 0.0015))):
        x, y, r = rng.randrange(page.width), rng.randrange(page.height), rng.choice((0, 0, 1, 1, 2))
        v = rng.randint(0, 120)
        draw.ellipse((x, y, x + r, y + r), fill=(v, v, v))
    page = page.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0) * dpi / 300))
    buffer = io.BytesIO()
    page.save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    out = Image.open(buffer)
    out.load()
    return out, skew


def make_form(seed, font=None, layout=None, container=None, date=None):
    """The form of this seed: a Form with its two pages (RGB images) and the truth of its key fields; `date`
    fixes the business day (a day's files for the chain, scripts/screenshots.py)."""
    rng = random.Random(seed)
    truth, born = truth_for(rng, date)
    font = font or list(FONTS)[seed % len(FONTS)]
    layout = layout or ("grid", "rows")[(seed // len(FONTS)) % 2]
    container = container or ("pdf", "pdf", "tiff", "tiff-nodpi")[seed % 4]
    dpi = 300 if container == "tiff-nodpi" else rng.choice((240, 260, 280, 300))
    quality = rng.randint(60, 90)
    form = Form(seed, font, layout, dpi, quality, container, truth, born=born)
    pages = [form_page(truth, font, layout, dpi, rng), id_copy_page(truth, born, dpi, rng)]
    form.pages = [_degrade(p, dpi, quality, rng)[0] for p in pages]
    return form


FIELDS = ("transaction_no", "service_number", "id_number", "business_date", "business_type", "customer_name")
