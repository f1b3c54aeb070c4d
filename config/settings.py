"""Linli's one settings object, read from the environment (prefix LINLI_)."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER = "change-me"
DEFAULT_DATA_DIR = Path("data")
# The demo keeps its data apart, so a demo-seeded file is never the production database.
DEMO_DATABASE_URL = f"sqlite:///{DEFAULT_DATA_DIR / 'demo.db'}"
DEMO_MEDIA_DIR = DEFAULT_DATA_DIR / "demo-media"
DEMO_OVERLAY_PATH = DEFAULT_DATA_DIR / "demo-overlay.yaml"
# Published in this repository (the Makefile's demo target): refused in production.
DEMO_WECHAT_TOKEN = "linli-demo-token"
DEMO_AES_KEY = "LinliDemoOnlyKeyNotForProduction01234567890"
PUBLISHED_VALUES = frozenset({DEMO_WECHAT_TOKEN, DEMO_AES_KEY})
# LINLI_SECRET_KEY and LINLI_DATA_KEY guard sessions and personal data: long and varied.
MIN_KEY_LENGTH = 32
MIN_KEY_DISTINCT = 10
# The WeChat Token (3-32 letters/digits, typed in the WeChat console) and the AppSecret.
MIN_SECRET_LENGTH = 8
MIN_SECRET_DISTINCT = 5
LONGEST_RUN = 5


def is_placeholder(value: str) -> bool:
    """True for an unset value or one of the change-me… placeholders."""
    return not value.strip() or value.strip().lower().startswith(PLACEHOLDER)


def _repetitive(value: str) -> bool:
    """A run of one character longer than LONGEST_RUN, or a short pattern repeated."""
    run = 1
    for before, after in pairwise(value):
        run = run + 1 if before == after else 1
        if run > LONGEST_RUN:
            return True
    return any(
        value == (value[:period] * (len(value) // period + 1))[: len(value)]
        for period in range(1, len(value) // 2 + 1)
    )


def secret_weakness(value: str, *, length: int, distinct: int) -> str | None:
    """Why a secret is not good enough for production, or None."""
    if is_placeholder(value) or value in PUBLISHED_VALUES:
        return "placeholder or published demo value"
    if len(value) < length:
        return f"shorter than {length} characters"
    if len(set(value)) < distinct:
        return f"fewer than {distinct} different characters"
    if _repetitive(value):
        return "repeats a character or a pattern"
    return None


class Env(StrEnum):
    """Where Linli runs: production (the default) refuses weak secrets; demo and dev accept them
    and serve the simulator unless real WeChat credentials are set."""

    demo = "demo"
    dev = "dev"
    production = "production"


class Settings(BaseSettings):
    """Everything an operator can set (environment variables LINLI_<NAME>; see the README)."""

    model_config = SettingsConfigDict(env_prefix="LINLI_", env_file=".env", extra="ignore")

    # Safe unless asked otherwise: demo or dev only when LINLI_ENV says so.
    env: Env = Env.production
    database_url: str = f"sqlite:///{DEFAULT_DATA_DIR / 'linli.db'}"
    wechat_token: str = PLACEHOLDER
    wechat_app_id: str = "wx0000000000000000"
    wechat_app_secret: str = PLACEHOLDER
    wechat_aes_key: str = ""
    wechat_max_clock_skew: int = Field(default=300, ge=0)
    wechat_api_base: str = "https://api.weixin.qq.com"
    wecom_webhook_url: str = ""
    secret_key: str = PLACEHOLDER
    data_key: str = PLACEHOLDER
    # Keys LINLI_DATA_KEY replaced (comma-separated): sealed values still open with them until
    # `linli keys rotate` has sealed everything again with the current key.
    previous_data_keys: str = ""
    timezone: str = "Asia/Shanghai"
    content_dir: Path = Path(__file__).parent / "content" / "zh-CN"
    conversation_timeout_minutes: int = Field(default=30, ge=1)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    # Database connections per process; the webhook never has more pushes in flight than this.
    db_pool_size: int = Field(default=10, ge=1, le=200)
    # Delivery of outbound messages (see bot/delivery/).
    quiet_hours: str = Field(default="21:00-08:00", pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$")
    send_rate_per_second: float = Field(default=20.0, gt=0)
    delivery_batch: int = Field(default=50, ge=1, le=1000)
    delivery_lease_seconds: int = Field(default=120, ge=5)
    delivery_max_attempts: int = Field(default=8, ge=1)
    delivery_retry_base_seconds: float = Field(default=15.0, gt=0)
    delivery_retry_max_seconds: float = Field(default=3600.0, gt=0)
    wechat_api_timeout_seconds: float = Field(default=5.0, gt=0)
    # Photos residents send with reports, copied from WeChat (which keeps media 3 days).
    media_dir: Path = DEFAULT_DATA_DIR / "media"
    # Synonyms staff add in the console (没看懂的话), validated at start-up like content; every
    # web worker must see the same file (one host, or a shared volume).
    overlay_path: Path = DEFAULT_DATA_DIR / "overlay.yaml"
    # Days a push's raw payload is kept (sealed) for diagnosis; dedup needs only its key.
    raw_retention_days: int = Field(default=3, ge=1, le=90)
    # Where staff reach Linli (https://linli.example.gov.cn): WeCom notices link to the report.
    public_url: str = Field(default="", pattern=r"^(https?://[^\s]+)?$")
    # Proxies whose X-Forwarded-For `linli serve` believes (uvicorn's --forwarded-allow-ips):
    # the sign-in throttle counts per client address, so behind a proxy on another host list it.
    forwarded_allow_ips: str = "127.0.0.1"

    @field_validator("wechat_aes_key")
    @classmethod
    def _aes_key_shape(cls, value: str) -> str:
        if value and (len(value) != 43 or not value.isalnum() or not value.isascii()):
            raise ValueError(
                "EncodingAESKey must be 43 letters or digits (from the WeChat console)"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        ZoneInfo(value)
        return value

    @model_validator(mode="after")
    def _demo_data_apart(self) -> Settings:
        if self.env is Env.demo:
            if "database_url" not in self.model_fields_set:
                self.database_url = DEMO_DATABASE_URL
            if "media_dir" not in self.model_fields_set:
                self.media_dir = DEMO_MEDIA_DIR
            if "overlay_path" not in self.model_fields_set:
                self.overlay_path = DEMO_OVERLAY_PATH
        return self

    @model_validator(mode="after")
    def _strong_secrets_in_production(self) -> Settings:
        if self.env is not Env.production:
            return self
        rules = {
            "wechat_token": (MIN_SECRET_LENGTH, MIN_SECRET_DISTINCT),
            "wechat_app_secret": (MIN_SECRET_LENGTH, MIN_SECRET_DISTINCT),
            "secret_key": (MIN_KEY_LENGTH, MIN_KEY_DISTINCT),
            "data_key": (MIN_KEY_LENGTH, MIN_KEY_DISTINCT),
        }
        weak = {
            name: reason
            for name, (length, distinct) in rules.items()
            if (reason := secret_weakness(getattr(self, name), length=length, distinct=distinct))
        }
        if self.wechat_aes_key in PUBLISHED_VALUES:
            weak["wechat_aes_key"] = "placeholder or published demo value"
        if weak:
            names = "; ".join(f"LINLI_{n.upper()}: {reason}" for n, reason in weak.items())
            raise ValueError(f"production refuses weak secrets: {names}")
        return self

    @property
    def previous_data_key_list(self) -> tuple[str, ...]:
        """LINLI_PREVIOUS_DATA_KEYS, one key each."""
        return tuple(key.strip() for key in self.previous_data_keys.split(",") if key.strip())

    @property
    def tz(self) -> ZoneInfo:
        """The committee's local time zone."""
        return ZoneInfo(self.timezone)

    @property
    def safe_mode(self) -> bool:
        """True when an EncodingAESKey is set: pushes must arrive encrypted."""
        return bool(self.wechat_aes_key)

    @property
    def real_wechat_credentials(self) -> bool:
        """True when an AppSecret is set (not empty, not change-me…): a real Official Account."""
        return not is_placeholder(self.wechat_app_secret)

    @property
    def simulator_enabled(self) -> bool:
        """The simulator (and the demo sandbox) exist only in demo and dev, and never next to
        real WeChat credentials: it reads and speaks as any resident without signing in."""
        return self.env is not Env.production and not self.real_wechat_credentials


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
