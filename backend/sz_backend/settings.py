"""Settings, read from the environment in this one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
BACKEND_DIR = PACKAGE_DIR.parent
REPO_DIR = BACKEND_DIR.parent
DATA_DIR = BACKEND_DIR / "data"


@dataclass(frozen=True)
class Settings:
    database_url: str
    token_ttl_minutes: int
    # Shared secret of the trusted channel front ends (WeChat, IVR): lets them
    # obtain a token for an identity they have verified. Never given to users.
    channel_service_key: str
    # Signs short-lived download links for PDFs (certificates, application forms).
    document_link_secret: str
    public_base_url: str
    holiday_file: Path
    seed_demo_data: bool
    cors_origins: tuple[str, ...]
    password_hash_profile: str  # "default" or "fast" (tests only)
    # Notices to residents (services/notices.py): SMS gateway ("outbox" = development table),
    # WeChat Official Account API for customer-service messages (same variables as the WeChat channel).
    sms_gateway: str = "outbox"
    wechat_app_id: str = ""
    wechat_app_secret: str = ""
    wechat_api_base: str = "https://api.weixin.qq.com"
    # Development mode (SZ_DEV_MODE=1, set by scripts/run.sh and the test stacks): the
    # built-in development secrets and the development SMS outbox are accepted. Without
    # it the backend refuses to start with them (check_production_settings).
    dev_mode: bool = False
    bank_verifier: str = "records"  # "records" (bank_card_records table) or "module:Class"
    # Lock-out: failures of one kind for one subject within the window lock it for the window.
    password_max_failures: int = 5
    pin_max_failures: int = 5
    otp_max_attempts: int = 5
    lock_minutes: int = 15
    source_max_failures: int = 30  # failed log-ins from one client address per window
    otp_ttl_seconds: int = 300


DEV_CHANNEL_SERVICE_KEY = "dev-channel-key-change-me"
DEV_DOCUMENT_LINK_SECRET = "dev-document-secret-change-me"
MIN_SECRET_LENGTH = 24


class InsecureSettings(RuntimeError):
    """The settings would start a production system with development secrets."""


def check_production_settings(settings: "Settings") -> None:
    """Refuse development secrets and adapters unless development mode is explicit (docs/security.md)."""
    if settings.dev_mode:
        return
    problems = []
    for name, value, dev in (
        ("SZ_CHANNEL_SERVICE_KEY", settings.channel_service_key, DEV_CHANNEL_SERVICE_KEY),
        ("SZ_DOCUMENT_LINK_SECRET", settings.document_link_secret, DEV_DOCUMENT_LINK_SECRET),
    ):
        if value == dev or len(value) < MIN_SECRET_LENGTH:
            problems.append(f"{name} is the development default or shorter than {MIN_SECRET_LENGTH} characters")
    if settings.sms_gateway == "outbox":
        problems.append("SZ_SMS_GATEWAY is the development outbox (texts and one-time codes are never sent)")
    if problems:
        raise InsecureSettings(
            "refusing to start outside development mode: "
            + "; ".join(problems)
            + ". Set real secrets (docs/security.md), or SZ_DEV_MODE=1 for development."
        )


def _default_sqlite_url() -> str:
    var = REPO_DIR / "var"
    var.mkdir(exist_ok=True)
    return f"sqlite:///{var / 'backend.sqlite3'}"


@lru_cache
def get_settings() -> Settings:
    env = os.environ
    return Settings(
        database_url=env.get("DATABASE_URL") or _default_sqlite_url(),
        token_ttl_minutes=int(env.get("SZ_TOKEN_TTL_MINUTES", "720")),
        channel_service_key=env.get("SZ_CHANNEL_SERVICE_KEY") or DEV_CHANNEL_SERVICE_KEY,
        document_link_secret=env.get("SZ_DOCUMENT_LINK_SECRET") or DEV_DOCUMENT_LINK_SECRET,
        public_base_url=env.get("SZ_BACKEND_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
        holiday_file=Path(env.get("SZ_HOLIDAY_FILE", str(DATA_DIR / "holidays.yml"))),
        seed_demo_data=env.get("SZ_SEED_DEMO", "1") == "1",
        password_hash_profile=env.get("SZ_PASSWORD_HASH", "default"),
        cors_origins=tuple(
            o.strip()
            for o in env.get("SZ_CORS_ORIGINS", "http://127.0.0.1:8080,http://localhost:8080").split(",")
            if o.strip()
        ),
        sms_gateway=env.get("SZ_SMS_GATEWAY", "outbox"),
        wechat_app_id=env.get("WECHAT_APP_ID", ""),
        wechat_app_secret=env.get("WECHAT_APP_SECRET", ""),
        wechat_api_base=env.get("WECHAT_API_BASE", "https://api.weixin.qq.com").rstrip("/"),
        dev_mode=env.get("SZ_DEV_MODE", "0") == "1",
        bank_verifier=env.get("SZ_BANK_VERIFIER", "records"),
        password_max_failures=int(env.get("SZ_PASSWORD_MAX_FAILURES", "5")),
        pin_max_failures=int(env.get("SZ_PIN_MAX_FAILURES", "5")),
        otp_max_attempts=int(env.get("SZ_OTP_MAX_ATTEMPTS", "5")),
        lock_minutes=int(env.get("SZ_LOCK_MINUTES", "15")),
        source_max_failures=int(env.get("SZ_SOURCE_MAX_FAILURES", "30")),
        otp_ttl_seconds=int(env.get("SZ_OTP_TTL_SECONDS", "300")),
    )
