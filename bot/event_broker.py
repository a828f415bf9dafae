"""Rasa's RabbitMQ event broker, made to lose nothing when the broker restarts.

Rasa 3.6's PikaEventBroker publishes each event as a background task and keeps
an event whose publish *fails* for the next reconnection. But a publish that was
in flight when RabbitMQ went away can wait for the broker's confirmation until
the process ends (tests/bot/test_analytics_broker.py saw three of 98 events of a
restart hang that way and never arrive), and an event that fails after the
reconnection callback already ran waits for a reconnection that may never come.

This subclass:
- gives every publish `publish_timeout` seconds (default 5) to be confirmed by the
  broker (aio-pika channels use publisher confirms); a publish that is not
  confirmed in time, or fails, is kept;
- retries what is kept every `retry_delay_in_seconds` while the connection is up,
  besides Rasa's retry on reconnection.
So every event is published at least once; an event can reach the queue twice
(confirmed by the broker but not in time for us), and the analytics consumer
recognises a second copy by its content hash (backend/sz_backend/services/analytics/ingest.py),
so each event is counted exactly once.

endpoints (production, docs/analytics.md):
    event_broker:
      type: bot.event_broker.ConfirmedPikaEventBroker
      url: 127.0.0.1
      username: guest
      password: guest
      queues: [sz_analytics]
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, Optional, Text

from rasa.core.brokers.pika import PikaEventBroker

log = logging.getLogger(__name__)


class ConfirmedPikaEventBroker(PikaEventBroker):
    def __init__(self, *args: Any, publish_timeout: float = 5.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.publish_timeout = float(publish_timeout)
        self._retry_task: Optional[asyncio.Task] = None

    async def _publish(self, event: Dict[Text, Any], headers: Optional[Dict[Text, Text]] = None) -> None:
        if self._exchange is None:  # not connected yet: keep it (Rasa's class drops it)
            self._keep(event)
            return
        try:
            await asyncio.wait_for(
                self._exchange.publish(self._message(event, headers), ""), timeout=self.publish_timeout
            )
        except Exception as err:  # noqa: BLE001 - any failure: keep the event and retry
            log.warning("event not confirmed by RabbitMQ (%s): kept for a retry", type(err).__name__)
            self._keep(event)

    def _keep(self, event: Dict[Text, Any]) -> None:
        if not self.should_keep_unpublished_messages:
            return
        self._unpublished_events.append(event)
        if self._retry_task is None or self._retry_task.done():
            self._retry_task = self._loop.create_task(self._retry_kept())

    async def _retry_kept(self) -> None:
        while self._unpublished_events:
            await asyncio.sleep(self._retry_delay_in_seconds)
            if self.is_ready() and self._exchange is not None:
                self._publish_unpublished_messages()

    async def close(self) -> None:
        if self._retry_task is not None:
            self._retry_task.cancel()
        await super().close()
