"""JioNLP, imported once (on first use or by the warm-up thread).

Its import prints two banner lines on stdout; they are left alone: swapping
sys.stdout from a background thread would race with whoever else redirects it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def jionlp() -> Any:
    import jionlp as jio

    return jio
