"""The backend's one error type: stable machine codes and bilingual messages.

Every error the API answers with is a `BusinessError`: refusals of the services (bad
input, a failed eligibility check, missing authority) raise it, and the application
(api/app.py) turns the framework's own errors (request validation, unknown path or
method, a lost race for a record, an unexpected failure) into one too. The body is
always `{"error": err.to_dict()}`, documented as `api/schemas.py: ErrorResponse`:
    {"error": {"code": "...", "message_zh": "...", "message_en": "...",
               "fix_zh": "...", "fix_en": "...", "field": "...", "details": {...}}}
`code`, `message_zh` and `message_en` are always there; the others only when they
have a value. The assistant shows `message_*` and `fix_*` to the person; `code`
(UPPER_SNAKE_CASE) is what programs and tests match on, so codes never change once
published (tests/backend/test_errors.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any


@dataclass
class BusinessError(Exception):
    code: str
    message_zh: str
    message_en: str
    status: int = 422
    fix_zh: str | None = None
    fix_en: str | None = None
    field: str | None = None
    extra: dict[str, Any] = dc_field(default_factory=dict)

    def __str__(self) -> str:  # readable in logs and pytest output
        return f"{self.code}: {self.message_en}"

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "code": self.code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }
        for key in ("fix_zh", "fix_en", "field"):
            value = getattr(self, key)
            if value:
                body[key] = value
        if self.extra:
            body["details"] = self.extra
        return body


def invalid(
    code: str, zh: str, en: str, *, field: str | None = None, fix_zh: str | None = None, fix_en: str | None = None
) -> BusinessError:
    """Input that can never be right as typed (422)."""
    return BusinessError(code, zh, en, status=422, field=field, fix_zh=fix_zh, fix_en=fix_en)


def refused(
    code: str,
    zh: str,
    en: str,
    *,
    fix_zh: str | None = None,
    fix_en: str | None = None,
    status: int = 409,
    **extra: Any,
) -> BusinessError:
    """A valid request the rules do not allow for this person now."""
    return BusinessError(code, zh, en, status=status, fix_zh=fix_zh, fix_en=fix_en, extra=extra)


def refused_field(
    field: str,
    code: str,
    zh: str,
    en: str,
    *,
    fix_zh: str | None = None,
    fix_en: str | None = None,
    status: int = 409,
    **extra: Any,
) -> BusinessError:
    """A refusal caused by one given field's value (the validate call lists it under that field)."""
    return BusinessError(code, zh, en, status=status, fix_zh=fix_zh, fix_en=fix_en, field=field, extra=extra)
