"""Short-lived state of the WeChat and IVR channels, shared between Rasa processes.

A channel keeps what must survive from one request to the next here: WeChat's
retry de-duplication (MsgId -> the reply), the binding dialogue, the numbered
buttons, texts the customer-service API could not deliver; the IVR call state
(verification progress, no-input count, pending confirmation). With one Rasa
process the default in-memory store is enough. With several behind a load
balancer (docs/scaleout.md) a WeChat retry or the next IVR turn may reach
another process, so they must share a Redis store:

    bot.channels.wechat.WeChatInput:
      state_store: redis://127.0.0.1:6379/3        # or env SZ_CHANNEL_STATE_STORE

Forms of the setting (``state_store`` in the channel's credentials.yml entry,
else the environment variable ``SZ_CHANNEL_STATE_STORE``, else ``memory``):

- ``memory`` (or empty): this process only.
- ``redis://[:password@]host[:port][/db][?key_prefix=...]`` (``rediss://`` for TLS).
- a mapping ``{type: redis, url: host, port: 6379, db: 3, password: ..., key_prefix: ...}``
  (the style of Rasa's lock store entry in endpoints.yml).

Values are JSON (what ``json.dumps`` accepts); every key has a TTL. ``claim``
is the atomic "first one wins" (Redis ``SET NX``) used for de-duplication.
Keys are ``<key_prefix><channel>:<name>`` (default prefix ``szchan:``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections import OrderedDict
from typing import Any, Dict, Mapping, Optional, Tuple, Union
from urllib.parse import parse_qs, urlparse

from bot.settings import STATE_STORE_ENV
from bot.settings import load as load_settings

log = logging.getLogger(__name__)

ENV_STATE_STORE = STATE_STORE_ENV
DEFAULT_PREFIX = "szchan:"


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class StateStore:
    """get/set/delete with a TTL, and ``claim`` (set only if absent). Coroutines throughout."""

    shared = False  # True: other processes see the same state

    async def get(self, key: str) -> Any:
        raise NotImplementedError

    async def set(self, key: str, value: Any, ttl: float) -> None:
        raise NotImplementedError

    async def delete(self, key: str) -> None:
        raise NotImplementedError

    async def claim(self, key: str, ttl: float, value: Any = True) -> bool:
        """Store ``value`` under ``key`` unless the key exists; True for the one caller that stored it."""
        raise NotImplementedError

    async def close(self) -> None:
        return None

    def describe(self) -> str:
        return type(self).__name__


class MemoryStateStore(StateStore):
    """This process only. Values are kept as JSON text, so they behave as in Redis (copies)."""

    def __init__(self, max_items: int = 100_000, clock: Any = time.monotonic) -> None:
        self.max_items = max_items
        self.clock = clock
        self._items: "OrderedDict[str, Tuple[float, str]]" = OrderedDict()
        self._lock = threading.Lock()  # test servers may share one store across threads

    def _live(self, key: str) -> Optional[str]:
        entry = self._items.get(key)
        if entry is None:
            return None
        if entry[0] <= self.clock():
            del self._items[key]
            return None
        return entry[1]

    def _put(self, key: str, text: str, ttl: float) -> None:
        self._items[key] = (self.clock() + max(0.001, float(ttl)), text)
        self._items.move_to_end(key)
        now = self.clock()
        while self._items:  # drop expired entries at the old end, and the oldest beyond the bound
            first, (expires, _) = next(iter(self._items.items()))
            if expires > now and len(self._items) <= self.max_items:
                break
            del self._items[first]

    async def get(self, key: str) -> Any:
        with self._lock:
            text = self._live(key)
        return None if text is None else json.loads(text)

    async def set(self, key: str, value: Any, ttl: float) -> None:
        text = _dump(value)
        with self._lock:
            self._put(key, text, ttl)

    async def delete(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)

    async def claim(self, key: str, ttl: float, value: Any = True) -> bool:
        text = _dump(value)
        with self._lock:
            if self._live(key) is not None:
                return False
            self._put(key, text, ttl)
            return True

    def __len__(self) -> int:
        return len(self._items)


class RedisStateStore(StateStore):
    """Redis (``redis.asyncio``, which comes with Rasa): shared by every process using the same db and prefix."""

    shared = True

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 6379,
        db: int = 0,
        password: Optional[str] = None,
        key_prefix: str = DEFAULT_PREFIX,
        ssl: bool = False,
        socket_timeout: float = 2.0,
    ) -> None:
        self.host, self.port, self.db = host, int(port), int(db)
        self.password = password or None
        self.key_prefix = key_prefix
        self.ssl = ssl
        self.socket_timeout = socket_timeout
        self._client: Any = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None

    def _redis(self) -> Any:
        # A client belongs to one event loop; the channel's server has one, tests may use several.
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            from redis import asyncio as aioredis

            self._client = aioredis.Redis(
                host=self.host,
                port=self.port,
                db=self.db,
                password=self.password,
                ssl=self.ssl,
                socket_timeout=self.socket_timeout,
                socket_connect_timeout=self.socket_timeout,
                decode_responses=True,
            )
            self._loop = loop
        return self._client

    def _key(self, key: str) -> str:
        return self.key_prefix + key

    @staticmethod
    def _ms(ttl: float) -> int:
        return max(1, int(float(ttl) * 1000))

    async def get(self, key: str) -> Any:
        text = await self._redis().get(self._key(key))
        return None if text is None else json.loads(text)

    async def set(self, key: str, value: Any, ttl: float) -> None:
        await self._redis().set(self._key(key), _dump(value), px=self._ms(ttl))

    async def delete(self, key: str) -> None:
        await self._redis().delete(self._key(key))

    async def claim(self, key: str, ttl: float, value: Any = True) -> bool:
        return bool(await self._redis().set(self._key(key), _dump(value), px=self._ms(ttl), nx=True))

    async def close(self) -> None:
        client, self._client, self._loop = self._client, None, None
        if client is not None:
            try:
                await client.close()
                await client.connection_pool.disconnect()
            except Exception:  # closing on another loop than the one it was made on
                pass

    def describe(self) -> str:
        return f"redis {self.host}:{self.port}/{self.db} prefix {self.key_prefix!r}"


def create_state_store(
    setting: Union[None, str, Mapping[str, Any]] = None, channel: str = "", env: Optional[Mapping[str, str]] = None
) -> StateStore:
    """The store a channel's ``state_store`` setting names (see the module docstring).

    ``channel`` is appended to the key prefix, so the WeChat and IVR entries may name the same db.
    """
    if setting in (None, ""):
        setting = load_settings(env).state_store
    if isinstance(setting, str):
        text = setting.strip()
        if text.lower() in ("memory", "in-memory", "inmemory", "local"):
            return MemoryStateStore()
        parsed = urlparse(text)
        if parsed.scheme not in ("redis", "rediss"):
            raise ValueError(f"state_store: expected 'memory' or a redis:// URL, got {setting!r}")
        query = parse_qs(parsed.query)
        db_path = (parsed.path or "/").strip("/")
        options: Dict[str, Any] = {
            "type": "redis",
            "url": parsed.hostname or "127.0.0.1",
            "port": parsed.port or 6379,
            "db": int(db_path or (query.get("db") or ["0"])[0]),
            "password": parsed.password,
            "ssl": parsed.scheme == "rediss",
        }
        if query.get("key_prefix"):
            options["key_prefix"] = query["key_prefix"][0]
        setting = options
    if not isinstance(setting, Mapping):
        raise ValueError(f"state_store: expected a string or a mapping, got {type(setting).__name__}")
    kind = str(setting.get("type") or "redis").lower()
    if kind in ("memory", "in-memory", "inmemory", "local"):
        return MemoryStateStore()
    if kind != "redis":
        raise ValueError(f"state_store: unknown type {kind!r} (memory or redis)")
    prefix = str(setting.get("key_prefix") or DEFAULT_PREFIX)
    if channel:
        prefix = f"{prefix}{channel}:"
    store = RedisStateStore(
        host=str(setting.get("url") or setting.get("host") or "127.0.0.1"),
        port=int(setting.get("port") or 6379),
        db=int(setting.get("db") or 0),
        password=setting.get("password"),
        key_prefix=prefix,
        ssl=bool(setting.get("ssl")),
    )
    log.info("%s channel state: %s", channel or "channel", store.describe())
    return store
