import pytest

from sz_backend.rules.banks import BankDirectory, canonical_bank, cooperating_banks, is_cooperating

OFFICIAL = [
    "中国银行",
    "招商银行",
    "平安银行",
    "交通银行",
    "中信银行",
    "中国工商银行",
    "中国建设银行",
    "中国农业银行",
    "中国民生银行",
    "中国光大银行",
    "中国邮政储蓄银行",
    "深圳农村商业银行",
]


def test_the_twelve_banks():
    banks = cooperating_banks()
    assert sorted(b["name_zh"] for b in banks) == sorted(OFFICIAL)
    assert all(set(b) == {"name_zh", "name_en"} and b["name_en"] for b in banks)
    banks[0]["name_zh"] = "changed"  # a copy: callers cannot alter the directory
    assert cooperating_banks()[0]["name_zh"] != "changed"


@pytest.mark.parametrize("name", OFFICIAL)
def test_official_names_are_canonical(name):
    assert canonical_bank(name) == name


@pytest.mark.parametrize(
    "alias, official",
    [
        ("工行", "中国工商银行"),
        ("工商银行", "中国工商银行"),
        ("ICBC", "中国工商银行"),
        ("icbc", "中国工商银行"),
        ("ＩＣＢＣ", "中国工商银行"),
        ("建行", "中国建设银行"),
        ("CCB", "中国建设银行"),
        ("China Construction Bank", "中国建设银行"),
        ("农行", "中国农业银行"),
        ("ABC", "中国农业银行"),
        ("Agricultural Bank of China", "中国农业银行"),
        ("中行", "中国银行"),
        ("Bank of China", "中国银行"),
        ("BOC", "中国银行"),
        ("招行", "招商银行"),
        ("China Merchants Bank", "招商银行"),
        ("CMB", "招商银行"),
        ("交行", "交通银行"),
        ("Bank of Communications", "交通银行"),
        ("民生", "中国民生银行"),
        ("CMBC", "中国民生银行"),
        ("光大", "中国光大银行"),
        ("China Everbright Bank", "中国光大银行"),
        ("邮储", "中国邮政储蓄银行"),
        ("邮政", "中国邮政储蓄银行"),
        ("PSBC", "中国邮政储蓄银行"),
        ("Postal Savings Bank of China", "中国邮政储蓄银行"),
        ("深圳农商行", "深圳农村商业银行"),
        ("农商银行", "深圳农村商业银行"),
        ("平安", "平安银行"),
        ("Ping An Bank", "平安银行"),
        ("中信", "中信银行"),
        ("CITIC", "中信银行"),
        ("China CITIC Bank", "中信银行"),
        # spacing, punctuation, company form and branch names
        (" 招商 银行 ", "招商银行"),
        ("中国银行（深圳分行）", "中国银行"),
        ("招商银行股份有限公司深圳分行", "招商银行"),
        ("中国工商银行深圳福田支行", "中国工商银行"),
        ("Bank of China, Shenzhen Branch", "中国银行"),
        ("bank of china ltd", "中国银行"),
    ],
)
def test_aliases(alias, official):
    assert canonical_bank(alias) == official
    assert is_cooperating(alias)


@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        "汇丰银行",
        "HSBC",
        "兴业银行",
        "浦发银行",
        "广州农商银行",
        "中信证券",
        "平安保险",
        "中国银行业协会",
        "银行",
        "Bank",
        "Bank of Chinatown",
    ],
)
def test_not_cooperating(name):
    assert canonical_bank(name) is None
    assert not is_cooperating(name)


def test_directory_rejects_an_alias_shared_by_two_banks():
    with pytest.raises(ValueError):
        BankDirectory(
            [
                {"name_zh": "甲银行", "name_en": "A", "aliases": ["X"]},
                {"name_zh": "乙银行", "name_en": "B", "aliases": ["x"]},
            ]
        )
