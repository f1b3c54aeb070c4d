"""Secrets strong enough for production settings in tests (made up, used nowhere else)."""

from __future__ import annotations

PRODUCTION_SECRETS = {
    "env": "production",
    "wechat_token": "Tk7mQ2vX9pL4",
    "wechat_app_secret": "5f1c9a7e3b2d8046e1a9c7b5d3f20864",
    "secret_key": "kS8-vQ3nZ1xR7wT5yU9pL2mB6cD4fG0hJ",
    "data_key": "dK4_hN7jM1qW9eR3tY6uI8oP2aS5dF0gZ",
}
