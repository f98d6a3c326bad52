"""Generated scans for tests: a customer form rendered at 300 dpi with a CJK font, noise and skew."""
import random

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def form_page(lines, dpi=300, skew=0.0, noise=0.01, seed=1):
    width, height = int(8.27 * dpi), int(11.69 * dpi)  # A4
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, int(dpi * 0.16))
    y = int(dpi * 0.8)
    for line in lines:
        draw.text((int(dpi * 0.8), y), line, font=font, fill=0)
        y += int(dpi * 0.35)
    rng = random.Random(seed)
    pixels = page.load()
    for _ in range(int(width * height * noise)):
        pixels[rng.randrange(width), rng.randrange(height)] = rng.choice((0, 90, 200))
    page = page.filter(ImageFilter.GaussianBlur(0.6))
    if skew:
        page = page.rotate(skew, resample=Image.BICUBIC, expand=True, fillcolor=255)
    page.info["dpi"] = (dpi, dpi)
    return page


def blank_page(dpi=300):
    page = Image.new("L", (int(8.27 * dpi), int(11.69 * dpi)), 255)
    page.info["dpi"] = (dpi, dpi)
    return page


FORM_LINES = ["中国移动通信 业务受理单", "受理编号：SC2026110200123", "业务类型：普通开户", "客户姓名：张三",
              "服务号码：13800001234", "证件类型：居民身份证", "证件号码：11010519491231002X",
              "受理时间：2026年11月02日 10:31", "客户签名：张三"]


def form_lines(transaction_no="SC2026110200123", business_type="普通开户", name="张三", phone="13800001234",
               id_number="11010519491231002X", date=None):
    """The lines of an acceptance form; the business date is the one inside the transaction number (as the
    operator numbers them) unless given."""
    if date is None:
        digits = transaction_no[2:10] if transaction_no[2:10].isdigit() else "20261102"
        date = f"{digits[:4]}年{digits[4:6]}月{digits[6:8]}日 10:31"
    return ["中国移动通信 业务受理单", f"受理编号：{transaction_no}", f"业务类型：{business_type}",
            f"客户姓名：{name}", f"服务号码：{phone}", "证件类型：居民身份证", f"证件号码：{id_number}",
            f"受理时间：{date}", f"客户签名：{name}"]


def text_page(seed=1, lines=30, dpi=300):
    """A dense page of Chinese text (an agreement), slower to read than a form."""
    words = "本协议由甲乙双方在平等自愿的基础上签订双方应遵守国家有关电信管理的法律法规客户资料受法律保护"
    rng = random.Random(seed)
    body = ["".join(rng.choice(words) for _ in range(28)) for _ in range(lines)]
    return form_page(["入网协议", *body], dpi=dpi, seed=seed)


def save_pdf(path, pages, dpi=300):
    pages[0].save(path, "PDF", save_all=True, append_images=pages[1:], resolution=dpi)
    return path
