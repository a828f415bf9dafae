import ast
import importlib.util
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sz_backend.rules.masking as masking
from sz_backend.rules.masking import mask_bank_account, mask_id_number, mask_name, mask_phone, mask_text


def test_id_number():
    assert mask_id_number("44030419900101123X") == "4403**********123X"
    assert mask_id_number("44030419900101123x") == "4403**********123X"
    assert mask_id_number("４４０３０４１９９００１０１１２３Ｘ") == "4403**********123X"
    assert mask_id_number("440304900101123") == "4403*******1123"  # 15 digits


def test_phone():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("138-1234-5678") == "138****5678"
    assert mask_phone("075512345678") == "075*****5678"
    assert mask_phone("1234567") == "*****67"


def test_bank_account():
    assert mask_bank_account("6222021234567891234") == "*" * 15 + "1234"
    assert mask_bank_account("6222 0212 3456 1234") == "************1234"


def test_name():
    assert mask_name("张三丰") == "张*丰"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳克锋") == "欧**锋"
    assert mask_name("张") == "*"


@pytest.mark.parametrize("fn", [mask_id_number, mask_phone, mask_bank_account])
@pytest.mark.parametrize("value", [None, "", "1", "1234"])
def test_short_or_empty_input_is_masked_completely(fn, value):
    assert fn(value) == "*" * len(value or "")


def test_short_id_number_shows_nothing():
    assert mask_id_number("12345678") == "********"


@pytest.mark.parametrize("value, masked", [(None, ""), ("", ""), ("  ", ""), ("A", "*"), ("AB", "A*"), ("ABC", "A*C")])
def test_short_names(value, masked):
    assert mask_name(value) == masked


@given(st.text(alphabet="0123456789", min_size=0, max_size=40))
def test_masks_keep_length_and_hide_the_middle(digits):
    for fn in (mask_id_number, mask_phone, mask_bank_account):
        out = fn(digits)
        assert len(out) == len(digits)
        # at most 8 characters are ever shown, and never more than half of a short value
        shown = sum(c != "*" for c in out)
        assert shown <= 8 and (shown == 0 or shown < len(digits))


def test_mask_text_masks_numbers_in_free_text():
    text = "我的身份证44030419900101123X，手机13812345678，卡号6222021234567891234"
    assert mask_text(text) == ("我的身份证4403**********123X，手机138****5678，卡号***************1234")
    assert mask_text(None) == ""


def test_the_module_is_pure_and_loads_by_path():
    """The bot's masking test loads this file by path (no backend environment), so the module
    imports the standard library only and nothing from the package."""
    path = Path(masking.__file__)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports"
            imported.add((node.module or "").split(".")[0])
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported
    spec = importlib.util.spec_from_file_location("standalone_masking", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.mask_id_number("44030419900101123X") == "4403**********123X"
