"""Linli's one settings object, read from the environment (prefix LINLI_)."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER = "change-me"
DEFAULT_DATA_DIR = Path("data")


class Env(StrEnum):
    """Where Linli runs: demo and dev enable the simulator, production refuses placeholders."""

    demo = "demo"
    dev = "dev"
    production = "production"


class Settings(BaseSettings):
    """Everything an operator can set; names match DESIGN.md."""

    model_config = SettingsConfigDict(env_prefix="LINLI_", env_file=".env", extra="ignore")

    env: Env = Env.dev
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
    # Where staff reach Linli (https://linli.example.gov.cn): WeCom notices link to the report.
    public_url: str = Field(default="", pattern=r"^(https?://[^\s]+)?$")

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
    def _no_placeholders_in_production(self) -> Settings:
        if self.env is Env.production:
            weak = [
                name
                for name in ("wechat_token", "wechat_app_secret", "secret_key", "data_key")
                if getattr(self, name) in ("", PLACEHOLDER) or len(getattr(self, name)) < 8
            ]
            if weak:
                names = ", ".join(f"LINLI_{n.upper()}" for n in weak)
                raise ValueError(f"production refuses placeholder or short secrets: {names}")
        return self

    @property
    def tz(self) -> ZoneInfo:
        """The committee's local time zone."""
        return ZoneInfo(self.timezone)

    @property
    def safe_mode(self) -> bool:
        """True when an EncodingAESKey is set: pushes must arrive encrypted."""
        return bool(self.wechat_aes_key)

    @property
    def simulator_enabled(self) -> bool:
        """The simulator exists only in demo and dev."""
        return self.env is not Env.production


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
