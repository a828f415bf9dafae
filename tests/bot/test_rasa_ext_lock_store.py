"""The atomic Redis lock store gives every concurrent message its own ticket."""

from __future__ import annotations

import os
import threading
import uuid

import pytest
import redis
from rasa.core.lock_store import LockStore
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_ext.lock_store import AtomicRedisLockStore


@pytest.fixture
def redis_config() -> EndpointConfig:
    try:
        redis.StrictRedis(host="127.0.0.1", port=6379, db=4, socket_timeout=2).ping()
    except redis.RedisError as err:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is required under CI=true: {err}")
        pytest.skip(f"Redis not reachable at 127.0.0.1:6379 ({err})")
    return EndpointConfig(
        url="127.0.0.1", type="bot.rasa_ext.lock_store.AtomicRedisLockStore", port=6379, db=4, key_prefix="sztest"
    )


def test_loads_from_endpoints_config(redis_config: EndpointConfig) -> None:
    store = LockStore.create(redis_config)
    assert isinstance(store, AtomicRedisLockStore) and store.key_prefix.startswith("sztest:")


def test_concurrent_instances_never_share_a_ticket(redis_config: EndpointConfig) -> None:
    conversation = f"c-{uuid.uuid4().hex}"
    stores = [LockStore.create(redis_config) for _ in range(6)]  # like six Rasa processes
    tickets: list[int] = []
    barrier = threading.Barrier(len(stores))

    def issue(store: AtomicRedisLockStore) -> None:
        barrier.wait()
        for _ in range(20):
            tickets.append(store.issue_ticket(conversation, 60))

    threads = [threading.Thread(target=issue, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(tickets) == list(range(len(stores) * 20))
    for ticket in tickets:
        stores[0].cleanup(conversation, ticket)
    assert stores[0].get_lock(conversation) is None
