"""One masking format for bot and backend (issue 13).

A personal number must be masked the same way in a chat reply, a stored
conversation event and the backend's replies. The backend's
``sz_backend/rules/masking.py`` is the reference; it is pure (standard library
only), so this test loads it by file path (the backend package lives in another
environment) and compares the bot's functions with it on many inputs.
"""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path
from types import ModuleType
from typing import List

import pytest

from bot import masking

ROOT = Path(__file__).resolve().parents[2]
BACKEND_MASKING = ROOT / "backend" / "sz_backend" / "rules" / "masking.py"


def _load_backend() -> ModuleType:
    spec = importlib.util.spec_from_file_location("backend_rules_masking", BACKEND_MASKING)
    assert spec is not None and spec.loader is not None, BACKEND_MASKING
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


backend = _load_backend()


def _id18(rng: random.Random, check: str = "") -> str:
    body = "".join(rng.choice("0123456789") for _ in range(17))
    return body + (check or rng.choice("0123456789X"))


def _inputs() -> List[str]:
    rng = random.Random(13)
    values = [
        "",
        " ",
        "1",
        "12",
        "1234",
        "12345",
        "1234567",
        "12345678",
        "123456789",
        "abc",
        "身份证",
        "ＡＢＣ１２３",
        "440304198805121317",
        "44030419900101123X",
        "44030419900101123x",
        "４４０３０４１９９００１０１１２３Ｘ",
        "440304 1990 0101 123X",
        "440304-19900101-123X",
        "440301780512123",  # 15 digits
        "11010519491231002X",
        "13800138001",
        "138 0013 8001",
        "+86 138-0013-8001",
        "6222021234567890",
        "6222 0212 3456 7890",
        "6225880212340000123",
        "0755-83938000",
        "YS2026000000034",
        "12345678901234567890123",
        "garbage!!--  ",
        "\u3000４４０３\u3000",
    ]
    for _ in range(150):
        values.append(_id18(rng))
        values.append(_id18(rng, "X"))
        values.append("".join(rng.choice("0123456789") for _ in range(15)))
        values.append("1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9)))
        values.append("".join(rng.choice("0123456789") for _ in range(rng.randint(12, 19))))
        values.append("".join(rng.choice("0123456789X -abc") for _ in range(rng.randint(0, 24))))
    return values


INPUTS = _inputs()
NAMES = ["", " ", "张", "张三", "张三丰", "欧阳小锋", " 林晓 ", "A", "Ann Lee"]


def test_backend_module_is_the_reference() -> None:
    """The documented format, so a change on either side is seen here first."""
    assert backend.mask_id_number("44030419900101123X") == "4403**********123X"
    assert backend.mask_phone("13800138001") == "138****8001"
    assert backend.mask_bank_account("6222021234567890") == "************7890"


@pytest.mark.parametrize("name", ["mask_id_number", "mask_phone", "mask_bank_account"])
def test_bot_masks_like_the_backend(name: str) -> None:
    ours, theirs = getattr(masking, name), getattr(backend, name)
    for value in INPUTS + [None]:  # type: ignore[operator]
        assert ours(value) == theirs(value), (name, value)


def test_names_are_masked_like_the_backend() -> None:
    for value in NAMES + [None]:  # type: ignore[operator]
        assert masking.mask_name(value) == backend.mask_name(value), value


def test_action_display_masks_are_the_backend_format() -> None:
    pytest.importorskip("rasa_sdk")
    from bot.actions.common import mask_id, mask_phone

    for value in INPUTS:
        assert mask_id(value) == backend.mask_id_number(value), value
        assert mask_phone(value) == backend.mask_phone(value), value


def test_numbers_in_text_are_masked_like_the_backend() -> None:
    """Free text: where both detect a number (plain digits: ID, mobile, card), the masks agree.
    (The bot's detection also reads grouped and full-width digits, which the backend's does not.)"""
    rng = random.Random(7)
    for _ in range(200):
        number = rng.choice(
            [
                _id18(rng),
                _id18(rng, "X"),
                "".join(rng.choice("0123456789") for _ in range(15)),
                "13" + "".join(rng.choice("0123456789") for _ in range(9)),
                "6" + "".join(rng.choice("0123456789") for _ in range(rng.randint(11, 18))),
            ]
        )
        text = f"我的号码是{number}，谢谢"
        assert masking.mask_text(text) == backend.mask_text(text), text
        assert masking.mask_number(number) != number
