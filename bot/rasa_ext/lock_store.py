"""Rasa's Redis lock store with its read-modify-write steps made atomic.

Rasa 3.6's `RedisLockStore` issues a ticket by reading the conversation's lock,
adding a ticket and writing it back, with nothing between the read and the
write. Two Rasa instances taking one user's messages at the same moment can
therefore both draw the same ticket, process the conversation at once, and one
user event is lost from the shared tracker store (seen in the scale-out test).
Each read-modify-write step here runs under a short Redis mutex per conversation.

endpoints.yml:
    lock_store:
      type: bot.rasa_ext.lock_store.AtomicRedisLockStore
      url: 127.0.0.1
      port: 6379
      db: 1
      key_prefix: szassistant    # letters and digits only (Rasa ignores other prefixes)
"""

from __future__ import annotations

from typing import Any, Text

from rasa.core.lock_store import LOCK_LIFETIME, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

MUTEX_TIMEOUT_SECONDS = 10  # a step takes milliseconds; the mutex frees itself if a process dies
MUTEX_WAIT_SECONDS = 30


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        if endpoint_config is not None:  # loaded by module path from endpoints.yml
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

    def _mutex(self, conversation_id: Text) -> Any:
        return self.red.lock(
            f"{self.key_prefix}{conversation_id}:mutex",
            timeout=MUTEX_TIMEOUT_SECONDS,
            blocking_timeout=MUTEX_WAIT_SECONDS,
        )

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        with self._mutex(conversation_id):
            return super().issue_ticket(conversation_id, lock_lifetime)

    def update_lock(self, conversation_id: Text) -> None:
        with self._mutex(conversation_id):
            super().update_lock(conversation_id)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        with self._mutex(conversation_id):
            super().cleanup(conversation_id, ticket_number)
