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
        channel_service_key=env.get("SZ_CHANNEL_SERVICE_KEY", "dev-channel-key-change-me"),
        document_link_secret=env.get("SZ_DOCUMENT_LINK_SECRET", "dev-document-secret-change-me"),
        public_base_url=env.get("SZ_BACKEND_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
        holiday_file=Path(env.get("SZ_HOLIDAY_FILE", str(DATA_DIR / "holidays.yml"))),
        seed_demo_data=env.get("SZ_SEED_DEMO", "1") == "1",
        password_hash_profile=env.get("SZ_PASSWORD_HASH", "default"),
        cors_origins=tuple(o.strip() for o in env.get("SZ_CORS_ORIGINS", "http://127.0.0.1:8080,http://localhost:8080")
                           .split(",") if o.strip()),
        sms_gateway=env.get("SZ_SMS_GATEWAY", "outbox"),
        wechat_app_id=env.get("WECHAT_APP_ID", ""),
        wechat_app_secret=env.get("WECHAT_APP_SECRET", ""),
        wechat_api_base=env.get("WECHAT_API_BASE", "https://api.weixin.qq.com").rstrip("/"),
    )
