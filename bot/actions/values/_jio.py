"""JioNLP, imported once and quietly (it prints a banner on import)."""
from __future__ import annotations

import contextlib
import io
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def jionlp() -> Any:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        import jionlp as jio
    return jio
