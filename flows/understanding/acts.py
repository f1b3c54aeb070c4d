"""Where an understood intent leads: the flow it starts and the answers handed to it."""

from __future__ import annotations

from typing import Any

from flows.understanding.intents import FLOW, GUIDE, REPORT, SERVICE, Intent

# The unlisted flow that offers close candidates by number and answers FAQ and small talk.
FRONT_DOOR = "front_door"
# The flows the front door hands to (their names are fixed: issue 13's design).
REPORT_FLOW, CHECKLIST_FLOW, OFFICE_FLOW = "report", "checklist", "office"


def handing(intent: Intent, said: str) -> tuple[str, dict[str, Any]] | None:
    """The flow an intent starts and what it is given (a report's guessed category with the
    sentence kept as its description, a service, a guide topic); None: the front door answers
    it itself (a common question, small talk, a person)."""
    if intent.kind == FLOW:
        return intent.key, {}
    if intent.kind == REPORT:
        return REPORT_FLOW, {"category": {"key": intent.key, "guessed": True, "said": said}}
    if intent.kind == SERVICE:
        return CHECKLIST_FLOW, {"service": intent.key}
    if intent.kind == GUIDE:
        return OFFICE_FLOW, {"topic": intent.key}
    return None


def candidates_of(intents: tuple[Intent, ...]) -> list[dict[str, str]]:
    """Intents as the conversation state keeps them while the resident chooses."""
    return [{"kind": i.kind, "key": i.key, "title": i.title} for i in intents]


def intent_of(kept: dict[str, Any]) -> Intent:
    """An intent kept in the conversation state (candidates_of) as it was."""
    return Intent(kept["kind"], kept["key"], kept.get("title", ""))
