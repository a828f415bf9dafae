"""The cooperating banks (金融社保卡合作银行) and the names people call them.

The list comes from secondary sources and is data (backend/data/banks.yml), not
code: operators correct the file. This module only matches names against it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import yaml

DEFAULT_BANKS_FILE = Path(__file__).resolve().parents[2] / "data" / "banks.yml"

# Spaces and punctuation carry no meaning in a bank name ("Bank of China, Ltd.").
_NOISE = re.compile(r"[\s\W_]+")
# What may follow a full bank name: the company form and/or a branch, e.g.
# "招商银行股份有限公司深圳分行", "中国银行深圳福田支行", "Bank of China Shenzhen Branch".
_TAIL = re.compile(
    r"(股份有限公司|有限责任公司|有限公司|coltd|limited|ltd|corporation|corp|co)?"
    r"(.*(分行|支行|营业部|分理处|储蓄所|branch))?"
)


def _key(name: str) -> str:
    return _NOISE.sub("", unicodedata.normalize("NFKC", name or "").casefold())


def _is_full_name(key: str) -> bool:
    # Only full names may be followed by a branch: a short alias such as 中信 or
    # 平安 is also the start of 中信证券 or 平安保险, which are not banks.
    return key.endswith("银行") or (key.isascii() and "bank" in key)


class BankDirectory:
    def __init__(self, banks: list[dict]) -> None:
        self._banks: list[dict[str, str]] = []
        self._aliases: dict[str, str] = {}
        for bank in banks:
            name_zh, name_en = str(bank["name_zh"]), str(bank["name_en"])
            self._banks.append({"name_zh": name_zh, "name_en": name_en})
            for alias in [name_zh, name_en, *(bank.get("aliases") or [])]:
                key = _key(str(alias))
                owner = self._aliases.setdefault(key, name_zh)
                if owner != name_zh:
                    raise ValueError(f"alias {alias!r} names both {owner} and {name_zh}")
        # Longest first, so 中国银行 never shadows a longer name starting the same way.
        self._full_names = sorted((k for k in self._aliases if _is_full_name(k)), key=len, reverse=True)

    @classmethod
    def from_file(cls, path: str | Path) -> "BankDirectory":
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        return cls(data.get("banks") or [])

    def canonical_bank(self, name: str) -> str | None:
        key = _key(name)
        if not key:
            return None
        if key in self._aliases:
            return self._aliases[key]
        for full in self._full_names:
            if key.startswith(full) and _TAIL.fullmatch(key[len(full) :]):
                return self._aliases[full]
        return None

    def cooperating_banks(self) -> list[dict[str, str]]:
        return [dict(bank) for bank in self._banks]


@lru_cache(maxsize=1)
def default_directory() -> BankDirectory:
    return BankDirectory.from_file(DEFAULT_BANKS_FILE)


def canonical_bank(name: str) -> str | None:
    """Official Chinese name of a cooperating bank from any known alias, else None."""
    return default_directory().canonical_bank(name)


def is_cooperating(name: str) -> bool:
    return canonical_bank(name) is not None


def cooperating_banks() -> list[dict[str, str]]:
    """[{"name_zh": ..., "name_en": ...}, ...] in file order (a fresh copy)."""
    return default_directory().cooperating_banks()
