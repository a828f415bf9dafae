"""Placeholder until this service module is written (being written now)."""
from __future__ import annotations

from typing import Any

from ..errors import BusinessError


def _todo(*_a: Any, **_k: Any) -> dict[str, Any]:
    raise BusinessError("NOT_AVAILABLE", "该服务暂未开放", "This service is not available yet", status=409)


self_service_payment = query = issue = status = register = _todo
