"""Every environment variable the bot reads, in one place, typed and with its default.

Why one module: the Rasa server, the action server and the scripts each read the
environment, and the same variable (``SZ_BACKEND_URL``) was read in five files
with its default written out in each. Here each variable has one name, one
default and one line of documentation; the code asks ``load()`` for a
``Settings`` value instead of calling ``os.environ``.

``load()`` reads the environment each time it is called (a few microseconds),
not once at import: tests and the launch scripts set variables after the bot's
modules are imported, and every reader so far saw the value of the moment.
Pass ``environ`` to read another mapping (tests).

Rules kept from the readers this replaced: an empty variable counts as unset
where the reader used ``os.environ.get(NAME) or default`` (most of them); the
exceptions are noted on their fields. Secrets have no default that would work in
production; development defaults say "change-me".
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional, Tuple

DEFAULT_BACKEND_URL = "http://127.0.0.1:8000"
DEFAULT_CHANNEL_SERVICE_KEY = "dev-channel-key-change-me"
DEFAULT_WIDGET_ORIGINS: Tuple[str, ...] = ("http://127.0.0.1:8080", "http://localhost:8080")
DEFAULT_RASA_INTERFACE = "127.0.0.1"
DEFAULT_SMS_OUTBOX = "var/sms-outbox.jsonl"
DEFAULT_MAX_MESSAGE_CHARS = 1000
DEFAULT_STATE_STORE = "memory"

RASA_PATCHES_ENV = "SZ_RASA_PATCHES"
TRACKER_STORE_KEY_ENV = "SZ_TRACKER_STORE_KEY"
STATE_STORE_ENV = "SZ_CHANNEL_STATE_STORE"
_OFF = frozenset({"off", "0", "false", "no"})

# WeChat channel credentials that may come from the environment instead of credentials.yml:
# credentials key -> variable (bot/channels/wechat/channel.py fills the keys the file leaves empty).
WECHAT_ENV: Dict[str, str] = {
    "token": "WECHAT_TOKEN",
    "app_id": "WECHAT_APP_ID",
    "app_secret": "WECHAT_APP_SECRET",
    "encoding_aes_key": "WECHAT_ENCODING_AES_KEY",
    "api_base": "WECHAT_API_BASE",
    "public_url": "WECHAT_PUBLIC_URL",
    "oauth_base": "WECHAT_OAUTH_BASE",
    "link_base": "SZ_BACKEND_PUBLIC_URL",
    "allow_plaintext": "WECHAT_ALLOW_PLAINTEXT",
}


@dataclass(frozen=True)
class Settings:
    """The bot's environment, read by ``load()`` (variable names in the comments)."""

    # -- the backend ------------------------------------------------------------------
    backend_url: str = DEFAULT_BACKEND_URL  # SZ_BACKEND_URL: the backend as the bot's servers reach it
    # SZ_BACKEND_TIMEOUT: read timeout (seconds) of the action server's backend calls; None (unset or not
    # a number): the client's default (bot/backend_client.py DEFAULT_TIMEOUT)
    backend_read_timeout: Optional[float] = None
    # SZ_CHANNEL_SERVICE_KEY: the key the channel servers present to the backend's /channels/* endpoints
    channel_service_key: str = DEFAULT_CHANNEL_SERVICE_KEY
    # -- the action server ------------------------------------------------------------
    now: Optional[str] = None  # SZ_NOW, else the backend's SZ_BACKEND_NOW: ISO time that pins "now" (demos, tests)
    # SZ_VALUES_WARM: "1" / "0" forces the value parsers' warm-up on / off; None (unset) = only in the
    # action server. Set but empty counts as set (not "1": no warm-up), as it always did.
    values_warm: Optional[str] = None
    # -- the Rasa server ----------------------------------------------------------------
    widget_origins: Tuple[str, ...] = DEFAULT_WIDGET_ORIGINS  # SZ_WIDGET_ORIGINS: comma-separated CORS origins
    rasa_interface: str = DEFAULT_RASA_INTERFACE  # SZ_RASA_INTERFACE: the address `rasa run` listens on
    rasa_auth_token: str = ""  # SZ_RASA_AUTH_TOKEN: the token of Rasa's HTTP API (scripts/run.sh makes one)
    rasa_patches: bool = True  # SZ_RASA_PATCHES: off / 0 / false / no switch bot/rasa_ext's patches off
    # SZ_TRACKER_STORE_KEY: comma-separated secrets of the tracker store's slot encryption (the first
    # encrypts; the others still decrypt), as written (bot/rasa_ext/tracker_store.py parses it)
    tracker_store_key: str = ""
    dev_mode: bool = False  # SZ_DEV_MODE=1: development (the tracker store accepts its development key)
    # -- channels -------------------------------------------------------------------------
    max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS  # SZ_MAX_MESSAGE_CHARS: longer messages are not understood
    state_store: str = DEFAULT_STATE_STORE  # SZ_CHANNEL_STATE_STORE: "memory" or a redis:// URL
    sms_outbox: str = DEFAULT_SMS_OUTBOX  # SZ_SMS_OUTBOX: development SMS outbox (JSON lines)
    sms_gateway_url: Optional[str] = None  # SZ_SMS_GATEWAY_URL: production SMS gateway (None: the outbox)
    sms_gateway_key: str = ""  # SZ_SMS_GATEWAY_KEY: its bearer key
    ivr_webhook_secret: Optional[str] = None  # IVR_WEBHOOK_SECRET: the phone front end's shared secret
    # WECHAT_TOKEN, WECHAT_APP_ID, ... (WECHAT_ENV): the WeChat credentials set in the environment
    wechat: Mapping[str, str] = field(default_factory=dict)
    # -- `rasa shell` (bot/channels/console.py) --------------------------------------------
    shell_user: Optional[str] = None  # SZ_SHELL_USER: log the shell in as this person (None: anonymous)
    shell_password: Optional[str] = None  # SZ_SHELL_PASSWORD: their password (None: asked for)

    @property
    def tracker_store_keys(self) -> Tuple[str, ...]:
        """The tracker-store secrets, stripped, empty ones left out."""
        return tuple(k.strip() for k in self.tracker_store_key.split(",") if k.strip())


def _float_or_none(raw: Optional[str]) -> Optional[float]:
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        return None


def _positive_int(raw: Optional[str], default: int) -> int:
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        return default
    return value if value > 0 else default


def load(environ: Optional[Mapping[str, str]] = None) -> Settings:
    """The settings in ``environ`` (default: the process environment, read now)."""
    env = os.environ if environ is None else environ
    origins = tuple(o.strip().rstrip("/") for o in env.get("SZ_WIDGET_ORIGINS", "").split(",") if o.strip())
    return Settings(
        backend_url=env.get("SZ_BACKEND_URL") or DEFAULT_BACKEND_URL,
        backend_read_timeout=_float_or_none(env.get("SZ_BACKEND_TIMEOUT")),
        channel_service_key=env.get("SZ_CHANNEL_SERVICE_KEY") or DEFAULT_CHANNEL_SERVICE_KEY,
        now=env.get("SZ_NOW") or env.get("SZ_BACKEND_NOW") or None,
        values_warm=env.get("SZ_VALUES_WARM"),
        widget_origins=origins or DEFAULT_WIDGET_ORIGINS,
        rasa_interface=env.get("SZ_RASA_INTERFACE") or DEFAULT_RASA_INTERFACE,
        rasa_auth_token=env.get("SZ_RASA_AUTH_TOKEN", ""),
        rasa_patches=env.get(RASA_PATCHES_ENV, "on").strip().lower() not in _OFF,
        tracker_store_key=env.get(TRACKER_STORE_KEY_ENV, ""),
        dev_mode=env.get("SZ_DEV_MODE") == "1",
        max_message_chars=_positive_int(env.get("SZ_MAX_MESSAGE_CHARS"), DEFAULT_MAX_MESSAGE_CHARS),
        state_store=env.get(STATE_STORE_ENV) or DEFAULT_STATE_STORE,
        sms_outbox=env.get("SZ_SMS_OUTBOX") or DEFAULT_SMS_OUTBOX,
        sms_gateway_url=env.get("SZ_SMS_GATEWAY_URL") or None,
        sms_gateway_key=env.get("SZ_SMS_GATEWAY_KEY") or "",
        ivr_webhook_secret=env.get("IVR_WEBHOOK_SECRET") or None,
        wechat={key: env[name] for key, name in WECHAT_ENV.items() if env.get(name)},
        shell_user=env.get("SZ_SHELL_USER"),
        shell_password=env.get("SZ_SHELL_PASSWORD") or None,
    )
