"""The HTTP API settings of every Rasa server this project starts (issue 11, finding 1).

Rasa's HTTP API (``--enable-api``) reads and writes any conversation:
``GET /conversations/<id>/tracker`` returns the slots (ID and bank numbers,
decrypted by the tracker store) and ``POST .../tracker/events`` injects events.
So a started server:

- requires Rasa's ``--auth-token`` for the API (``?token=...``); the channel
  webhooks (REST, Socket.IO widget, WeChat, IVR) are not part of the API and
  keep working without it;
- listens on 127.0.0.1 unless ``SZ_RASA_INTERFACE`` says otherwise;
- sends CORS headers only for the widget's page (``SZ_WIDGET_ORIGINS``,
  comma-separated; default the help page, http://127.0.0.1:8080 and
  http://localhost:8080).

scripts/run.sh, the scale-out stack (bench/stack.py) and the test stacks
(tests/bot/stack.py) all build their command line here, so there is one place
for the rule. ``python -m bot.server_args`` prints the flags one per line for the
shell (the token from ``SZ_RASA_AUTH_TOKEN``, which must be set).
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import Iterable, List, Optional

from bot.settings import DEFAULT_WIDGET_ORIGINS  # noqa: F401 (this module's name for it)
from bot.settings import load as load_settings

MIN_TOKEN_LENGTH = 24


def widget_origins() -> List[str]:
    return list(load_settings().widget_origins)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_file_token(path: Path) -> str:
    """The token kept in ``path`` (created, readable by the owner only, when missing or too short)."""
    try:
        token = path.read_text().strip()
    except FileNotFoundError:
        token = ""
    if len(token) < MIN_TOKEN_LENGTH:
        path.parent.mkdir(parents=True, exist_ok=True)
        token = new_token()
        fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(token + "\n")
    os.chmod(path, 0o600)
    return token


def api_args(token: str, origins: Optional[Iterable[str]] = None, interface: Optional[str] = None) -> List[str]:
    """``rasa run`` flags: API on, behind ``token``, on ``interface``, CORS for ``origins`` only."""
    if len(token) < MIN_TOKEN_LENGTH:
        raise ValueError(f"the Rasa API token needs at least {MIN_TOKEN_LENGTH} characters")
    origins = list(origins) if origins is not None else widget_origins()
    if any(o.strip() == "*" for o in origins):
        raise ValueError("CORS '*' would let any web page use the Rasa server; list the widget's origins")
    interface = interface or load_settings().rasa_interface
    return ["--enable-api", "--auth-token", token, "-i", interface, "--cors", *origins]


def main(argv: List[str]) -> int:
    token = load_settings().rasa_auth_token
    try:
        print("\n".join(api_args(token)))
    except ValueError as e:
        print(f"server_args: {e} (SZ_RASA_AUTH_TOKEN)", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
