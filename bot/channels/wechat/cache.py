"""A small per-process cache whose entries expire (the WeChat channel's turns and backend tokens).

Why not the channel state store (bot/channels/state.py): these entries hold live
objects (a turn's task and events) or must not leave the process (bearer tokens).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any, Tuple


class TTLCache:
    """Insertion-ordered dict whose entries expire; bounded in size."""

    def __init__(self, ttl_seconds: float, max_items: int = 20000) -> None:
        self.ttl = ttl_seconds
        self.max_items = max_items
        self._items: "OrderedDict[str, Tuple[float, Any]]" = OrderedDict()

    def _purge(self) -> None:
        now = time.monotonic()
        while self._items:
            key, (at, _) = next(iter(self._items.items()))
            if now - at <= self.ttl and len(self._items) <= self.max_items:
                break
            self._items.popitem(last=False)

    def get(self, key: str) -> Any:
        self._purge()
        entry = self._items.get(key)
        return entry[1] if entry else None

    def put(self, key: str, value: Any) -> None:
        self._items[key] = (time.monotonic(), value)
        self._items.move_to_end(key)
        self._purge()

    def pop(self, key: str) -> Any:
        entry = self._items.pop(key, None)
        return entry[1] if entry else None

    def __len__(self) -> int:
        return len(self._items)
