"""An in-memory WeChat API (token, messages, media, menu, WeCom robot) with error injection."""

from bot.sandbox.app import create_sandbox

__all__ = ["create_sandbox"]
