"""What a resident's first message can mean, as the front door acts on it."""

from __future__ import annotations

from dataclasses import dataclass

# The kinds of intent, in the order the front door prefers them on a tie.
FLOW = "flow"  # key: a flow's name (report, my_reports, my_info, binding, update_info, office…)
REPORT = "report"  # key: a report category (reports.yaml)
SERVICE = "service"  # key: a catalogue service (services/*.yaml)
GUIDE = "guide"  # key: an office-guide topic (office.yaml: hours, address, phone)
FAQ = "faq"  # key: a common question (faq.yaml)
SMALLTALK = "smalltalk"  # key: an understanding.yaml small-talk entry (greeting, thanks…)
HUMAN = "human"  # key: "" — asking for a person in everyday words
KINDS = (FLOW, REPORT, SERVICE, GUIDE, FAQ, SMALLTALK, HUMAN)


@dataclass(frozen=True)
class Intent:
    """One thing a message can mean: its kind, its key, and its title when offered by number."""

    kind: str
    key: str
    title: str = ""

    @property
    def label(self) -> str:
        """kind:key, as the corpus and the not-understood log name it ("report:shared_bike")."""
        return f"{self.kind}:{self.key}" if self.key else self.kind
