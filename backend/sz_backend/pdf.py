"""Printable PDFs in Chinese: the insurance certificate and the pre-application form.

Two pure functions, each taking a frozen dataclass defined here and returning the
PDF as `bytes`; no database, network or file access:

* `render_insurance_certificate(CertificateData)`: 深圳市社会保险参保证明
  (enrolments, monthly contributions of a period, totals per insurance type).
* `render_application_form(ApplicationFormData)`: 深圳市社会保险个人业务预申请表,
  which a person prints and brings to a service window together with the materials.

Text uses reportlab's built-in CID font STSong-Light (Adobe-GB1, not embedded: every
PDF reader ships it or a substitute), so nothing is downloaded. Each PDF also carries
a /ToUnicode map, so the text can be copied and extracted (`pdftotext`; poppler
additionally needs its `poppler-data` package to load the predefined GB CMap).

Inputs are printed as given (ID numbers come already masked). Money is integer fen
and is printed as yuan with two decimals using integer arithmetic only. Codes for
insurance types and statuses are translated with the `*_ZH` tables below; any other
string (e.g. an already-Chinese label, or an Enum whose `.value` is such a string)
is printed unchanged.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import Enum
from io import BytesIO
from typing import Any, Union
from xml.sax.saxutils import escape

from reportlab.graphics.barcode import createBarcodeDrawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import CondPageBreak, Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

__all__ = [
    "CONTRIBUTION_STATUS_ZH",
    "COUNTED_CONTRIBUTION_STATUSES",
    "ENROLMENT_STATUS_ZH",
    "INSURANCE_TYPE_ZH",
    "ApplicationFormData",
    "CertificateData",
    "ContributionRow",
    "EnrolmentRow",
    "MismatchItem",
    "Month",
    "format_fen",
    "insurance_label_zh",
    "render_application_form",
    "render_insurance_certificate",
]

# --------------------------------------------------------------------------- labels

INSURANCE_TYPE_ZH: dict[str, str] = {
    "pension": "养老保险",
    "medical_tier1": "医疗保险（一档）",
    "medical_tier2": "医疗保险（二档）",
    "medical_resident": "医疗保险（居民）",
    "medical": "医疗保险",  # tier unknown; prefer insurance_label_zh() to pick one above
    "unemployment": "失业保险",
    "work_injury": "工伤保险",
    "maternity": "生育保险",
}

ENROLMENT_STATUS_ZH: dict[str, str] = {
    "active": "正常参保",
    "suspended": "暂停参保",
    "stopped": "已停保",
}

CONTRIBUTION_STATUS_ZH: dict[str, str] = {
    "paid": "已缴费",
    "back_paid": "已补缴",
    "pending": "待扣款",
    "failed": "扣款失败",
    "unpaid": "未缴费",
    "refunded": "已退费",
}

# Rows with these statuses (code or Chinese label) are added up in the totals table;
# the others (pending, failed, unpaid, refunded, unknown) are listed but not counted.
COUNTED_CONTRIBUTION_STATUSES: frozenset[str] = frozenset({"paid", "back_paid", "已缴费", "已补缴"})

_RESIDENT_SCHEMES = frozenset({"resident", "child", "student"})


def insurance_label_zh(insurance: Any, *, medical_tier: int | None = None, scheme: Any = None) -> str:
    """Chinese label for an insurance type, from the stored columns: medical
    insurance becomes 一档/二档 from `medical_tier`, or 居民 for the resident,
    child and student schemes. Accepts Enum members or their string values."""
    key = _plain(insurance)
    if key == "medical":
        if medical_tier in (1, 2):
            return INSURANCE_TYPE_ZH[f"medical_tier{medical_tier}"]
        if _plain(scheme) in _RESIDENT_SCHEMES:
            return INSURANCE_TYPE_ZH["medical_resident"]
    return _label(key, INSURANCE_TYPE_ZH)


CERTIFICATE_TITLE = "深圳市社会保险参保证明"
APPLICATION_FORM_TITLE = "深圳市社会保险个人业务预申请表"
ISSUER_ZH = "深圳市社会保险基金管理局"
NO_RECORD = "无记录"
DASH = "—"
MISSING_GLYPH = "〓"  # the customary stand-in for a character the font cannot print

# A month: a `date` (the day is ignored) or a string "YYYY-MM", "YYYYMM" or "YYYY-MM-DD".
Month = Union[date, str]

# --------------------------------------------------------------------------- data


def _tuple(value: Any) -> tuple:
    return tuple(value) if value is not None else ()


@dataclass(frozen=True)
class EnrolmentRow:
    insurance: str  # INSURANCE_TYPE_ZH key, or a label printed as is
    status: str  # ENROLMENT_STATUS_ZH key, or a label printed as is
    start_month: Month
    end_month: Month | None = None  # None prints "—"


@dataclass(frozen=True)
class ContributionRow:
    month: Month
    insurance: str  # INSURANCE_TYPE_ZH key, or a label
    base_fen: int  # 缴费基数, integer fen
    personal_fen: int  # 个人缴纳, integer fen
    employer_fen: int  # 单位缴纳, integer fen (0 for individual payers)
    status: str = "paid"  # CONTRIBUTION_STATUS_ZH key, or a label

    def __post_init__(self) -> None:
        for name in ("base_fen", "personal_fen", "employer_fen"):
            _check_fen(getattr(self, name), name)


@dataclass(frozen=True)
class CertificateData:
    person_name: str
    id_number_masked: str  # printed exactly as given
    certificate_number: str
    issued_at: datetime  # aware; printed as a date in Asia/Shanghai
    enrolments: Sequence[EnrolmentRow] = ()
    contributions: Sequence[ContributionRow] = ()  # printed in the given order
    period_start: Month | None = None  # defaults to the earliest contribution month
    period_end: Month | None = None  # defaults to the latest contribution month
    social_security_number: str | None = None  # 个人社保号, printed when given

    def __post_init__(self) -> None:
        _check_aware(self.issued_at, "issued_at")
        object.__setattr__(self, "enrolments", _tuple(self.enrolments))
        object.__setattr__(self, "contributions", _tuple(self.contributions))


@dataclass(frozen=True)
class MismatchItem:
    field_label: str  # e.g. 户籍性质
    submitted_value: str  # what the person entered
    registry_value: str  # what the registry (户籍/公安 data) says
    fix_zh: str  # how to fix it


@dataclass(frozen=True)
class ApplicationFormData:
    item_code: str  # e.g. register_extended_contribution
    item_name_zh: str  # e.g. 个人延缴登记
    pre_application_number: str  # printed large and as a Code128 barcode
    applicant_name: str
    id_number_masked: str  # printed exactly as given
    submitted_at: datetime  # aware; printed in Asia/Shanghai to the minute
    fields: Sequence[tuple[str, Any]] = ()  # (label_zh, value) rows
    materials: Sequence[str] = ()  # 携带材料, numbered 1, 2, ...
    service_location: str = ""  # 办理地点
    mismatches: Sequence[MismatchItem] | None = None  # None: no 比对不一致项 section
    valid_until: date | datetime | None = None  # 预申请有效期, printed when given

    def __post_init__(self) -> None:
        _check_aware(self.submitted_at, "submitted_at")
        if isinstance(self.valid_until, datetime):
            _check_aware(self.valid_until, "valid_until")
        fields = tuple(tuple(pair) for pair in _tuple(self.fields))
        if any(len(pair) != 2 for pair in fields):
            raise ValueError("fields must be (label_zh, value) pairs")
        object.__setattr__(self, "fields", fields)
        object.__setattr__(self, "materials", _tuple(self.materials))
        if self.mismatches is not None:
            object.__setattr__(self, "mismatches", tuple(self.mismatches))


def _check_fen(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int amount in fen, got {type(value).__name__}")


def _check_aware(value: Any, name: str) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


# --------------------------------------------------------------------------- formatting

try:
    from zoneinfo import ZoneInfo

    _SHANGHAI: Any = ZoneInfo("Asia/Shanghai")
except Exception:  # no tz database on the machine: China has had no DST since 1991
    _SHANGHAI = timezone(timedelta(hours=8), "CST")


def format_fen(fen: int) -> str:
    """Integer fen as yuan with two decimals: 123450 -> "1234.50", -5 -> "-0.05"."""
    _check_fen(fen, "amount")
    yuan, cents = divmod(abs(fen), 100)
    return f"{'-' if fen < 0 else ''}{yuan}.{cents:02d}"


def _local(moment: datetime) -> datetime:
    return moment.astimezone(_SHANGHAI)


def _format_date(value: date | datetime) -> str:
    if isinstance(value, datetime):
        value = _local(value)
    return f"{value.year}年{value.month:02d}月{value.day:02d}日"


def _format_datetime(moment: datetime) -> str:
    local = _local(moment)
    return f"{_format_date(local)} {local.hour:02d}:{local.minute:02d}"


def _month_key(value: Month | None) -> tuple[int, int] | None:
    if value is None:
        return None
    if isinstance(value, date):
        return (value.year, value.month)
    text = str(value).strip()
    digits = text.replace("-", "").replace("/", "").replace(".", "")
    if digits.isascii() and digits.isdigit() and len(digits) in (6, 8):
        year, month = int(digits[:4]), int(digits[4:6])
        if 1 <= month <= 12:
            return (year, month)
    return None


def _format_month(value: Month | None) -> str:
    if value is None:
        return DASH
    key = _month_key(value)
    if key is None:
        return str(value)
    return f"{key[0]}年{key[1]:02d}月"


def _plain(value: Any) -> Any:
    """Enum members stand for their value."""
    return value.value if isinstance(value, Enum) else value


def _label(value: Any, table: dict[str, str]) -> str:
    key = _plain(value)
    if key is None:
        return DASH
    key = str(key)
    return table.get(key, key)


def _sanitize(value: Any) -> str:
    """Text safe for the font and the PDF: no control characters and no characters
    outside the Basic Multilingual Plane (the UCS-2 font encoding cannot carry them;
    they become 〓). Missing glyphs inside the BMP are left to the reader."""
    if value is None:
        return DASH
    text = str(_plain(value)).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    out = []
    for ch in text:
        code = ord(ch)
        if ch == "\n":
            out.append(ch)
        elif code > 0xFFFF or 0xD800 <= code <= 0xDFFF:
            out.append(MISSING_GLYPH)
        elif unicodedata.category(ch) in ("Cc", "Cs"):
            continue
        else:
            out.append(ch)
    return "".join(out)


def _markup(value: Any) -> str:
    """Plain text -> Paragraph markup: escaped, newlines kept."""
    return escape(_sanitize(value)).replace("\n", "<br/>")


# --------------------------------------------------------------------------- font

_FONT_FACE = "STSong-Light"
_FONT = "SZSI-STSong-Light"  # our registry name; the PDF still names STSong-Light


def _to_unicode_cmap() -> bytes:
    """ToUnicode CMap for text written by UnicodeCIDFont: its codes are UTF-16BE
    code units of BMP characters, so every code maps to itself (surrogates never
    occur, `_sanitize` removes them)."""
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <FFFF>",
        "endcodespacerange",
    ]
    high_bytes = [h for h in range(256) if not 0xD8 <= h <= 0xDF]
    for start in range(0, len(high_bytes), 100):  # at most 100 entries per block
        chunk = high_bytes[start : start + 100]
        lines.append(f"{len(chunk)} beginbfrange")
        lines.extend(f"<{h:02X}00> <{h:02X}FF> <{h:02X}00>" for h in chunk)
        lines.append("endbfrange")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode("ascii")


class _ExtractableCIDFont(UnicodeCIDFont):
    """STSong-Light (UniGB-UCS2-H) plus a /ToUnicode map for text extraction."""

    def __init__(self) -> None:
        super().__init__(_FONT_FACE)
        self.name = self.fontName = _FONT

    def addObjects(self, doc: Any) -> None:  # noqa: N802 (reportlab API)
        super().addObjects(doc)
        internal = doc.fontMapping[self.name][1:]
        ref = doc.idToObject["BasicFonts"].dict[internal]
        font_dict = doc.idToObject[ref.name]
        font_dict.dict["ToUnicode"] = doc.Reference(pdfdoc.PDFStream(content=_to_unicode_cmap()))


def _ensure_font() -> None:
    try:
        pdfmetrics.getFont(_FONT)
    except KeyError:
        pdfmetrics.registerFont(_ExtractableCIDFont())


# --------------------------------------------------------------------------- layout

_PAGE_WIDTH, _PAGE_HEIGHT = A4
_MARGIN = 18 * mm
_CONTENT_WIDTH = _PAGE_WIDTH - 2 * _MARGIN
_GRID = colors.Color(0.3, 0.3, 0.3)
_HEADER_BG = colors.Color(0.9, 0.9, 0.9)


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=_FONT, fontSize=10, leading=14, wordWrap="CJK", alignment=TA_LEFT)
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=26, alignment=TA_CENTER, spaceAfter=4 * mm),
        "heading": ParagraphStyle(
            "heading", parent=base, fontSize=12, leading=18, spaceBefore=4 * mm, spaceAfter=2 * mm
        ),
        "body": base,
        "cell": ParagraphStyle("cell", parent=base, fontSize=9, leading=12),
        "cell_head": ParagraphStyle("cell_head", parent=base, fontSize=9, leading=12, alignment=TA_CENTER),
        "cell_center": ParagraphStyle("cell_center", parent=base, fontSize=9, leading=12, alignment=TA_CENTER),
        "cell_num": ParagraphStyle("cell_num", parent=base, fontSize=9, leading=12, alignment=TA_RIGHT),
        "label": ParagraphStyle("label", parent=base, fontSize=9, leading=12),
        "number": ParagraphStyle("number", parent=base, fontSize=22, leading=28, alignment=TA_CENTER),
        "note": ParagraphStyle("note", parent=base, fontSize=9, leading=13),
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT),
    }


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    return Paragraph(_markup(text), style)


def _grid_table(
    header: Sequence[str],
    rows: list[list[Any]],
    widths: Sequence[float],
    st: dict[str, ParagraphStyle],
    *,
    repeat_header: bool = True,
    extra_style: Iterable[tuple] = (),
) -> Table:
    """A bordered table with a grey header row; no rows prints 无记录 across it."""
    data: list[list[Any]] = [[_p(h, st["cell_head"]) for h in header]]
    commands: list[tuple] = [
        ("GRID", (0, 0), (-1, -1), 0.5, _GRID),
        ("BACKGROUND", (0, 0), (-1, 0), _HEADER_BG),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if rows:
        data.extend(rows)
    else:
        data.append([_p(NO_RECORD, st["cell_center"])] + [""] * (len(header) - 1))
        commands.append(("SPAN", (0, 1), (-1, 1)))
    commands.extend(extra_style)
    return Table(
        data, colWidths=list(widths), repeatRows=1 if repeat_header else 0, style=TableStyle(commands), hAlign="CENTER"
    )


def _info_table(pairs: Sequence[tuple[str, Any]], st: dict[str, ParagraphStyle]) -> Table:
    """Label/value pairs, two pairs a row, for the document's heading facts."""
    widths = [_CONTENT_WIDTH * f for f in (0.15, 0.35, 0.15, 0.35)]
    rows: list[list[Any]] = []
    for i in range(0, len(pairs), 2):
        row: list[Any] = []
        for label, value in pairs[i : i + 2]:
            row += [_p(label, st["label"]), _p(value, st["cell"])]
        rows.append(row + [""] * (4 - len(row)))
    commands = [
        ("GRID", (0, 0), (-1, -1), 0.5, _GRID),
        ("BACKGROUND", (0, 0), (0, -1), _HEADER_BG),
        ("BACKGROUND", (2, 0), (2, -1), _HEADER_BG),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    return Table(rows, colWidths=widths, style=TableStyle(commands), hAlign="CENTER")


def _canvas_class(footer_left: str, document_date: datetime) -> type[Canvas]:
    """A canvas that stamps "第 N 页，共 M 页" (and a reference) on every page.

    (The comma is deliberate: with only single spaces around the digits, poppler's
    text extraction reads the uniform gaps as letter spacing and prints "第1页".)"""
    footer_left = _sanitize(footer_left).replace("\n", " ")
    local = _local(document_date)
    pdf_date = f"D:{local:%Y%m%d%H%M%S}+08'00'"  # CreationDate/ModDate: the document's own date

    class _NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.setDateFormatter(lambda *_ignored: pdf_date)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab API)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self.setFont(_FONT, 9)
                self.setFillColor(colors.black)
                y = 10 * mm
                if footer_left:
                    self.drawString(_MARGIN, y, footer_left)
                self.drawRightString(_PAGE_WIDTH - _MARGIN, y, f"第 {number} 页，共 {total} 页")
                Canvas.showPage(self)
            Canvas.save(self)

    return _NumberedCanvas


def _build(story: list[Flowable], *, title: str, subject: str, footer_left: str, document_date: datetime) -> bytes:
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=_MARGIN,
        title=title,
        subject=_sanitize(subject),
        author=ISSUER_ZH,
        creator="sz_backend",
        invariant=1,  # same input, same bytes (the dates come from the data)
    )
    doc.build(story, canvasmaker=_canvas_class(footer_left, document_date))
    return buffer.getvalue()


_SECTION_NUMERALS = "一二三四五六七八九十"


def _section(index: int, text: str, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    """A section heading; starts a new page unless the heading and a few lines of
    what follows fit (a long table then splits instead of moving whole)."""
    return [CondPageBreak(30 * mm), _p(f"{_SECTION_NUMERALS[index]}、{text}", st["heading"])]


# --------------------------------------------------------------------------- certificate


def _insurance_order(label: str) -> int:
    order = list(INSURANCE_TYPE_ZH.values())
    return order.index(label) if label in order else len(order)


def render_insurance_certificate(data: CertificateData) -> bytes:
    """深圳市社会保险参保证明 as PDF bytes."""
    _ensure_font()
    st = _styles()
    story: list[Flowable] = [_p(CERTIFICATE_TITLE, st["title"])]

    months = [k for k in (_month_key(c.month) for c in data.contributions) if k]
    period_start = (
        data.period_start
        if data.period_start is not None
        else (f"{min(months)[0]:04d}{min(months)[1]:02d}" if months else None)
    )
    period_end = (
        data.period_end
        if data.period_end is not None
        else (f"{max(months)[0]:04d}{max(months)[1]:02d}" if months else None)
    )
    period = (
        f"{_format_month(period_start)} 至 {_format_month(period_end)}"
        if period_start is not None or period_end is not None
        else DASH
    )

    facts: list[tuple[str, Any]] = [
        ("姓名", data.person_name),
        ("公民身份号码", data.id_number_masked),
        ("证明编号", data.certificate_number),
        ("出具日期", _format_date(data.issued_at)),
    ]
    if data.social_security_number:
        facts.append(("个人社保号", data.social_security_number))
    facts.append(("缴费期间", period))
    story += [_info_table(facts, st), Spacer(1, 2 * mm)]

    # 一、参保情况
    story.extend(_section(0, "参保情况", st))
    enrolment_rows = [
        [
            _p(_label(e.insurance, INSURANCE_TYPE_ZH), st["cell"]),
            _p(_label(e.status, ENROLMENT_STATUS_ZH), st["cell_center"]),
            _p(_format_month(e.start_month), st["cell_center"]),
            _p(_format_month(e.end_month), st["cell_center"]),
        ]
        for e in data.enrolments
    ]
    story.append(
        _grid_table(
            ["险种", "参保状态", "参保起始年月", "参保终止年月"],
            enrolment_rows,
            [_CONTENT_WIDTH * f for f in (0.31, 0.21, 0.24, 0.24)],
            st,
        )
    )

    # 二、缴费明细
    story.extend(_section(1, f"缴费明细（{period}）", st))
    contribution_rows = [
        [
            _p(_format_month(c.month), st["cell_center"]),
            _p(_label(c.insurance, INSURANCE_TYPE_ZH), st["cell"]),
            _p(format_fen(c.base_fen), st["cell_num"]),
            _p(format_fen(c.personal_fen), st["cell_num"]),
            _p(format_fen(c.employer_fen), st["cell_num"]),
            _p(_label(c.status, CONTRIBUTION_STATUS_ZH), st["cell_center"]),
        ]
        for c in data.contributions
    ]
    story.append(
        _grid_table(
            ["缴费年月", "险种", "缴费基数（元）", "个人缴纳（元）", "单位缴纳（元）", "缴费状态"],
            contribution_rows,
            [_CONTENT_WIDTH * f for f in (0.15, 0.21, 0.17, 0.16, 0.16, 0.15)],
            st,
        )
    )

    # 三、缴费合计 (only paid rows count)
    story.extend(_section(2, "缴费合计", st))
    totals: dict[str, list[Any]] = {}  # label -> [months set, personal, employer]
    for c in data.contributions:
        status = str(_plain(c.status))
        if status not in COUNTED_CONTRIBUTION_STATUSES:
            continue
        entry = totals.setdefault(_label(c.insurance, INSURANCE_TYPE_ZH), [set(), 0, 0])
        entry[0].add(_month_key(c.month) or str(c.month))
        entry[1] += c.personal_fen
        entry[2] += c.employer_fen
    ordered = sorted(totals.items(), key=lambda item: _insurance_order(item[0]))
    total_rows = [
        [
            _p(label, st["cell"]),
            _p(str(len(m)), st["cell_num"]),
            _p(format_fen(p), st["cell_num"]),
            _p(format_fen(e), st["cell_num"]),
            _p(format_fen(p + e), st["cell_num"]),
        ]
        for label, (m, p, e) in ordered
    ]
    extra: list[tuple] = []
    if total_rows:
        all_p = sum(v[1] for v in totals.values())
        all_e = sum(v[2] for v in totals.values())
        total_rows.append(
            [
                _p("总计", st["cell"]),
                _p(DASH, st["cell_center"]),
                _p(format_fen(all_p), st["cell_num"]),
                _p(format_fen(all_e), st["cell_num"]),
                _p(format_fen(all_p + all_e), st["cell_num"]),
            ]
        )
        extra.append(("BACKGROUND", (0, -1), (-1, -1), _HEADER_BG))
    story.append(
        _grid_table(
            ["险种", "已缴月数", "个人缴纳合计（元）", "单位缴纳合计（元）", "合计（元）"],
            total_rows,
            [_CONTENT_WIDTH * f for f in (0.24, 0.12, 0.22, 0.22, 0.20)],
            st,
            extra_style=extra,
        )
    )
    story.append(Spacer(1, 1.5 * mm))
    story.append(_p("合计仅统计缴费状态为“已缴费”“已补缴”的记录。", st["note"]))

    # 说明 and issuer
    story.append(Spacer(1, 4 * mm))
    story.append(_p("说明：", st["note"]))
    story.append(_p("1. 此证明仅用于证明参保缴费情况。", st["note"]))
    story.append(
        _p(f"2. 可通过证明编号（{_sanitize(data.certificate_number)}）向{ISSUER_ZH}核验本证明的真实性。", st["note"])
    )
    story.append(Spacer(1, 8 * mm))
    story.append(_p(f"出具机构：{ISSUER_ZH}", st["right"]))
    story.append(_p(f"出具日期：{_format_date(data.issued_at)}", st["right"]))

    return _build(
        story,
        title=CERTIFICATE_TITLE,
        subject=f"{CERTIFICATE_TITLE} {data.certificate_number}",
        footer_left=f"证明编号：{data.certificate_number}",
        document_date=data.issued_at,
    )


# --------------------------------------------------------------------------- application form


def _barcode(value: str, max_width: float) -> Flowable | None:
    """Code128 of the pre-application number, narrowed to fit; None when the number
    is not printable ASCII (Code128 cannot carry it) or empty."""
    if not value or not all(32 <= ord(ch) < 127 for ch in value):
        return None
    bar_width = 0.35 * mm
    drawing = None
    for _ in range(4):
        drawing = createBarcodeDrawing(
            "Code128", value=value, barWidth=bar_width, barHeight=14 * mm, humanReadable=False
        )
        if drawing.width <= max_width:
            break
        bar_width *= max_width / drawing.width * 0.98
    if drawing is None or drawing.width > max_width:
        return None
    drawing.hAlign = "CENTER"
    return drawing


def render_application_form(data: ApplicationFormData) -> bytes:
    """深圳市社会保险个人业务预申请表 as PDF bytes."""
    _ensure_font()
    st = _styles()
    story: list[Flowable] = [_p(APPLICATION_FORM_TITLE, st["title"])]

    number = _sanitize(data.pre_application_number)
    story.append(_p("预申请编号", st["cell_center"]))
    story.append(_p(number, st["number"]))
    barcode = _barcode(number, _CONTENT_WIDTH)
    if barcode is not None:
        story.append(Spacer(1, 1 * mm))
        story.append(barcode)
    story.append(Spacer(1, 4 * mm))

    facts: list[tuple[str, Any]] = [
        ("业务事项", data.item_name_zh),
        ("事项编码", data.item_code),
        ("申请人", data.applicant_name),
        ("公民身份号码", data.id_number_masked),
        ("提交时间", _format_datetime(data.submitted_at)),
    ]
    if data.valid_until is not None:
        facts.append(("有效期至", _format_date(data.valid_until)))
    story.append(_info_table(facts, st))

    section = 0
    story.extend(_section(section, "申报信息", st))
    field_rows = [[_p(label, st["label"]), _p(value, st["cell"])] for label, value in data.fields]
    story.append(_grid_table(["项目", "申报内容"], field_rows, [_CONTENT_WIDTH * 0.3, _CONTENT_WIDTH * 0.7], st))

    if data.mismatches is not None:
        section += 1
        story.extend(_section(section, "比对不一致项", st))
        mismatch_rows = [
            [
                _p(m.field_label, st["cell"]),
                _p(m.submitted_value, st["cell"]),
                _p(m.registry_value, st["cell"]),
                _p(m.fix_zh, st["cell"]),
            ]
            for m in data.mismatches
        ]
        story.append(
            _grid_table(
                ["比对项目", "申报内容", "登记信息", "处理方法"],
                mismatch_rows,
                [_CONTENT_WIDTH * f for f in (0.18, 0.24, 0.24, 0.34)],
                st,
            )
        )

    section += 1
    story.extend(_section(section, "携带材料", st))
    if data.materials:
        for i, material in enumerate(data.materials, start=1):
            story.append(
                Paragraph(
                    f"{i}. {_markup(material)}",
                    ParagraphStyle(f"material{i}", parent=st["body"], leftIndent=6 * mm, firstLineIndent=-6 * mm),
                )
            )
    else:
        story.append(_p(NO_RECORD, st["body"]))

    section += 1
    story.extend(_section(section, "办理地点", st))
    story.append(_p(data.service_location or DASH, st["body"]))

    story.append(Spacer(1, 3 * mm))
    story.append(
        _p("请打印本表，携带上述材料原件前往办理地点窗口办理；窗口凭预申请编号或条形码调取申报信息。", st["note"])
    )

    story.append(Spacer(1, 14 * mm))
    signature = Table(
        [[_p("申请人签名：____________________", st["body"]), _p("日期：________年____月____日", st["body"])]],
        colWidths=[_CONTENT_WIDTH * 0.55, _CONTENT_WIDTH * 0.45],
        hAlign="CENTER",
    )
    story.append(signature)

    return _build(
        story,
        title=APPLICATION_FORM_TITLE,
        subject=f"{data.item_name_zh} {data.pre_application_number}",
        footer_left=f"预申请编号：{data.pre_application_number}",
        document_date=data.submitted_at,
    )
