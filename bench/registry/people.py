"""Generated residents for the registry benchmark: valid ID check digits, mobiles, rooms, and
names drawn from common surnames (so a surname search matches as many as it would for real)."""

from __future__ import annotations

import random
import re
import zipfile
from datetime import date, timedelta
from pathlib import Path

HEADINGS = ["序号", "姓名", "性别", "公民身份号码", "出生日期", "手机号码", "楼栋", "单元", "房号",
            "与户主关系", "户号", "人户状态", "户籍地址", "备注"]  # fmt: skip
# The twelve commonest surnames with their rough share of the population (%), then the rest.
SURNAMES = {"王": 7.1, "李": 7.0, "张": 6.9, "刘": 5.4, "陈": 4.6, "杨": 3.1, "黄": 2.2, "赵": 2.1,
            "吴": 2.0, "周": 1.9, "徐": 1.5, "孙": 1.5}  # fmt: skip
RARE = (
    "马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈"
    "姚卢傅钟姜崔谭廖范汪陆金石戴贾韦夏邱方侯邹熊孟秦白江阎薛尹段雷黎史龙陶贺顾毛"
    "郝龚邵万钱严赖覃洪武莫孔"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红建文辉鹏飞斌宇浩凯健俊帆帅旭宁龙林欢阳"
)
BUILDINGS = 40  # 楼栋 per committee
UNITS = 3
ROOMS = 56  # a unit's rooms: 14 floors of 4 (20,000 residents fill a committee's 40 buildings)
RELATIONS = ("户主", "配偶", "子女")
INLINE = re.compile(rb'<c r="([A-Z]+[0-9]+)" t="inlineStr"><is><t>([^<]*)</t></is></c>')
SST_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" '
    b'uniqueCount="%d">'
)
SST_TYPE = (
    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)
SST_REL = (
    b'<Relationship Id="rIdSst" Target="sharedStrings.xml" Type="http://schemas.'
    b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
)
FIRST = date(1935, 1, 1)
DAYS = 29000  # births spread over about 80 years


def check_digit(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits (ISO 7064 MOD 11-2)."""
    total = sum(int(digit) * pow(2, 17 - i, 11) for i, digit in enumerate(first17))
    return "10X98765432"[total % 11]


def surnames(rng: random.Random, count: int) -> list[str]:
    """`count` surnames in their real proportions (the rare ones share what is left)."""
    common = list(SURNAMES)
    weights = list(SURNAMES.values())
    rare_share = (100 - sum(weights)) / len(RARE)
    return rng.choices(common + list(RARE), weights + [rare_share] * len(RARE), k=count)


def person(i: int, surname: str, rng: random.Random, *, area: str = "440106") -> dict[str, object]:
    """The i-th resident of a committee: unique ID number and mobile, a room, a household."""
    born = FIRST + timedelta(days=(i * 37) % DAYS)  # 37 and DAYS are coprime: every day once
    male = i % 2 == 0
    # The sequence number (odd for men) tells apart the ones born on the same day.
    first17 = f"{area}{born:%Y%m%d}{(i // DAYS) * 2 + (1 if male else 0):03d}"
    household = i // 3
    dwelling = household % (BUILDINGS * UNITS * ROOMS)
    building, rest = divmod(dwelling, UNITS * ROOMS)
    unit, room = divmod(rest, ROOMS)
    given = "".join(rng.choices(GIVEN, k=rng.choice((1, 2, 2))))
    return {
        "name": surname + given,
        "gender": "男" if male else "女",
        "id_card": first17 + check_digit(first17),
        "birth_date": born,
        "mobile": f"1{3 + i % 7}{i % 10}{i:08d}"[:11],
        "building": f"{building + 1}栋",
        "unit": str(unit + 1),
        "room": f"{room // 4 + 1}0{room % 4 + 1}",
        "relation": RELATIONS[0] if i % 3 == 0 else RELATIONS[i % 3],
        "household": f"H{household:06d}",
    }


def write_sheet(path: Path, count: int, *, seed: int = 11) -> Path:
    """A census-shaped XLSX of `count` residents (a title row, the headings, the rows)."""
    from openpyxl import Workbook

    rng = random.Random(seed)
    names = surnames(rng, count)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("居民基本信息")
    sheet.append(["基准社区居民基本信息表"])
    sheet.append(HEADINGS)
    for i in range(count):
        p = person(i, names[i], rng)
        sheet.append([i + 1, p["name"], p["gender"], p["id_card"], p["birth_date"], p["mobile"],
                      p["building"], p["unit"], p["room"], p["relation"], p["household"],
                      "人户一致", "广州市越秀区某路1号", ""])  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.xlsx")
    book.save(tmp)
    _as_excel_writes(tmp, path, f"A1:{chr(ord('A') + len(HEADINGS) - 1)}{count + 2}")
    tmp.unlink()
    return path


def _as_excel_writes(source: Path, target: Path, ref: str) -> None:
    """Copy a workbook as Excel and WPS write one: the sheet's <dimension> given (without it a
    read-only open parses the whole sheet once more) and text in the shared-strings table
    rather than inline (openpyxl's write-only mode can do neither)."""
    strings: dict[bytes, int] = {}

    def shared(match: re.Match[bytes]) -> bytes:
        index = strings.setdefault(match.group(2), len(strings))
        return b'<c r="%s" t="s"><v>%d</v></c>' % (match.group(1), index)

    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = data.replace(
                    b"</sheetPr>", f'</sheetPr><dimension ref="{ref}"/>'.encode(), 1
                )
                data = INLINE.sub(shared, data)
            elif item.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", SST_TYPE + b"</Types>")
            elif item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", SST_REL + b"</Relationships>")
            new.writestr(item, data)
        table = b"".join(b"<si><t>%s</t></si>" % text for text in strings)
        new.writestr("xl/sharedStrings.xml", SST_HEAD % (len(strings), len(strings)) + table
                     + b"</sst>")  # fmt: skip
