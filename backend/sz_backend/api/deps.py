"""Request plumbing shared by the routers: the route class, sessions, identity, idempotency."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import Header
from fastapi.routing import APIRoute
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import BusinessError
from ..persistence.db import session_scope
from ..persistence.models import IdempotencyRecord
from ..services import identity


class ContractRoute(APIRoute):
    """Every router's route class: the response model (api/responses.py) checks and documents
    the answer, and only the keys the handler gave are sent (`response_model_exclude_unset`),
    so declaring a model changes no body on the wire."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        kwargs["response_model_exclude_unset"] = True
        super().__init__(path, endpoint, **kwargs)


def bearer(authorization: str | None = Header(default=None)) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    return None


def channel_header(x_channel: str | None = Header(default=None)) -> str:
    return identity.check_channel(x_channel)


def run_idempotent(
    account_id: int, key: str | None, request: dict[str, Any], work: Callable[[Session], dict[str, Any]]
) -> dict[str, Any]:
    """Run `work` once per (account, Idempotency-Key): a repeat returns the first result.

    The stored result is written in the same unit of work as the change, so a
    change without its record (or the reverse) cannot happen.
    """
    if key is not None and not (1 <= len(key) <= 128 and key.isprintable()):
        raise BusinessError(
            "IDEMPOTENCY_KEY_INVALID",
            "Idempotency-Key 长度应为1到128个可打印字符",
            "Idempotency-Key must be 1 to 128 printable characters",
            status=400,
        )
    digest = hashlib.sha256(json.dumps(request, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()
    if key is None:
        with session_scope() as session:
            return work(session)
    for _attempt in range(2):
        with session_scope() as session:
            prior = session.scalar(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.account_id == account_id, IdempotencyRecord.key == key
                )
            )
            if prior is not None:
                if prior.request_hash != digest:
                    raise BusinessError(
                        "IDEMPOTENCY_KEY_REUSED",
                        "同一个 Idempotency-Key 不能用于不同的请求",
                        "This Idempotency-Key was used for a different request",
                        status=422,
                    )
                return prior.body | {"idempotent_replay": True}
            # Claim the key first: a concurrent twin blocks on the unique key, then
            # fails and reads this result on its second attempt.
            record = IdempotencyRecord(account_id=account_id, key=key, request_hash=digest, status_code=0, body={})
            session.add(record)
            try:
                session.flush()
            except IntegrityError:
                session.rollback()
                continue
            body = work(session)
            record.status_code, record.body = 200, body
            return body
    raise BusinessError(
        "IDEMPOTENCY_CONFLICT", "请求正在处理中，请稍后重试", "Request in progress; retry shortly", status=409
    )


def sessions() -> Iterator[Session]:  # pragma: no cover - convenience for read-only routes
    with session_scope() as session:
        yield session
