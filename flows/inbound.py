"""What a resident sent, as the engine sees it: transport-free and immutable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Inbound:
    """One message or event from a resident."""

    openid: str
    kind: str  # text, voice, image, location, event, video, link, unknown
    at: datetime
    text: str = ""  # text content, or a voice message's Recognition
    event: str = ""  # subscribe, unsubscribe, click, … (lower case)
    event_key: str = ""
    media_id: str = ""
    pic_url: str = ""
    lat: str = ""
    lng: str = ""
    label: str = ""

    @property
    def has_words(self) -> bool:
        """True for a text, or a voice message WeChat could turn into words."""
        return self.kind in ("text", "voice") and bool(self.text.strip())
