"""extract_values on phrases written the way residents write and say them
(Simplified, Traditional, English, colloquial, transcripts). Pure unit tests:
no stack, the clock pinned to 2026-12-06 (Asia/Shanghai)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Optional

import pytest
import yaml

pytest.importorskip("rasa_sdk")

from bot.actions.fields import extract_values  # noqa: E402

CATALOG = yaml.safe_load((Path(__file__).resolve().parents[2] / "backend/data/catalog.yml").read_text("utf-8"))["items"]


@pytest.fixture(autouse=True)
def _clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SZ_NOW", "2026-12-06T10:00:00")
    monkeypatch.delenv("SZ_BACKEND_NOW", raising=False)


def run(
    code: str,
    text: str,
    asked: Optional[str] = None,
    known: Optional[Dict[str, Any]] = None,
    entities: Optional[list] = None,
) -> Dict[str, str]:
    return extract_values(CATALOG[code]["fields"], text, entities or [], asked, known or {})


# ---- places ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "code,text,asked,expected",
    [
        ("transfer_medical_in", "我要把医保从长沙转进来", None, {"from_province": "湖南省", "from_city": "长沙"}),
        ("transfer_pension_in", "之前在长沙交的", "from_city", {"from_province": "湖南省", "from_city": "长沙"}),
        ("transfer_pension_in", "之前在長沙繳的", "from_province", {"from_province": "湖南省", "from_city": "长沙"}),
        ("transfer_pension_in", "from Chengdu", "from_city", {"from_province": "四川省", "from_city": "成都"}),
        (
            "transfer_pension_in",
            "I worked in Wuhan before and want to move my pension here",
            None,
            {"from_province": "湖北省", "from_city": "武汉"},
        ),
        (
            "transfer_pension_out",
            "从深圳转到杭州去",
            None,
            {"destination_province": "浙江省", "destination_city": "杭州"},
        ),
        (
            "transfer_pension_out",
            "我要把养老保险从深圳转回老家湖南衡阳",
            None,
            {"destination_province": "湖南省", "destination_city": "衡阳"},
        ),
        (
            "transfer_medical_out",
            "醫保要轉到廣西南寧",
            None,
            {"destination_province": "广西壮族自治区", "destination_city": "南宁"},
        ),
        (
            "transfer_medical_out",
            "moving to Hangzhou, Zhejiang",
            None,
            {"destination_province": "浙江省", "destination_city": "杭州"},
        ),
        (
            "transfer_pension_out",
            "北京",
            "destination_province",
            {"destination_province": "北京市", "destination_city": "北京"},
        ),
        ("transfer_pension_out", "去湖南", None, {"destination_province": "湖南省"}),
        (
            "transfer_pension_out",
            "赣州那边",
            "destination_city",
            {"destination_province": "江西省", "destination_city": "赣州"},
        ),
    ],
)
def test_places(code: str, text: str, asked: Optional[str], expected: Dict[str, str]) -> None:
    assert run(code, text, asked) == expected


def test_origin_is_never_the_destination() -> None:
    got = run("transfer_pension_out", "社保在深圳交了八年，现在要转去成都")
    assert got == {"destination_province": "四川省", "destination_city": "成都"}
    assert "深圳" not in got.values()
    assert run("transfer_pension_out", "从深圳转出去") == {}


def test_outside_a_province_is_not_that_province() -> None:
    assert run("transfer_pension_out", "广东省外", "destination_province") == {}


# ---- months, dates, years, counts -------------------------------------------------------------
@pytest.mark.parametrize(
    "text,expected",
    [
        ("上个月扣款没扣成功", "2026-11"),
        ("上月的", "2026-11"),
        ("8月份", "2026-08"),
        ("八月份那次", "2026-08"),
        ("去年3月", "2025-03"),
        ("去年十二月份", "2025-12"),
        ("十一月初扣的时候失败了", "2026-11"),
        ("三月上旬", "2026-03"),
        ("2026年10月", "2026-10"),
        ("2026-09", "2026-09"),
        ("本月", "2026-12"),
        ("last month", "2026-11"),
        ("March 2026", "2026-03"),
        ("上個月", "2026-11"),
        ("前年十月", "2024-10"),
    ],
)
def test_month(text: str, expected: str) -> None:
    assert run("retry_individual_collection", text, "month") == {"month": expected}


def test_month_in_the_first_message() -> None:
    assert run("retry_individual_collection", "上个月社保扣款失败了，帮我重新扣一下") == {"month": "2026-11"}


@pytest.mark.parametrize(
    "text,expected",
    [
        ("3到8月在东莞和深圳都交了", ("2026-03", "2026-08")),
        ("去年3月到今年2月", ("2025-03", "2026-02")),
        ("從去年三月到八月", ("2025-03", "2025-08")),
        ("去年下半年两边都交了", ("2025-07", "2025-12")),
        ("2024年5月至2024年9月", ("2024-05", "2024-09")),
    ],
)
def test_month_ranges(text: str, expected: tuple) -> None:
    got = run("refund_duplicate_pension", text)
    assert (got.get("from_month"), got.get("to_month")) == expected


@pytest.mark.parametrize(
    "text,asked,expected",
    [
        ("93年到98年在国企上班", None, {"work_start_year": "1993", "work_end_year": "1998"}),
        ("九三年到九八年", None, {"work_start_year": "1993", "work_end_year": "1998"}),
        ("1993", "work_start_year", {"work_start_year": "1993"}),
        ("一九九三年参加工作", "work_start_year", {"work_start_year": "1993"}),
        ("九几年吧，记不清了", "work_start_year", {}),
        ("98年", "work_end_year", {"work_end_year": "1998"}),
    ],
)
def test_work_years(text: str, asked: Optional[str], expected: Dict[str, str]) -> None:
    assert run("work_years_back_payment", text, asked) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("还差三年", "3"),
        ("十来年", "10"),
        ("补缴5年", "5"),
        ("两年", "2"),
        ("3", "3"),
        ("three years", "3"),
        ("差三年才够十五年", "3"),
    ],
)
def test_year_counts(text: str, expected: str) -> None:
    assert run("resident_back_payment", text, "years") == {"years": expected}


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2024年3月5号落户的", "2024-03-05"),
        ("二零二四年三月五日", "2024-03-05"),
        ("2024-3-5", "2024-03-05"),
        ("去年3月5号", "2025-03-05"),
        ("March 5, 2024", "2024-03-05"),
    ],
)
def test_dates(text: str, expected: str) -> None:
    assert run("enroll_child_first_time", text, "settle_in_date") == {"settle_in_date": expected}


def test_a_month_is_not_a_day() -> None:
    assert run("enroll_child_first_time", "去年3月份", "settle_in_date") == {}


# ---- tiers and grades -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text,expected",
    [
        ("二档", "2"),
        ("第一档", "1"),
        ("1档", "1"),
        ("tier 2", "2"),
        ("最便宜的那档", "2"),
        ("顶格的档次", "1"),
        ("最便宜的那個檔", "2"),
        ("the cheapest one", "2"),
        ("由一档调到二档", "2"),
        ("从二档换成一档", "1"),
        ("不要一档，要二档", "2"),
        ("2", "2"),
    ],
)
def test_medical_tier(text: str, expected: str) -> None:
    assert run("register_individual_insurance", text, "medical_tier") == {"medical_tier": expected}


def test_tier_change_in_the_first_message() -> None:
    assert run("change_enrollment_info", "我想把医保由一档调到二档") == {"medical_tier": "2"}
    assert run("change_enrollment_info", "一档还是二档好？", "medical_tier") == {}


def test_grade_words_use_the_schema() -> None:
    fields = [
        dict(
            CATALOG["change_resident_pension_grade"]["fields"][0],
            schema={
                "type": "grade",
                "required": True,
                "allowed": [
                    {"value": str(i), "label_zh": f"第{i}档", "label_en": f"grade {i}", "aliases": []}
                    for i in range(1, 11)
                ],
            },
        )
    ]
    assert extract_values(fields, "顶格的档次", [], "pension_grade", {}) == {"pension_grade": "10"}
    assert extract_values(fields, "最低那档就行", [], "pension_grade", {}) == {"pension_grade": "1"}
    assert extract_values(fields, "第三档", [], "pension_grade", {}) == {"pension_grade": "3"}
    # a measure word between the number and 档, Traditional, and short answers to 'which grade'
    for text in ("第五个档", "交第五個檔次", "五號檔", "选5", "第5個", "the 5th one", "5th", "五档吧"):
        assert extract_values(fields, text, [], "pension_grade", {}) == {"pension_grade": "5"}, text
    assert extract_values(fields, "5个月", [], "pension_grade", {}) == {}
    assert extract_values(fields, "我想调到第五档", [], None, {}) == {"pension_grade": "5"}


# ---- banks, choices ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text,expected",
    [
        ("招行", "招商银行"),
        ("工行的卡", "中国工商银行"),
        ("建設銀行", "中国建设银行"),
        ("ICBC", "中国工商银行"),
        ("邮政的", "中国邮政储蓄银行"),
        ("农行", "中国农业银行"),
        ("中国银行", "中国银行"),
    ],
)
def test_banks(text: str, expected: str) -> None:
    assert run("maintain_payment_bank", text, "bank_name") == {"bank_name": expected}


def test_bank_from_the_schema_aliases() -> None:
    spec = dict(
        CATALOG["maintain_payment_bank"]["fields"][0],
        schema={
            "type": "bank",
            "allowed": [
                {
                    "value": "招商银行",
                    "label_zh": "招商银行",
                    "label_en": "China Merchants Bank",
                    "aliases": ["招行", "CMB"],
                }
            ],
        },
    )
    assert extract_values([spec], "用的招行卡", [], "bank_name", {}) == {"bank_name": "招商银行"}
    assert extract_values([spec], "随便", [], "bank_name", {}) == {}


def test_bank_and_account_in_one_message() -> None:
    got = run("maintain_payment_bank", "换成建行的卡，卡号6217 0012 3456 7890 123")
    assert got == {"bank_name": "中国建设银行", "account_no": "6217001234567890123"}


@pytest.mark.parametrize(
    "text,asked,expected",
    [
        ("我是孩子他妈", None, {"relation": "mother"}),
        ("爸爸", "relation", {"relation": "father"}),
        ("I'm his dad", "relation", {"relation": "father"}),
        ("奶奶", "relation", {"relation": "guardian"}),
    ],
)
def test_relation(text: str, asked: Optional[str], expected: Dict[str, str]) -> None:
    assert run("maintain_guardian_info", text, asked) == expected


@pytest.mark.parametrize(
    "text,asked,expected",
    [
        ("孩子在南山实验学校读书", None, {"in_school": "yes", "school_name": "南山实验学校"}),
        ("没上学", "in_school", {"in_school": "no"}),
        ("还没上幼儿园", "in_school", {"in_school": "no"}),
        ("在读", "in_school", {"in_school": "yes"}),
        ("是的", "in_school", {"in_school": "yes"}),
        ("no", "in_school", {"in_school": "no"}),
        # not knowing is no "no" (session 10 probe: read as "not in school"); nothing taken, asked again
        ("学校名字我不太清楚", "in_school", {}),
        ("I don't know the school name", "in_school", {}),
        ("不记得了", "in_school", {}),
    ],
)
def test_in_school(text: str, asked: Optional[str], expected: Dict[str, str]) -> None:
    assert run("maintain_child_student_info", text, asked) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("户口迁到深圳了，要改成深户", "shenzhen"),
        ("省外户籍", "outside_guangdong"),
        ("广东省内非深户", "guangdong_non_shenzhen"),
        ("戶口在深圳", "shenzhen"),
    ],
)
def test_hukou_category(text: str, expected: str) -> None:
    assert run("change_basic_info", text, "hukou_category").get("hukou_category") == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("被征地农民", "被征地农民"),
        ("我是原来的临时工", "原临时工"),
        ("以前是农村户口", "原农村户籍人员"),
    ],
)
def test_four_categories(text: str, expected: str) -> None:
    assert run("four_categories_back_payment", text, "category") == {"category": expected}


# ---- free text: replies are not values -----------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "确认",
        "随便",
        "好的",
        "不知道",
        "户名是什么意思？",
        "我要改银行卡",
        "13800138000",
        "ok",
        "你们这个怎么填啊",
        "440304198805121310",
    ],
)
def test_a_reply_is_not_a_name(text: str) -> None:
    assert run("maintain_payment_bank", text, "holder_name") == {} or "holder_name" not in run(
        "maintain_payment_bank", text, "holder_name"
    )


@pytest.mark.parametrize(
    "text,expected",
    [
        ("张三", "张三"),
        ("户名是欧阳娜娜", "欧阳娜娜"),
        ("我叫李小明", "李小明"),
        ("Wang Fang", "Wang Fang"),
        ("my name is li lei", "Li Lei"),
        ("買買提·艾力", "买买提·艾力"),
        # who the person is, then the name (the name only: '老婆王芳' was stored)
        ("我老婆王芳", "王芳"),
        ("户名是我妈李秀英", "李秀英"),
        ("我爱人叫陈丽", "陈丽"),
    ],
)
def test_names(text: str, expected: str) -> None:
    assert run("maintain_payment_bank", text, "holder_name") == {"holder_name": expected}


@pytest.mark.parametrize("text", ["我老公的名字", "户名用我老婆名下的"])
def test_who_the_person_is_without_a_name_is_no_name(text: str) -> None:
    """'我老公的名字' gave the holder name '名字' (the words after who the person is)."""
    assert run("maintain_payment_bank", text, "holder_name").get("holder_name") in (None, "")


@pytest.mark.parametrize("text", ["随便", "确认", "银行是哪个？", "我要办银行卡变更"])
def test_a_reply_is_not_a_bank(text: str) -> None:
    assert "bank_name" not in run("maintain_payment_bank", text, "bank_name")


def test_address_and_phone() -> None:
    assert run("change_basic_info", "深圳市南山区科技园南路18号", "address") == {
        "address": "深圳市南山区科技园南路18号"
    }
    assert run("change_basic_info", "随便", "address") == {}
    assert run("change_basic_info", "新手机号是138 0013 8000", None)["phone"] == "13800138000"
    assert run("change_basic_info", "幺三八零零幺三八零零零", "phone") == {"phone": "13800138000"}


def test_guardian_in_one_message() -> None:
    got = run("maintain_guardian_info", "监护人是我，王芳，身份证440304198805121310，我是她妈妈")
    assert got.get("guardian_id_number") == "440304198805121310"
    assert got.get("relation") == "mother"


# ---- corrections -------------------------------------------------------------------------------
def test_correction_of_a_place() -> None:
    known = {"destination_province": "湖南省", "destination_city": "长沙"}
    assert run("transfer_pension_out", "不对，是株洲", "destination_city", known) == {
        "destination_province": "湖南省",
        "destination_city": "株洲",
    }
    assert run("transfer_pension_out", "刚才说错了，应该是转到江西南昌", None, known) == {
        "destination_province": "江西省",
        "destination_city": "南昌",
    }


def test_correction_goes_to_the_field_it_fits() -> None:
    known = {"bank_name": "招商银行", "account_no": "6214830000000000"}
    # asked for the holder's name, the person corrects the bank
    assert run("maintain_payment_bank", "刚才那个说错了，应该是建行", "holder_name", known) == {
        "bank_name": "中国建设银行"
    }
    known = {"from_month": "2026-03", "to_month": "2026-08"}
    assert run("refund_duplicate_pension", "不是8月，是9月", "other_place", known) == {"to_month": "2026-09"}


def test_correction_of_a_tier() -> None:
    assert run("change_enrollment_info", "不对，我要的是二档", None, {"medical_tier": "1"}) == {"medical_tier": "2"}


def test_button_payload_uses_its_entity() -> None:
    got = run(
        "maintain_guardian_info",
        '/inform{"choice": "mother"}',
        "relation",
        entities=[{"entity": "choice", "value": "mother"}],
    )
    assert got == {"relation": "mother"}


# ---- things that are not values ----------------------------------------------------------------
@pytest.mark.parametrize(
    "code,text,asked",
    [
        ("register_individual_insurance", "一档多少钱？", "medical_tier"),
        ("register_individual_insurance", "不对吧，一档不是更贵吗？", "medical_tier"),
        ("resident_back_payment", "一年半", "years"),
        ("retry_individual_collection", "2026年", "month"),
        ("maintain_guardian_info", "他是我儿子", "relation"),
        ("maintain_payment_bank", "李", "holder_name"),
    ],
)
def test_not_a_value(code: str, text: str, asked: str) -> None:
    assert run(code, text, asked) == {}


def test_school_words_are_not_a_school_name() -> None:
    assert run("maintain_child_student_info", "在上幼儿园", "in_school") == {"in_school": "yes"}


def test_range_up_to_now() -> None:
    assert run("refund_duplicate_pension", "3月到现在") == {"from_month": "2026-03", "to_month": "2026-12"}


def test_everything_in_one_message() -> None:
    got = run("maintain_guardian_info", "我叫刘洋，是孩子的妈妈，身份证11010519491231002X")
    assert got == {"guardian_name": "刘洋", "relation": "mother", "guardian_id_number": "11010519491231002X"}
    got = run("maintain_payment_bank", "我用的中国银行，卡号6216 6100 0000 1234 567，户名张大伟")
    assert got == {"bank_name": "中国银行", "account_no": "6216610000001234567", "holder_name": "张大伟"}


ODD_INPUTS = [
    "",
    "   ",
    "👍",
    "？？？",
    "/inform",
    '/inform{"choice": 3}',
    "a" * 2000,
    "年" * 300,
    "月月月到到到",
    "0000000000000000000000000000000000000",
    "不对",
    "不是",
    "不对，是",
    "改成",
    "从到",
    "第档",
    "tier",
    "NaN",
    "None",
    "1e9",
    "-5年",
    "99月",
    "2026年13月",
    "2026-02-30",
    "十十十",
    "<script>alert(1)</script>",
]


@pytest.mark.parametrize("code", sorted(c for c, item in CATALOG.items() if item.get("fields")))
def test_never_raises(code: str) -> None:
    from bot.actions.values.extract import _extract  # the reading itself, without extract_values' safety net

    fields = CATALOG[code]["fields"]
    for text in ODD_INPUTS:
        for asked in [None, *(f["name"] for f in fields)]:
            got = _extract(fields, text, [{"entity": "choice", "value": None}, {"foo": 1}], asked, {"x": None})
            assert isinstance(got, dict) and all(isinstance(v, str) for v in got.values())
            assert set(got) <= {f["name"] for f in fields}


def test_the_current_tier_is_not_the_new_one() -> None:
    assert run("change_enrollment_info", "我现在是一档，想换一下") == {}
    assert run("change_enrollment_info", "现在是一档，要换成二档") == {"medical_tier": "2"}


def test_going_back_to_the_old_tier_names_the_new_value() -> None:
    # '原来的' before the tier read it as the current one: the tier was asked again after the request
    assert run("change_enrollment_info", "你好 我想把医保改回原来的一档") == {"medical_tier": "1"}
    assert run("change_enrollment_info", "switch me back to my old tier 1") == {"medical_tier": "1"}


def test_a_phone_field_takes_only_a_mobile_number() -> None:
    spec = {"name": "guardian_phone", "type": "phone", "required": True, "label_zh": "监护人手机", "label_en": "phone"}
    assert extract_values([spec], "随便", [], "guardian_phone", {}) == {}
    assert extract_values([spec], "+86 139-1234-5678", [], "guardian_phone", {}) == {"guardian_phone": "13912345678"}


@pytest.mark.parametrize(
    "code,text,asked,expected",
    [
        (
            "transfer_pension_out",
            "Transfer pension out to Hunan Province, Changsha City",
            None,
            {"destination_province": "湖南省", "destination_city": "长沙"},
        ),
        (
            "transfer_pension_out",
            "我要转到湖南去，具体是长沙",
            None,
            {"destination_province": "湖南省", "destination_city": "长沙"},
        ),
        ("transfer_pension_out", "转到吉林市", None, {"destination_province": "吉林省", "destination_city": "吉林"}),
        ("transfer_pension_out", "在中山大学附近", "destination_city", {}),
        ("retry_individual_collection", "the month before last", "month", {"month": "2026-10"}),
        (
            "refund_duplicate_pension",
            "from March to August 2025",
            None,
            {"from_month": "2025-03", "to_month": "2025-08"},
        ),
        ("resident_back_payment", "五六年吧", "years", {}),
        ("maintain_guardian_info", "王芳 妈妈", "guardian_name", {"guardian_name": "王芳"}),
        (
            "maintain_child_student_info",
            "南山外国语学校高新中学部",
            "school_name",
            {"school_name": "南山外国语学校高新中学部"},
        ),
    ],
)
def test_second_round(code: str, text: str, asked: Optional[str], expected: Dict[str, str]) -> None:
    assert run(code, text, asked) == expected


@pytest.mark.parametrize(
    "code,text,asked,expected",
    [
        ("maintain_child_student_info", "he's in kindergarten now", "in_school", {"in_school": "yes"}),
        (
            "maintain_child_student_info",
            "My daughter goes to Shenzhen Foreign Languages School",
            None,
            {"in_school": "yes", "school_name": "Shenzhen Foreign Languages School"},
        ),
        (
            "change_basic_info",
            "New address: Room 301, Building 2, Futian District",
            "address",
            {"address": "Room 301, Building 2, Futian District"},
        ),
        ("maintain_payment_bank", "China Construction Bank", "bank_name", {"bank_name": "中国建设银行"}),
        (
            "maintain_payment_bank",
            "the account holder is my husband Li Ming",
            "holder_name",
            {"holder_name": "Li Ming"},
        ),
        ("register_individual_insurance", "the lower tier please", "medical_tier", {"medical_tier": "2"}),
        ("change_enrollment_info", "switch me from tier 1 to tier 2", None, {"medical_tier": "2"}),
    ],
)
def test_english(code: str, text: str, asked: Optional[str], expected: Dict[str, str]) -> None:
    assert run(code, text, asked) == expected


def test_rough_counts_and_named_fields() -> None:
    assert run("resident_back_payment", "还差个一两年", "years") == {}
    assert run("register_individual_insurance", "哪個便宜選哪個", "medical_tier") == {"medical_tier": "2"}
    assert run("change_resident_pension_grade", "最低档", "pension_grade") == {"pension_grade": "1"}
    known = {"from_month": "2026-01", "to_month": "2026-03"}
    assert run("refund_duplicate_pension", "刚才说错了，结束月是5月", None, known) == {"to_month": "2026-05"}
    assert run("work_years_back_payment", "起始年份应该是1986年", None, {"work_start_year": "1988"}) == {
        "work_start_year": "1986"
    }


def test_a_childs_id_is_not_the_guardians() -> None:
    got = run("maintain_guardian_info", "孩子的身份证是440304198805121310，我的是11010519491231002X")
    assert got.get("guardian_id_number") == "11010519491231002X"
    assert "guardian_id_number" not in run("maintain_guardian_info", "小孩身份证号440304198805121310")
    assert "relation" not in run("maintain_guardian_info", "我是孩子的监护人，想改一下监护人信息")


@pytest.mark.parametrize(
    "text,expected",
    [
        ("一档太贵了", {}),
        ("一档太贵了，还是二档吧", {"medical_tier": "2"}),
        ("不要一档", {}),
        ("tier 1 is too expensive, tier 2 please", {"medical_tier": "2"}),
        ("二档", {"medical_tier": "2"}),
    ],
)
def test_a_tier_turned_down(text: str, expected: Dict[str, str]) -> None:
    assert run("register_individual_insurance", text, "medical_tier") == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("常沙", {"destination_province": "湖南省", "destination_city": "长沙"}),  # speech transcript: right sounds
        ("转到航州", {"destination_province": "浙江省", "destination_city": "杭州"}),
        ("是是是", {}),
        ("合作银行有哪些", {}),
        ("那个那个我的身份证是十五位的", {}),
        ("帮我算一下退休后每月拿多少", {}),
    ],
)
def test_a_place_heard_with_the_wrong_characters(text: str, expected: Dict[str, str]) -> None:
    assert run("transfer_pension_out", text, "destination_city") == expected


@pytest.mark.parametrize(
    "code,text,asked,expected",
    [
        (
            "change_basic_info",
            "系统说我户籍信息不对，我是东莞户口，不是深户，要怎么改",
            None,
            {"hukou_category": "guangdong_non_shenzhen"},
        ),
        ("change_basic_info", "我是湖南户籍", "hukou_category", {"hukou_category": "outside_guangdong"}),
        # a question that tells who one was: the category is given (it was asked again)
        (
            "four_categories_back_payment",
            "我以前是农村户口，后来迁到深圳，听说四类人员可以补缴，我能办吗",
            None,
            {"category": "原农村户籍人员"},
        ),
        (
            "four_categories_back_payment",
            "I was a rural hukou resident, can I do the four categories back payment?",
            None,
            {"category": "原农村户籍人员"},
        ),
        ("maintain_guardian_info", "想给小明加上他爸爸做监护人", None, {"relation": "father"}),
        (
            "maintain_payment_bank",
            "扣款银行换成花旗银行",
            None,
            {"bank_name": "花旗银行"},
        ),  # the backend says it does not cooperate
        ("maintain_payment_bank", "我想换个扣社保的银行卡", None, {}),
        (
            "refund_duplicate_pension",
            "2020年1月到2020年6月，另一个地方是广州",
            None,
            {"from_month": "2020-01", "to_month": "2020-06", "other_place": "广州"},
        ),
        ("refund_duplicate_pension", "湖南省长沙市", "other_place", {"other_place": "湖南省长沙市"}),
    ],
)
def test_third_round(code: str, text: str, asked: Optional[str], expected: Dict[str, str]) -> None:
    assert run(code, text, asked) == expected


def test_correction_that_names_both() -> None:
    known = {"destination_province": "湖南省", "destination_city": "长沙"}
    assert run("transfer_pension_out", "不对，是株洲，不是长沙", None, known) == {
        "destination_province": "湖南省",
        "destination_city": "株洲",
    }
    assert run("transfer_pension_out", "sorry, Zhuzhou, not Changsha", None, known) == {
        "destination_province": "湖南省",
        "destination_city": "株洲",
    }


@pytest.mark.parametrize(
    "code,text,asked,expected",
    [
        ("maintain_payment_bank", "建设", "bank_name", {"bank_name": "中国建设银行"}),
        ("maintain_payment_bank", "随便写写", "holder_name", {}),
        ("maintain_payment_bank", "阿卜杜热合曼", "holder_name", {"holder_name": "阿卜杜热合曼"}),
        ("change_basic_info", "华强北赛格广场", "address", {"address": "华强北赛格广场"}),
        ("change_basic_info", "随便填一个", "address", {}),
    ],
)
def test_fourth_round(code: str, text: str, asked: Optional[str], expected: Dict[str, str]) -> None:
    assert run(code, text, asked) == expected


@pytest.mark.parametrize(
    "code,text,expected",
    [
        ("retry_individual_collection", "我9月份换了银行卡，10月扣款失败了", {"month": "2026-10"}),
        ("enroll_child_first_time", "孩子2020年5月1日出生，2021年3月1日入户深圳", {"settle_in_date": "2021-03-01"}),
        ("resident_back_payment", "交了12年，还差3年", {"years": "3"}),
    ],
)
def test_the_value_next_to_the_fields_words(code: str, text: str, expected: Dict[str, str]) -> None:
    assert run(code, text) == expected


def test_an_nlu_entity_does_not_undo_the_reading_of_the_text() -> None:
    assert run("transfer_pension_out", "从深圳转出去", entities=[{"entity": "city", "value": "深圳"}]) == {}
    assert (
        run(
            "register_individual_insurance",
            "一档太贵了",
            "medical_tier",
            entities=[{"entity": "medical_tier", "value": "一档"}],
        )
        == {}
    )


def test_hints_for_free_text_say_what_an_answer_looks_like() -> None:
    from bot.actions.fields import hint_for

    specs = {
        f["name"]: f
        for code in ("maintain_payment_bank", "change_basic_info", "maintain_child_student_info")
        for f in CATALOG[code]["fields"]
    }
    assert "张三" in hint_for(specs["holder_name"])[0]
    assert "招商银行" in hint_for(specs["bank_name"])[0]
    assert "福华路" in hint_for(specs["address"])[0]
    assert "幼儿园" in hint_for(specs["school_name"])[0]


@pytest.mark.parametrize(
    "code,text,asked,expected",
    [
        ("enroll_child_first_time", "昨天刚落的户", "settle_in_date", {"settle_in_date": "2026-12-05"}),
        ("enroll_child_first_time", "上个月15号", "settle_in_date", {"settle_in_date": "2026-11-15"}),
        ("retry_individual_collection", "年初那次", "month", {"month": "2026-01"}),
        ("retry_individual_collection", "去年年底", "month", {"month": "2025-12"}),
        ("work_years_back_payment", "干到前年", "work_end_year", {"work_end_year": "2024"}),
        ("work_years_back_payment", "从1990年一直干到去年", None, {"work_start_year": "1990", "work_end_year": "2025"}),
    ],
)
def test_relative_days_and_years(code: str, text: str, asked: Optional[str], expected: Dict[str, str]) -> None:
    assert run(code, text, asked) == expected


def test_this_year_as_an_age_is_not_a_year() -> None:
    assert run("work_years_back_payment", "今年55岁了，90年开始上班", "work_start_year") == {"work_start_year": "1990"}


@pytest.mark.parametrize(
    "text,expected",
    [("招商银航", {"bank_name": "招商银行"}), ("公商银行", {"bank_name": "中国工商银行"}), ("我想问一下", {})],
)
def test_a_bank_heard_with_the_wrong_characters(text: str, expected: Dict[str, str]) -> None:
    assert run("maintain_payment_bank", text, "bank_name") == expected


@pytest.mark.parametrize(
    "code,text,asked,expected",
    [
        ("maintain_guardian_info", "扣费的卡能不能换成工资卡", None, {}),  # a correction word, no value given before
        ("maintain_guardian_info", "信息不对", None, {}),
        ("maintain_guardian_info", "孩子叫李小红", None, {}),  # the child's name, not the guardian's
        ("resident_back_payment", "到退休年龄社保没交够15年怎么办", None, {}),
        ("resident_back_payment", "2026年10月", None, {}),
        ("change_basic_info", "非深户要改成什么", None, {}),
        ("change_basic_info", "小孩户口迁出深圳了", None, {}),
        ("maintain_child_student_info", "非在园在校的新生儿", None, {"in_school": "no"}),
    ],
)
def test_sentences_that_give_no_value(code: str, text: str, asked: Optional[str], expected: Dict[str, str]) -> None:
    assert run(code, text, asked) == expected


@pytest.mark.parametrize(
    "code,text",
    [
        ("retry_individual_collection", "I need to replace the guardian registered for my daughter"),  # d-aug-hter
        ("retry_individual_collection", "我在广州交过几年养老，现在转进深圳"),
        ("refund_duplicate_pension", "参保信息里缴费基数填错了，要改"),
    ],
)
def test_no_month_or_place_where_none_is_said(code: str, text: str) -> None:
    assert run(code, text) == {}


def test_shenzhen_said_in_passing_is_not_the_other_end() -> None:
    assert run("transfer_pension_out", "我在深圳交了十年社保，要转走") == {}
    assert run("transfer_medical_in", "医保要转进深圳") == {}
    assert run("transfer_medical_out", "深圳", "destination_city") == {
        "destination_province": "广东省",
        "destination_city": "深圳",
    }


# ---- a change said relative to the present level (session 8) -----------------------------------------
def _levels(code: str, current: Optional[str]) -> list:
    if code == "change_resident_pension_grade":
        allowed = [
            {"value": str(i), "label_zh": f"第{i}档", "label_en": f"grade {i}", "aliases": []} for i in range(1, 11)
        ]
        kind = "grade"
    else:
        allowed = [
            {"value": "1", "label_zh": "一档", "label_en": "tier 1", "aliases": []},
            {"value": "2", "label_zh": "二档", "label_en": "tier 2", "aliases": []},
        ]
        kind = "tier"
    schema = {"type": kind, "required": True, "allowed": allowed, **({"current": current} if current else {})}
    return [dict(CATALOG[code]["fields"][0], schema=schema)]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("居民养老保险的档次想往上调两档", "5"),
        ("每年交的档次提高两档", "5"),
        ("往上調兩檔", "5"),
        ("比现在高两档", "5"),
        ("升一档", "4"),
        ("降一档", "2"),
        ("I want to go up two grades", "5"),
        ("move my grade up by two grades", "5"),
        ("one grade lower", "2"),
        ("往上调两档，调到第五档", "5"),  # the target said wins
        ("升到一档", "1"),  # 升到: absolute
        ("我现在交三档，想交五档", "5"),  # the current one said first, then the new one
        ("最高一档", "10"),
        ("档次调到五", "5"),
    ],
)
def test_grade_relative_to_current(text: str, expected: str) -> None:
    assert extract_values(_levels("change_resident_pension_grade", "3"), text, [], None, {}) == {
        "pension_grade": expected
    }, text


def test_relative_change_without_current_is_asked_not_guessed() -> None:
    """'升一档' is not 第一档; '多交一点' / 'higher' is not the top of ten grades."""
    fields = _levels("change_resident_pension_grade", None)
    for text in ("升一档", "往上调两档", "我想多交一点，档次往上调", "higher grade please"):
        assert extract_values(fields, text, [], None, {}) == {}, text
    assert extract_values(fields, "顶格的档次", [], None, {}) == {"pension_grade": "10"}


def test_tier_relative_to_current() -> None:
    """Medical tier 1 costs more than tier 2: 'one tier up' from 二档 is 一档; from 一档 there is none above."""
    assert extract_values(_levels("change_enrollment_info", "2"), "医保的档次我想往上升一档", [], None, {}) == {
        "medical_tier": "1"
    }
    assert extract_values(_levels("change_enrollment_info", "2"), "one tier higher please", [], None, {}) == {
        "medical_tier": "1"
    }
    assert extract_values(_levels("change_enrollment_info", "1"), "升一档", [], None, {}) == {}


def test_a_polite_request_shaped_as_a_question_gives_its_values() -> None:
    """'Could you change … to ICBC?' asks to do it: the bank is read (a plain question is not)."""
    assert run("maintain_payment_bank", "Could you change the bank that pays my social insurance to ICBC?") == {
        "bank_name": "中国工商银行"
    }
    assert run("maintain_payment_bank", "能帮忙把扣款银行换成工行吗") == {"bank_name": "中国工商银行"}
    assert run("change_enrollment_info", "一档多少钱？") == {}
