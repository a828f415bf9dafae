"""The catalogue of business items and services, loaded from data files.

`data/catalog.codes.yml` is the project's spec (codes, Chinese names, modes);
`data/catalog.yml` adds English names, fields and materials. They are merged
here, once, and checked against each other so a code can never drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import yaml

from .settings import DATA_DIR


@dataclass(frozen=True)
class ChoiceOption:
    value: str
    label_zh: str
    label_en: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    required: bool
    label_zh: str
    label_en: str
    choice_options: tuple[ChoiceOption, ...] = ()
    text_format: str | None = None  # text fields: person_name / place / free (what the text must look like)

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(c.value for c in self.choice_options)

    def public(self) -> dict[str, Any]:
        """The field as the API lists it (the schema is added by the items service)."""
        return {
            "name": self.name,
            "type": self.type,
            "required": self.required,
            "label_zh": self.label_zh,
            "label_en": self.label_en,
            "choices": list(self.choices),
        }


def _choice(raw: Any) -> ChoiceOption:
    """A choice is a plain value or {value, label_zh, label_en, aliases}."""
    if isinstance(raw, dict):
        return ChoiceOption(
            str(raw["value"]),
            str(raw.get("label_zh", raw["value"])),
            str(raw.get("label_en", raw["value"])),
            tuple(str(a) for a in raw.get("aliases", ())),
        )
    return ChoiceOption(str(raw), str(raw), str(raw))


@dataclass(frozen=True)
class Material:
    key: str
    zh: str
    en: str


@dataclass(frozen=True)
class CatalogueEntry:
    code: str
    name_zh: str
    name_en: str
    kind: str  # item / service
    mode: str  # direct / pre_application / compare / service
    acts_for: str  # self / child
    fields: tuple[FieldSpec, ...] = ()
    materials: tuple[Material, ...] = ()
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "kind": self.kind,
            "mode": self.mode,
            "acts_for": self.acts_for,
            "fields": [f.public() for f in self.fields],
            "materials": [m.__dict__ for m in self.materials],
        }


@dataclass(frozen=True)
class Catalogue:
    entries: dict[str, CatalogueEntry]
    where_zh: str
    where_en: str
    materials: dict[str, Material] = field(default_factory=dict)

    def get(self, code: str) -> CatalogueEntry | None:
        return self.entries.get(code)

    @property
    def items(self) -> list[CatalogueEntry]:
        return [e for e in self.entries.values() if e.kind == "item"]

    @property
    def services(self) -> list[CatalogueEntry]:
        return [e for e in self.entries.values() if e.kind == "service"]


@lru_cache
def get_catalogue() -> Catalogue:
    spec = yaml.safe_load((DATA_DIR / "catalog.codes.yml").read_text(encoding="utf-8"))
    extra = yaml.safe_load((DATA_DIR / "catalog.yml").read_text(encoding="utf-8"))
    materials = {k: Material(k, v["zh"], v["en"]) for k, v in extra["common_materials"].items()}
    entries: dict[str, CatalogueEntry] = {}
    for kind, key in (("item", "items"), ("service", "services")):
        details = extra[key]
        codes = {e["code"] for e in spec[key]}
        if codes != set(details):
            raise RuntimeError(f"catalog.yml {key} differ from the spec: {sorted(codes ^ set(details))}")
        for e in spec[key]:
            d = details[e["code"]] or {}
            entries[e["code"]] = CatalogueEntry(
                code=e["code"],
                name_zh=e["name"],
                name_en=d["name_en"],
                kind=kind,
                mode=e.get("mode", "service"),
                acts_for=e.get("acts_for", "self"),
                fields=tuple(
                    FieldSpec(
                        f["name"],
                        f["type"],
                        bool(f.get("required")),
                        f["label_zh"],
                        f["label_en"],
                        tuple(_choice(c) for c in f.get("choices", ())),
                        f.get("format"),
                    )
                    for f in d.get("fields", [])
                ),
                materials=tuple(materials[m] for m in d.get("materials", [])),
                note=e.get("note"),
            )
    return Catalogue(entries, extra["where_zh"], extra["where_en"], materials)


@lru_cache
def get_policy() -> dict[str, Any]:
    return yaml.safe_load((DATA_DIR / "policy.yml").read_text(encoding="utf-8"))
