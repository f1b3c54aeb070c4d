"""The bound registry of tests/store/campaigns, for the bot side of campaigns."""

from tests.store.campaigns.conftest import bound

__all__ = ["bound"]
