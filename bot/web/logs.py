"""Logging that never shows identifiers, credentials or personal numbers carried in URLs: openids,
access tokens, the WeCom robot key and the app secret are masked, and so are ID-card, mobile and
landline numbers (a staff search by phone puts one in the query string)."""

from __future__ import annotations

import logging
import re

from flows.masking import mask_numbers_in

_SECRET_PARAMS = re.compile(r"((?:openid|access_token|key|secret|appid)=)[^&\s\"']+")


def mask_query(text: str) -> str:
    """A URL or log line with identifying and secret query parameters masked."""
    return _SECRET_PARAMS.sub(r"\1***", text)


def mask_url(text: str) -> str:
    """A logged URL with its secrets and any personal number in it masked."""
    return mask_numbers_in(mask_query(text) if "=" in text else text)


# Loggers that print request URLs: uvicorn's access log, and httpx (the simulator's in-process
# pushes and, later, outbound API calls).
URL_LOGGERS = ("uvicorn.access", "httpx")


def _masked(arg: object) -> object:
    if isinstance(arg, int | float) or arg is None:
        return arg
    text = str(arg)
    masked = mask_url(text)
    return arg if masked == text else masked


class MaskOpenIds(logging.Filter):
    """Mask identifiers and credentials in logged URLs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_masked(arg) for arg in record.args)
        return True


def install() -> None:
    """Attach the masking filter to every logger that prints URLs (safe to call twice)."""
    for name in URL_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskOpenIds) for f in logger.filters):
            logger.addFilter(MaskOpenIds())
