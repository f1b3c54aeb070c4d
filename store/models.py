"""Every table, imported once so SQLModel's metadata knows them all (Alembic and the tests)."""

from store.inbound.models import InboundMessage, WebhookNonce
from store.outbox.models import AccessToken, OutboxMessage
from store.places.models import Place
from store.reports.models import Report, ReportCounter, ReportEvent, ReportFollower, ReportPhoto
from store.residents.models import Conversation, HumanRequest, NotificationConsent, WeChatUser
from store.staff.models import (
    ApiToken,
    AuditEntry,
    Committee,
    LoginAttempt,
    StaffSession,
    StaffUser,
    SubDistrict,
)

__all__ = [
    "AccessToken", "ApiToken", "AuditEntry", "Committee", "Conversation", "HumanRequest",
    "InboundMessage", "LoginAttempt", "NotificationConsent", "OutboxMessage", "Place", "Report",
    "ReportCounter", "ReportEvent", "ReportFollower", "ReportPhoto", "StaffSession", "StaffUser",
    "SubDistrict", "WeChatUser", "WebhookNonce",
]  # fmt: skip
