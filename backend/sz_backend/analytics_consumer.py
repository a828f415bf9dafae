"""The analytics consumer: reads Rasa's event broker queue (RabbitMQ) into the
analytics tables of the backend database.

    python -m sz_backend.cli analytics-consume        # runs until stopped (SIGTERM / Ctrl-C)

Settings (environment): SZ_ANALYTICS_AMQP_URL (default amqp://guest:guest@127.0.0.1:5672/%2F),
SZ_ANALYTICS_QUEUE (default "sz_analytics": the queue named under `queues` in the
event_broker section of Rasa's endpoints file), SZ_ANALYTICS_EXCHANGE (default
"rasa-exchange", Rasa's `exchange_name`), DATABASE_URL as for the backend.

Nothing lost, nothing doubled:
- the queue is durable and Rasa publishes persistent messages, so events queued
  while the consumer or the broker is down wait for it;
- a message is acknowledged only after the unit of work holding its rows has
  committed; if the consumer or the broker stops before the ack, RabbitMQ
  delivers it again, and `ingest` recognises it by its content hash and skips it;
- when the connection drops (broker restart) the consumer reconnects with a
  growing pause (up to 10 s) and goes on.
A message that is not a JSON object is logged and dropped (acknowledged) so that
it cannot block the queue.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import time
from typing import Any

import pika
from pika.exceptions import AMQPError

from .persistence.db import session_scope
from .services.analytics.ingest import ingest

log = logging.getLogger("sz_backend.analytics")
RASA_EXCHANGE = "rasa-exchange"  # Rasa's PikaEventBroker publishes to this fanout exchange by default


def amqp_url() -> str:
    return os.environ.get("SZ_ANALYTICS_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")


def queue_name() -> str:
    return os.environ.get("SZ_ANALYTICS_QUEUE", "sz_analytics")


def exchange_name() -> str:
    return os.environ.get("SZ_ANALYTICS_EXCHANGE", RASA_EXCHANGE)


def declare(channel: Any, queue: str, exchange: str) -> None:
    """The same exchange and queue Rasa declares (a fanout exchange, a durable queue bound to it),
    so the consumer may start first: events published before Rasa's first connection are kept."""
    channel.exchange_declare(exchange, exchange_type="fanout", durable=False)
    channel.queue_declare(queue, durable=True)
    channel.queue_bind(queue, exchange, routing_key="")


class Consumer:
    def __init__(self, url: str | None = None, queue: str | None = None, prefetch: int = 50) -> None:
        self.url, self.queue, self.prefetch = url or amqp_url(), queue or queue_name(), prefetch
        self.exchange = exchange_name()
        self.stopping = False
        self.taken = 0  # new events written
        self.repeats = 0  # redeliveries recognised
        self.connections = 0

    def handle(self, channel: Any, method: Any, _properties: Any, raw: bytes) -> None:
        try:
            body = json.loads(raw)
            if not isinstance(body, dict):
                raise ValueError("not an object")
        except ValueError:
            log.warning("dropping a message that is not a JSON object (%d bytes)", len(raw))
            channel.basic_ack(method.delivery_tag)
            return
        with session_scope() as session:
            new = ingest(session, body)
        # Committed: only now may the broker forget it.
        channel.basic_ack(method.delivery_tag)
        if new:
            self.taken += 1
        else:
            self.repeats += 1

    def run(self, *, idle_stop_seconds: float | None = None) -> None:
        """Consume until stop(); `idle_stop_seconds` (tests) ends the run after that long without a message."""
        pause = 0.5
        while not self.stopping:
            try:
                connection = pika.BlockingConnection(pika.URLParameters(self.url))
            except AMQPError as err:
                log.warning("broker not reachable (%s); retrying in %.1f s", type(err).__name__, pause)
                time.sleep(pause)
                pause = min(pause * 2, 10.0)
                continue
            self.connections += 1
            pause = 0.5
            try:
                channel = connection.channel()
                declare(channel, self.queue, self.exchange)
                channel.basic_qos(prefetch_count=self.prefetch)
                last = time.monotonic()
                for method, props, raw in channel.consume(self.queue, inactivity_timeout=0.5):
                    if self.stopping:
                        break
                    if method is None:
                        if idle_stop_seconds is not None and time.monotonic() - last > idle_stop_seconds:
                            self.stopping = True
                            break
                        continue
                    last = time.monotonic()
                    self.handle(channel, method, props, raw)
                try:
                    channel.cancel()
                    connection.close()
                except AMQPError:
                    pass
            except AMQPError as err:
                log.warning("broker connection lost (%s); reconnecting", type(err).__name__)
                time.sleep(pause)
            log.info("progress: %d events taken in, %d redeliveries skipped", self.taken, self.repeats)

    def stop(self, *_: Any) -> None:
        self.stopping = True


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    consumer = Consumer()
    signal.signal(signal.SIGTERM, consumer.stop)
    signal.signal(signal.SIGINT, consumer.stop)
    log.info("consuming %s from %s", consumer.queue, consumer.url.split("@")[-1])
    consumer.run()
    log.info("stopped: %d events taken in, %d redeliveries skipped", consumer.taken, consumer.repeats)
