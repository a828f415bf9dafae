"""The printable PDFs: rendered, written out, and read back with poppler's pdftotext.

pdftotext needs the `poppler-data` package to load STSong-Light's predefined GB
CMap (UniGB-UCS2-H); without it every Chinese character is silently dropped.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import FrozenInstanceError
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from sz_backend.pdf import (
    ApplicationFormData,
    CertificateData,
    ContributionRow,
    EnrolmentRow,
    MismatchItem,
    format_fen,
    insurance_label_zh,
    render_application_form,
    render_insurance_certificate,
)

SHANGHAI = timezone(timedelta(hours=8))
INSURANCES = ["pension", "medical_tier1", "unemployment", "work_injury", "maternity"]


# ----------------------------------------------------------------------------- helpers


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} (poppler-utils) is required for these tests")
    return path


def extract(pdf: bytes, tmp_path: Path, name: str = "doc.pdf", *, layout: bool = True) -> str:
    """Write the PDF and return `pdftotext -layout` output (layout=False: reading
    order, where a wrapped table cell's lines stay together)."""
    target = tmp_path / name
    target.write_bytes(pdf)
    mode = ["-layout"] if layout else []
    result = subprocess.run([_need("pdftotext"), *mode, str(target), "-"], capture_output=True, text=True, check=True)
    if "language pack" in result.stderr or "Unknown CMap" in result.stderr:
        pytest.fail(
            "pdftotext cannot decode the Chinese font: install poppler-data "
            f"(apt-get install poppler-data). stderr: {result.stderr.strip()}"
        )
    return result.stdout


def page_count(pdf: bytes, tmp_path: Path, name: str = "pages.pdf") -> int:
    target = tmp_path / name
    target.write_bytes(pdf)
    info = subprocess.run([_need("pdfinfo"), str(target)], capture_output=True, text=True, check=True).stdout
    match = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)
    assert match, info
    return int(match.group(1))


def squeeze(text: str) -> str:
    """All whitespace removed: wrapped cell text reads as one string again."""
    return re.sub(r"\s+", "", text)


def contributions(months: int, start: tuple[int, int] = (2023, 1)) -> list[ContributionRow]:
    rows = []
    year, month = start
    for i in range(months):
        rows.append(
            ContributionRow(
                month=f"{year}-{month:02d}",
                insurance="pension",
                base_fen=1_234_50,
                personal_fen=98_76 + i,
                employer_fen=197_52,
            )
        )
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return rows


def certificate(**overrides) -> CertificateData:
    values = dict(
        person_name="张三",
        id_number_masked="4403**********123X",
        certificate_number="SZCB202611270001",
        issued_at=datetime(2026, 11, 27, 10, 30, tzinfo=SHANGHAI),
        enrolments=[
            EnrolmentRow("pension", "active", "2020-01"),
            EnrolmentRow("medical_tier1", "active", date(2020, 1, 1)),
            EnrolmentRow("medical_tier2", "suspended", "2018-03", "2019-12"),
            EnrolmentRow("medical_resident", "stopped", "201501", "201802"),
            EnrolmentRow("unemployment", "active", "2020-01"),
            EnrolmentRow("work_injury", "stopped", "2020-01", "2024-06"),
            EnrolmentRow("maternity", "active", "2020-01"),
        ],
        contributions=[
            ContributionRow("2026-09", "pension", 1_234_50, 98_76, 197_52, "paid"),
            ContributionRow("2026-09", "medical_tier1", 1_234_50, 24_69, 74_07, "paid"),
            ContributionRow("2026-10", "pension", 1_234_50, 98_76, 197_52, "paid"),
            ContributionRow("2026-10", "medical_tier1", 1_234_50, 24_69, 74_07, "back_paid"),
            ContributionRow("2026-11", "pension", 1_234_50, 98_76, 197_52, "failed"),
            ContributionRow("2026-11", "unemployment", 1_234_50, 3_70, 8_64, "pending"),
        ],
        period_start="2026-09",
        period_end="2026-11",
    )
    values.update(overrides)
    return CertificateData(**values)


MATERIALS = [
    "居民身份证原件及复印件",
    "户口簿原件（深户）",
    "本预申请表（申请人签名）",
]


def application(**overrides) -> ApplicationFormData:
    values = dict(
        item_code="register_extended_contribution",
        item_name_zh="个人延缴登记",
        pre_application_number="YS2026000012347",
        applicant_name="张三",
        id_number_masked="4403**********123X",
        submitted_at=datetime(2026, 11, 27, 6, 5, tzinfo=timezone.utc),  # 14:05 in Shenzhen
        fields=[
            ("延缴险种", "养老保险"),
            ("累计缴费月数", 170),
            ("申请延缴月数", "10"),
            ("联系电话", "138****5678"),
        ],
        materials=MATERIALS,
        service_location="深圳市社会保险基金管理局福田分局服务大厅（福田区福华三路）",
        mismatches=None,
    )
    values.update(overrides)
    return ApplicationFormData(**values)


# ----------------------------------------------------------------------------- certificate


def test_certificate_text_is_extractable(tmp_path):
    pdf = render_insurance_certificate(certificate())
    assert pdf.startswith(b"%PDF")
    text = extract(pdf, tmp_path)

    for expected in [
        "深圳市社会保险参保证明",
        "张三",
        "4403**********123X",
        "SZCB202611270001",
        "2026年11月27日",
        "养老保险",
        "医疗保险（一档）",
        "医疗保险（二档）",
        "医疗保险（居民）",
        "失业保险",
        "工伤保险",
        "生育保险",
        "正常参保",
        "暂停参保",
        "已停保",
        "2020年01月",
        "2019年12月",
        "—",
        "2026年09月 至 2026年11月",
        "1234.50",
        "98.76",
        "197.52",
        "24.69",
        "74.07",
        "已缴费",
        "已补缴",
        "扣款失败",
        "待扣款",
        "此证明仅用于证明参保缴费情况",
        "可通过证明编号",
        "向深圳市社会保险基金管理局核验",
        "第 1 页",
    ]:
        assert expected in text, expected


def test_certificate_totals_count_paid_rows_only(tmp_path):
    text = extract(render_insurance_certificate(certificate()), tmp_path)
    totals = text[text.index("缴费合计") :]
    lines = {line.split()[0]: line.split()[1:] for line in totals.splitlines() if line.split()}
    # pension: 2 paid months (the failed November is listed but not counted)
    assert lines["养老保险"] == ["2", "197.52", "395.04", "592.56"]
    # medical tier 1: one paid + one back-paid month
    assert lines["医疗保险（一档）"] == ["2", "49.38", "148.14", "197.52"]
    assert "失业保险" not in lines  # only a pending row
    assert lines["总计"] == ["—", "246.90", "543.18", "790.08"]


def test_issued_at_is_printed_in_shanghai_time(tmp_path):
    # 2026-11-26 17:30 UTC is already 27 November in Shenzhen
    data = certificate(issued_at=datetime(2026, 11, 26, 17, 30, tzinfo=timezone.utc))
    text = extract(render_insurance_certificate(data), tmp_path)
    assert "2026年11月27日" in text
    assert "2026年11月26日" not in text


def test_forty_months_flow_onto_more_pages(tmp_path):
    data = certificate(contributions=contributions(40), period_start=None, period_end=None)
    pdf = render_insurance_certificate(data)
    pages = page_count(pdf, tmp_path)
    assert pages >= 2
    text = extract(pdf, tmp_path)
    assert text.count("\f") >= 2
    for n in range(1, pages + 1):
        assert f"第 {n} 页" in text
    # the header row repeats on the continuation page
    assert text.count("缴费基数（元）") >= 2
    # every month is there, first to last, and the period is derived from them
    assert "2023年01月" in text and "2026年04月" in text
    assert "2023年01月 至 2026年04月" in text
    assert text.count("1234.50") == 40
    assert "40" in text[text.index("缴费合计") :]  # 40 paid months of pension


def test_empty_certificate_prints_no_record(tmp_path):
    data = certificate(enrolments=[], contributions=[], period_start=None, period_end=None)
    text = extract(render_insurance_certificate(data), tmp_path)
    assert text.count("无记录") == 3  # enrolments, contributions, totals
    assert "深圳市社会保险参保证明" in text
    assert "第 1 页" in text


def test_markup_characters_survive_in_certificate(tmp_path):
    data = certificate(
        person_name="张三<&>",
        certificate_number="A&B<1>",
        enrolments=[EnrolmentRow("补充医疗 <A&B>", "正常参保", "2020-01")],
    )
    text = extract(render_insurance_certificate(data), tmp_path)
    assert "张三<&>" in text
    assert "A&B<1>" in text
    assert "补充医疗 <A&B>" in text


def test_enum_members_are_accepted():
    from enum import Enum

    class Insurance(str, Enum):
        pension = "pension"

    class Status(str, Enum):
        active = "active"

    data = certificate(
        enrolments=[EnrolmentRow(Insurance.pension, Status.active, "2020-01")],
        contributions=[ContributionRow("2026-01", Insurance.pension, 100, 8, 16, Status.active)],
    )
    assert render_insurance_certificate(data).startswith(b"%PDF")


# ----------------------------------------------------------------------------- application form


def test_application_form_text_is_extractable(tmp_path):
    pdf = render_application_form(application(valid_until=date(2026, 12, 27)))
    text = extract(pdf, tmp_path)
    for expected in [
        "深圳市社会保险个人业务预申请表",
        "个人延缴登记",
        "register_extended_contribution",
        "YS2026000012347",
        "张三",
        "4403**********123X",
        "2026年11月27日 14:05",
        "2026年12月27日",
        "延缴险种",
        "养老保险",
        "累计缴费月数",
        "170",
        "138****5678",
        "携带材料",
        "办理地点",
        "福田区福华三路",
        "申请人签名",
        "日期",
        "第 1 页",
    ]:
        assert expected in text, expected
    for number, material in enumerate(MATERIALS, start=1):
        assert f"{number}. {material}" in text
    assert "比对不一致项" not in text


def test_application_form_mismatch_section(tmp_path):
    mismatch = MismatchItem(
        field_label="户籍性质",
        submitted_value="深户",
        registry_value="非深户",
        fix_zh="进入“个人信息变更”，将“非深户”维护成“广东省内非深户”或“广东省外户籍”",
    )
    pdf = render_application_form(application(mismatches=[mismatch]))
    text = extract(pdf, tmp_path)
    assert "比对不一致项" in text
    for expected in ["户籍性质", "深户", "非深户", "登记信息", "处理方法"]:
        assert expected in text
    reading_order = extract(pdf, tmp_path, layout=False)
    assert squeeze(mismatch.fix_zh) in squeeze(reading_order)


def test_application_form_empty_lists(tmp_path):
    data = application(fields=[], materials=[], mismatches=[], service_location="")
    text = extract(render_application_form(data), tmp_path)
    assert text.count("无记录") == 3  # fields, mismatches, materials
    assert "YS2026000012347" in text


def test_markup_characters_and_long_values_in_form(tmp_path):
    long_value = "深圳市南山区粤海街道科技园社区" * 12 + "（备注 A&B <重要> 末尾）"
    data = application(
        applicant_name="李四 & 王五",
        fields=[
            ("单位名称", "深圳<某某>科技有限公司 & 分公司"),
            ("详细地址", long_value),
            ("多行说明", "第一行\n第二行 <b>不是粗体</b>"),
        ],
        materials=["身份证 & 户口簿 <原件>", "很长的材料说明" * 20],
        service_location="窗口 A&B <3号>",
    )
    pdf = render_application_form(data)
    text = extract(pdf, tmp_path)
    assert "李四 & 王五" in text
    assert "深圳<某某>科技有限公司 & 分公司" in text
    assert "1. 身份证 & 户口簿 <原件>" in text
    assert "窗口 A&B <3号>" in text
    assert "<b>不是粗体</b>" in text
    flat = squeeze(extract(pdf, tmp_path, layout=False))
    assert squeeze(long_value) in flat  # wrapped over several lines, nothing lost
    assert "很长的材料说明" * 20 in flat


def test_rare_and_traditional_characters_do_not_crash(tmp_path):
    data = application(
        applicant_name="張三豐",
        fields=[("曾用名", "龘靐齉 𠀀𪚥"), ("控制字符", "a\x00b\x07c\ud800d")],
    )
    text = extract(render_application_form(data), tmp_path)
    assert "張三豐" in text
    assert "龘靐齉" in text
    assert "〓〓" in text  # characters outside the BMP print as the geta mark
    assert "abc〓d" in text


def test_latin_letters_with_accents_are_extractable(tmp_path):
    # Adobe-GB1 has no CID for é; the /ToUnicode map still gives the text back
    pdf = render_application_form(application(applicant_name="José Müller"))
    assert b"/ToUnicode" in pdf
    assert "José Müller" in extract(pdf, tmp_path)


def test_barcode_cannot_carry_non_ascii_numbers_but_form_still_renders(tmp_path):
    text = extract(render_application_form(application(pre_application_number="预申请123")), tmp_path)
    assert "预申请123" in text


def test_barcode_is_drawn_for_ascii_numbers():
    from reportlab.graphics.shapes import Drawing

    from sz_backend.pdf import _barcode

    drawing = _barcode("YS2026000012347", 170 * 72 / 25.4)
    assert isinstance(drawing, Drawing)
    assert drawing.width <= 170 * 72 / 25.4
    too_long = _barcode("YS" + "9" * 200, 100)  # narrowed to fit, or left out
    assert too_long is None or too_long.width <= 100
    assert _barcode("", 100) is None
    assert _barcode("编号", 100) is None


# ----------------------------------------------------------------------------- units


@pytest.mark.parametrize(
    "fen, text",
    [
        (0, "0.00"),
        (5, "0.05"),
        (100, "1.00"),
        (123450, "1234.50"),
        (-150, "-1.50"),
        (-5, "-0.05"),
        (10**20 + 1, "1000000000000000000.01"),
    ],
)
def test_format_fen(fen, text):
    assert format_fen(fen) == text


@pytest.mark.parametrize("bad", [12.5, True, "100", None])
def test_money_must_be_int_fen(bad):
    with pytest.raises(TypeError):
        format_fen(bad)
    with pytest.raises(TypeError):
        ContributionRow("2026-01", "pension", bad, 0, 0)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        certificate(issued_at=datetime(2026, 11, 27, 10, 0))
    with pytest.raises(ValueError):
        application(submitted_at=datetime(2026, 11, 27, 10, 0))


def test_fields_must_be_pairs():
    with pytest.raises(ValueError):
        application(fields=[("只有标签",)])


def test_data_is_frozen_and_lists_become_tuples():
    data = certificate()
    assert isinstance(data.enrolments, tuple) and isinstance(data.contributions, tuple)
    with pytest.raises(FrozenInstanceError):
        data.person_name = "李四"  # type: ignore[misc]
    form = application()
    assert isinstance(form.fields, tuple) and isinstance(form.materials, tuple)


def test_same_input_same_bytes():
    assert render_insurance_certificate(certificate()) == render_insurance_certificate(certificate())
    assert render_application_form(application()) == render_application_form(application())


def test_insurance_label_zh():
    assert insurance_label_zh("medical", medical_tier=1) == "医疗保险（一档）"
    assert insurance_label_zh("medical", medical_tier=2) == "医疗保险（二档）"
    assert insurance_label_zh("medical", scheme="resident") == "医疗保险（居民）"
    assert insurance_label_zh("medical", scheme="child") == "医疗保险（居民）"
    assert insurance_label_zh("medical") == "医疗保险"
    assert insurance_label_zh("work_injury") == "工伤保险"
    assert insurance_label_zh("自定义") == "自定义"
