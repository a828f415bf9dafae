"""``rasa shell`` for this project: readable custom payloads and a way to log in.

Rasa's shell prints every custom payload as raw JSON ("Custom json: {"signal":
"verify_identity", ...}") and sends no metadata, so a personal item can only
be refused there. When the Rasa process loads the model it imports ``bot``;
``bot/__init__.py`` then calls :func:`apply` if Rasa's console module is loaded
(``rasa shell``, harmless under ``rasa run``), which changes two things of
``rasa.core.channels.console``:

- custom payloads are printed as a line a person can read: the channel signals
  (``verify_identity``, ``handoff``, ``end_call``) say what a channel would do,
  a payload with ``text`` prints the text, anything else is printed as JSON
  without ``\\u`` escapes;
- with ``SZ_SHELL_USER=<demo user>`` in the environment the shell logs in at the
  backend (``SZ_BACKEND_URL``, default http://127.0.0.1:8000) before the first
  message (password from ``SZ_SHELL_PASSWORD`` or asked without echo) and sends
  the token as message metadata, exactly as the web widget does; the actions
  verify it with the backend.

    SZ_SHELL_USER=lina .venv/rasa/bin/rasa shell
"""

from __future__ import annotations

import getpass
import json
from typing import Any, AsyncGenerator, Dict, List, Optional

from bot.settings import load as load_settings
from bot.signals import END_CALL, HANDOFF, SIGNAL_KEY, VERIFY_IDENTITY, is_signal

SIGNALS = {
    VERIFY_IDENTITY: "[signal verify_identity: the person must identify first (web: log in, WeChat: bind, "
    "phone: caller verification). In rasa shell: start it with SZ_SHELL_USER=<demo user>]",
    HANDOFF: "[signal handoff: a person takes over (the phone channel transfers the call to {number})]",
    END_CALL: "[signal end_call: the phone channel hangs up]",
}

_state: Dict[str, Any] = {"token": None, "tried": False}


def describe(custom: Any) -> str:
    """A custom payload as one readable line."""
    if is_signal(custom):
        template = SIGNALS.get(custom[SIGNAL_KEY], "[signal {signal}]")
        details = {"number": "12333", **{k: v for k, v in custom.items() if isinstance(v, (str, int))}}
        try:
            return template.format(**details)
        except (KeyError, IndexError):
            return f"[signal {custom[SIGNAL_KEY]}]"
    if isinstance(custom, dict) and isinstance(custom.get("text"), str):
        return custom["text"]
    return json.dumps(custom, ensure_ascii=False, indent=2)


def _login() -> Optional[str]:
    """The demo person's token (once per shell), or None without SZ_SHELL_USER."""
    if _state["tried"]:
        return _state["token"]
    _state["tried"] = True
    settings = load_settings()
    user = settings.shell_user
    if not user:
        return None
    from bot.backend_client import BackendClient, BackendError, BackendUnavailable

    client = BackendClient(settings.backend_url)
    password = settings.shell_password or getpass.getpass(f"password of {user}: ")
    try:
        _state["token"] = client.login(user, password, channel="web")
    except BackendUnavailable as err:
        print(f"[log-in failed: backend {client.base_url} unreachable ({err}); chatting as a guest]")
        return None
    except BackendError as err:
        print(f"[log-in failed ({err.status}); chatting as a guest]")
        return None
    print(f"[logged in as {user}]")
    return _state["token"]


def _payload(sender_id: str, message: str) -> Dict[str, Any]:
    payload: Dict[str, Any] = {"sender": sender_id, "message": message}
    token = _login()
    if token:
        payload["metadata"] = {"auth_token": token}
    return payload


def apply() -> None:
    """Patch ``rasa.core.channels.console`` (idempotent)."""
    import aiohttp
    from rasa.core.channels import console

    if getattr(console, "_sz_readable", False):
        return
    original_print = console._print_bot_output

    def print_bot_output(message: Dict[str, Any], is_latest_message: bool = False, **kwargs: Any) -> Any:
        message = dict(message)
        custom = message.pop("custom", None)
        question = None
        if set(message) - {"recipient_id"}:
            question = original_print(message, is_latest_message, **kwargs)
        if custom is not None:
            console.rasa.shared.utils.cli.print_color(
                describe(custom), color=console.rasa.shared.utils.io.bcolors.OKGREEN
            )
        return question

    async def send_message_receive_block(
        server_url: str, auth_token: str, sender_id: str, message: str
    ) -> List[Dict[str, Any]]:
        url = f"{server_url}/webhooks/rest/webhook?token={auth_token}"
        async with aiohttp.ClientSession() as session:
            async with session.post(url, json=_payload(sender_id, message), raise_for_status=True) as resp:
                return await resp.json()

    async def send_message_receive_stream(
        server_url: str, auth_token: str, sender_id: str, message: str, request_timeout: Optional[int] = None
    ) -> AsyncGenerator[Dict[str, Any], None]:
        url = f"{server_url}/webhooks/rest/webhook?stream=true&token={auth_token}"
        timeout = console._get_stream_reading_timeout(request_timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.post(url, json=_payload(sender_id, message), raise_for_status=True) as resp:
                async for line in resp.content:
                    if line:
                        yield json.loads(line.decode("utf-8"))

    console._print_bot_output = print_bot_output
    console.send_message_receive_block = send_message_receive_block
    console._send_message_receive_stream = send_message_receive_stream
    console._sz_readable = True
