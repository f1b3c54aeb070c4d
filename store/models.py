"""Every table, imported once so SQLModel's metadata knows them all (Alembic and the tests)."""

from store.binding.models import BindAttempt, Registration, ResidentBinding, SelfReport
from store.broadcasts.models import Broadcast, BroadcastTarget
from store.campaigns.models import Campaign, CampaignTarget
from store.inbound.models import InboundMessage, WebhookNonce
from store.outbox.models import AccessToken, OutboxMessage
from store.places.models import Place
from store.registry.import_models import RegistryConflict, RegistryImport, ResidentFlag
from store.registry.models import (
    Dwelling,
    Household,
    Residence,
    Resident,
    ResidentChange,
    ResidentTag,
)
from store.reports.models import Report, ReportCounter, ReportEvent, ReportFollower, ReportPhoto
from store.residents.models import Conversation, HumanRequest, NotificationConsent, WeChatUser
from store.reviews.models import (
    Appointment,
    AppointmentSlot,
    ReviewOptOut,
    ReviewRecord,
    ReviewTransition,
)
from store.services.models import (
    ChecklistGiven,
    ServiceApplication,
    ServiceApplicationCounter,
    ServiceApplicationEvent,
)
from store.staff.models import (
    ApiToken,
    AuditEntry,
    Committee,
    LoginAttempt,
    StaffSession,
    StaffUser,
    SubDistrict,
)
from store.understanding.models import UnmatchedMessage

__all__ = [
    "AccessToken",
    "ApiToken",
    "Appointment",
    "AppointmentSlot",
    "AuditEntry",
    "BindAttempt",
    "Broadcast",
    "BroadcastTarget",
    "Campaign",
    "CampaignTarget",
    "ChecklistGiven",
    "Committee",
    "Conversation",
    "Dwelling",
    "Household",
    "HumanRequest",
    "InboundMessage",
    "LoginAttempt",
    "NotificationConsent",
    "OutboxMessage",
    "Place",
    "Registration",
    "RegistryConflict",
    "RegistryImport",
    "Report",
    "ReportCounter",
    "ReportEvent",
    "ReportFollower",
    "ReportPhoto",
    "Residence",
    "Resident",
    "ResidentBinding",
    "ResidentChange",
    "ResidentFlag",
    "ResidentTag",
    "ReviewOptOut",
    "ReviewRecord",
    "ReviewTransition",
    "SelfReport",
    "ServiceApplication",
    "ServiceApplicationCounter",
    "ServiceApplicationEvent",
    "StaffSession",
    "StaffUser",
    "SubDistrict",
    "UnmatchedMessage",
    "WeChatUser",
    "WebhookNonce",
]  # fmt: skip
