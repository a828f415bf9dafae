"""extract_values with the backend's field schema (GET /catalogue `schema.allowed`):
values come out in the schema's canonical form, its aliases are understood, and
'cheapest'/'highest' follow the amounts it states. The schema here is written
like the backend's (labels, aliases, amounts), small but of the same shape."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest

pytest.importorskip("rasa_sdk")

from bot.actions.fields import extract_values  # noqa: E402


def field(name: str, ftype: str, allowed: List[Dict[str, Any]] | None, **extra: Any) -> Dict[str, Any]:
    return {
        "name": name,
        "type": ftype,
        "required": True,
        "label_zh": name,
        "label_en": name,
        "choices": [a["value"] for a in allowed or []] if ftype == "choice" else [],
        "schema": {"type": ftype, "required": True, "allowed": allowed, **extra},
    }


TIERS = [
    {
        "value": 1,
        "label_zh": "一档",
        "label_en": "tier 1",
        "aliases": ["1", "一", "第一档", "tier1"],
        "monthly_fen": 52800,
    },
    {
        "value": 2,
        "label_zh": "二档",
        "label_en": "tier 2",
        "aliases": ["2", "二", "第二档", "tier2"],
        "monthly_fen": 9900,
    },
]
GRADES = [
    {
        "value": n,
        "label_zh": f"第{n}档（每年{y}元）",
        "label_en": f"grade {n} ({y} yuan a year)",
        "aliases": [str(n), f"第{n}档", f"{y}元", f"每年{y}元"],
        "yearly_fen": y * 100,
    }
    for n, y in enumerate([1200, 1800, 2400, 3000, 3600, 4800, 6000, 7200, 9600, 12000], start=1)
]
RELATION = [
    {"value": "father", "label_zh": "父亲", "label_en": "father", "aliases": ["爸爸", "爸", "dad"]},
    {"value": "mother", "label_zh": "母亲", "label_en": "mother", "aliases": ["妈妈", "妈", "mum", "mom"]},
    {
        "value": "guardian",
        "label_zh": "其他监护人",
        "label_en": "other guardian",
        "aliases": ["监护人", "爷爷", "奶奶"],
    },
]
HUKOU = [
    {
        "value": "shenzhen",
        "label_zh": "深户",
        "label_en": "Shenzhen hukou",
        "aliases": ["深圳户籍", "深圳户口", "Shenzhen"],
    },
    {
        "value": "guangdong_non_shenzhen",
        "label_zh": "广东省内非深户",
        "label_en": "Guangdong hukou outside Shenzhen",
        "aliases": ["省内非深户", "广东省内"],
    },
    {
        "value": "outside_guangdong",
        "label_zh": "广东省外户籍",
        "label_en": "hukou outside Guangdong",
        "aliases": ["省外户籍", "广东省外", "外省户口", "省外"],
    },
]
BANKS = [
    {
        "value": "招商银行",
        "label_zh": "招商银行",
        "label_en": "China Merchants Bank",
        "aliases": ["招行", "招商", "CMB"],
    },
    {
        "value": "中国工商银行",
        "label_zh": "中国工商银行",
        "label_en": "Industrial and Commercial Bank of China",
        "aliases": ["工商银行", "工行", "ICBC"],
    },
    {"value": "平安银行", "label_zh": "平安银行", "label_en": "Ping An Bank", "aliases": ["平安", "PAB"]},
]
PROVINCES = [
    {"value": "湖南省", "label_zh": "湖南省", "label_en": "Hunan", "aliases": ["湖南", "Hunan"]},
    {"value": "浙江省", "label_zh": "浙江省", "label_en": "Zhejiang", "aliases": ["浙江", "Zhejiang"]},
]
CITIES = [
    {
        "value": "长沙",
        "label_zh": "长沙市",
        "label_en": "Changsha",
        "aliases": ["长沙市", "Changsha"],
        "province": "湖南省",
    },
    {
        "value": "杭州",
        "label_zh": "杭州市",
        "label_en": "Hangzhou",
        "aliases": ["杭州市", "Hangzhou"],
        "province": "浙江省",
    },
]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("最便宜的那档", "2"),
        ("顶格", "1"),
        ("第一档", "1"),
        ("二檔", "2"),
        ("cheapest please", "2"),
        ("由一档调到二档", "2"),
    ],
)
def test_tier_with_amounts(text: str, expected: str) -> None:
    assert extract_values([field("medical_tier", "tier", TIERS)], text, [], "medical_tier", {}) == {
        "medical_tier": expected
    }


@pytest.mark.parametrize(
    "text,expected",
    [
        ("顶格的档次", "10"),
        ("最低的", "1"),
        ("每年1800元那档", "2"),
        ("交3600元的", "5"),
        ("第七档", "7"),
        ("最高檔", "10"),
        ("一年交一万二的那个", "10"),
        ("每年交4800", "6"),
    ],
)
def test_grade_with_amounts(text: str, expected: str) -> None:
    assert extract_values([field("pension_grade", "grade", GRADES)], text, [], "pension_grade", {}) == {
        "pension_grade": expected
    }


@pytest.mark.parametrize(
    "text,asked,expected",
    [
        ("妈", "relation", "mother"),
        ("我是他爸", None, "father"),
        ("奶奶", "relation", "guardian"),
        ("监护人是我，我是孩子妈妈", None, "mother"),
    ],
)
def test_relation_aliases(text: str, asked: str | None, expected: str) -> None:
    assert extract_values([field("relation", "choice", RELATION)], text, [], asked, {}) == {"relation": expected}


@pytest.mark.parametrize(
    "text,expected",
    [
        ("外省户口", "outside_guangdong"),
        ("户口已经迁到深圳了", "shenzhen"),
        ("省内非深户", "guangdong_non_shenzhen"),
        ("从省外户籍改成深户", "shenzhen"),
    ],
)
def test_hukou_aliases(text: str, expected: str) -> None:
    assert extract_values([field("hukou_category", "choice", HUKOU)], text, [], "hukou_category", {}) == {
        "hukou_category": expected
    }


@pytest.mark.parametrize(
    "text,expected",
    [("招行", "招商银行"), ("工行的", "中国工商银行"), ("平安银行深圳分行", "平安银行"), ("ICBC", "中国工商银行")],
)
def test_bank_aliases(text: str, expected: str) -> None:
    assert extract_values([field("bank_name", "bank", BANKS)], text, [], "bank_name", {}) == {"bank_name": expected}


def test_a_bank_outside_the_list_is_not_invented() -> None:
    assert extract_values([field("bank_name", "bank", BANKS)], "随便吧", [], "bank_name", {}) == {}


def test_places_in_the_schema_form() -> None:
    specs = [field("destination_province", "province", PROVINCES), field("destination_city", "city", CITIES)]
    assert extract_values(specs, "從深圳轉到杭州去", [], None, {}) == {
        "destination_province": "浙江省",
        "destination_city": "杭州",
    }
    assert extract_values(specs, "Changsha", [], "destination_city", {}) == {
        "destination_province": "湖南省",
        "destination_city": "长沙",
    }


def test_a_city_only_the_schema_knows() -> None:
    cities = CITIES + [
        {"value": "新城", "label_zh": "新城市", "label_en": "Xincheng", "aliases": ["新城市"], "province": "湖南省"}
    ]
    specs = [
        field("destination_province", "province", PROVINCES),
        field("destination_city", "city", cities, province_field="destination_province"),
    ]
    assert extract_values(specs, "新城", [], "destination_city", {}) == {
        "destination_city": "新城",
        "destination_province": "湖南省",
    }


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Yulin, Guangxi", {"destination_province": "广西壮族自治区", "destination_city": "玉林"}),
        ("Taizhou, Jiangsu", {"destination_province": "江苏省", "destination_city": "泰州"}),
        ("Shanxi", {"destination_province": "山西省"}),
        ("Yulin", {}),
    ],
)
def test_english_names_shared_by_two_cities(text: str, expected: Dict[str, str]) -> None:
    specs = [
        {"name": "destination_province", "type": "province", "label_zh": "转入省份"},
        {"name": "destination_city", "type": "city", "label_zh": "转入城市"},
    ]
    assert extract_values(specs, text, [], "destination_city", {}) == expected


def test_summary_and_hint_use_the_schema_labels() -> None:
    from bot.actions.fields import display_value, hint_for

    grade = field("pension_grade", "grade", GRADES)
    assert display_value(grade, "3", "zh") == "第3档（每年2400元）"
    assert display_value(grade, 3, "en") == "grade 3 (2400 yuan a year)"
    relation = field("relation", "choice", RELATION)
    assert display_value(relation, "guardian", "zh") == "其他监护人"
    assert "父亲、母亲、其他监护人" in hint_for(relation)[0]
    assert display_value({"name": "guardian_phone", "type": "phone"}, "13912345678", "zh") == "139****5678"
