"""The 办事清单 flow's words (services/_catalogue.yaml), the catalogue as flows see it, and the
checklist as the resident reads it: built here so start-up can refuse a service file whose
checklist would not fit in short messages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from pydantic import Field, model_validator

from config.service_content import Document, Fact, Service, Strict, placeholders

NonEmpty = Field(min_length=1)
# The longest reply a checklist step may be (characters), so an elderly reader can follow it.
MAX_REPLY = 300
# Room kept under MAX_REPLY for what the engine adds to a step (numbered options, a hint).
RESERVE = 40


class Walk(Strict):
    """The item-by-item check of the documents."""

    offer: str = NonEmpty
    check: str = NonEmpty
    check_words: tuple[str, ...] = ()
    skip: str = NonEmpty
    skip_words: tuple[str, ...] = ()
    item: str = NonEmpty  # {number} {total} {name}
    ready: str = NonEmpty
    missing: str = NonEmpty
    missing_item: str = NonEmpty  # {number} {name} {get_it}
    get_it_unknown: str = NonEmpty
    missing_end: str = NonEmpty


class Application(Strict):
    """Applying in chat after the checklist."""

    apply: str = NonEmpty
    apply_words: tuple[str, ...] = ()
    decline: str = NonEmpty
    decline_words: tuple[str, ...] = ()
    declined: str = NonEmpty
    summary: str = NonEmpty  # {service}
    summary_line: str = NonEmpty  # {label} {value}
    submit: str = NonEmpty
    submit_words: tuple[str, ...] = ()
    redo: str = NonEmpty
    redo_words: tuple[str, ...] = ()
    drop: str = NonEmpty  # not submitting after all, at the summary
    submitted: str = NonEmpty  # {service} {reference}


# Which {placeholders} each sentence may use; anything else would fail at run time.
ALLOWED = {
    "prompt": set(),
    "not_found": set(),
    "which": set(),
    "heading": {"name"},
    "asking": {"name", "question"},
    "purpose": {"text"},
    "who": {"text"},
    "step": {"number", "title"},
    "document": {"number", "name", "details"},
    "document_plain": {"number", "name"},
    "count": {"count"},
    "fact": {"label", "text"},
    "note": {"text"},
    "sources": {"sources"},
    "next": set(),
    "closing": set(),
    "item": {"number", "total", "name"},
    "missing_item": {"number", "name", "get_it"},
    "summary": {"service"},
    "summary_line": {"label", "value"},
    "submitted": {"service", "reference"},
}


class ChecklistText(Strict):
    """The 办事清单 flow's words, and the order services are listed in."""

    title: str = NonEmpty
    keywords: tuple[str, ...] = NonEmpty
    shortcuts: tuple[str, ...] = ()
    order: tuple[str, ...] = NonEmpty
    prompt: str = NonEmpty
    not_found: str = NonEmpty
    which: str = NonEmpty
    not_filled: str = NonEmpty
    heading: str = NonEmpty
    # A condition's question, naming the service (the front door may have chosen it).
    asking: str = NonEmpty
    purpose: str = NonEmpty
    who: str = NonEmpty
    step: str = NonEmpty
    steps: dict[Literal["documents", "where"], str]
    online: str = NonEmpty
    notes: str = NonEmpty
    labels: dict[Literal["where", "when", "fees"], str]
    forms: dict[Literal["original", "copy", "original_and_copy"], str]
    document: str = NonEmpty
    document_plain: str = NonEmpty
    count: str = NonEmpty
    fact: str = NonEmpty
    note: str = NonEmpty
    sources: str = NonEmpty
    next: str = NonEmpty
    next_words: tuple[str, ...] = ()
    closing: str = NonEmpty
    walk: Walk
    application: Application

    @model_validator(mode="after")
    def _known_placeholders(self) -> ChecklistText:
        values: list[tuple[str, str]] = [
            (name, getattr(self, name))
            for name in ALLOWED
            if isinstance(getattr(self, name, None), str)
        ]
        values += [(n, getattr(self.walk, n)) for n in ("item", "missing_item")]
        values += [
            (n, getattr(self.application, n)) for n in ("summary", "summary_line", "submitted")
        ]
        for name, value in values:
            unknown = placeholders(value) - ALLOWED[name]
            if unknown:
                raise ValueError(f"{name}: unknown placeholder {{{sorted(unknown)[0]}}}")
        return self


@dataclass(frozen=True)
class ServiceCatalogue:
    """Every service, in the order the checklist lists them, and the flow's words."""

    words: ChecklistText
    services: tuple[Service, ...]
    by_key: Mapping[str, Service] = field(default_factory=dict)

    @classmethod
    def of(cls, words: ChecklistText, services: tuple[Service, ...]) -> ServiceCatalogue:
        """A catalogue in `words.order`."""
        known = {s.key: s for s in services}
        ordered = tuple(known[k] for k in words.order if k in known)
        return cls(words, ordered, {s.key: s for s in ordered})


def check_fits(service: Service, words: ChecklistText) -> None:
    """Refuse a service whose checklist, for some answers, has a reply over the limit."""
    budget = MAX_REPLY - RESERVE
    for answers in service.every_answer():
        for reply in checklist_replies(service, answers, words):
            if len(reply) > budget:
                first = reply.splitlines()[0]
                raise ValueError(
                    f"the checklist has a reply of {len(reply)} characters (at most "
                    f"{budget}) starting 「{first[:20]}」: shorten that line"
                )
        missing = missing_reply(service, documents_for(service, answers), words)
        if len(missing) > budget:
            raise ValueError(
                f"the list of missing documents can be {len(missing)} characters (at most "
                f"{budget}): shorten the documents' get_it"
            )


def documents_for(service: Service, answers: Mapping[str, str]) -> tuple[Document, ...]:
    """The documents a resident needs for these answers to the conditions, in file order."""
    chosen = {f"{c}.{o}" for c, o in answers.items()}
    added: set[str] = set()
    conditional: set[str] = set()
    removed: set[str] = set()
    for c in service.conditions:
        for o in c.options:
            conditional.update(o.adds)
            if f"{c.key}.{o.key}" in chosen:
                added.update(o.adds)
                removed.update(o.removes)
    needed = []
    for d in service.documents:
        base = d.key not in conditional and not d.when
        if (base or d.key in added or chosen & set(d.when)) and d.key not in removed:
            needed.append(d)
    return tuple(needed)


def document_label(document: Document, words: ChecklistText) -> str:
    """A document's name with original/copy (身份证（原件）)."""
    form = words.forms.get(document.form, "") if document.form else ""  # type: ignore[call-overload]
    return f"{document.name}（{form}）" if form else document.name


def _fact(fact: Fact, name: str, service: Service, words: ChecklistText) -> str | None:
    if fact.stated:
        return fact.text.strip()
    return words.not_filled if name in service.committee_fill else None


def _document_line(number: int, d: Document, service: Service, words: ChecklistText) -> str:
    details = [words.forms[d.form]] if d.form else []
    if d.count is not None:
        details.append(words.count.format(count=d.count))
    if d.note.stated:
        details.append(d.note.text.strip())
    if not details:
        return words.document_plain.format(number=number, name=d.name)
    return words.document.format(number=number, name=d.name, details="，".join(details))


def _blocks(service: Service, answers: Mapping[str, str], words: ChecklistText) -> list[list[str]]:
    """The checklist as blocks of lines: heading, documents, where, online, notes, sources."""
    heading = [words.heading.format(name=service.name)]
    for name, template in (("purpose", words.purpose), ("who", words.who)):
        text = _fact(getattr(service, name), name, service, words)
        if text:
            heading.append(template.format(text=text))
    number = 1
    documents = [words.step.format(number=number, title=words.steps["documents"])]
    if service.documents_note.stated:
        documents.append(service.documents_note.text.strip())
    needed = documents_for(service, answers)
    documents += [_document_line(n, d, service, words) for n, d in enumerate(needed, 1)]
    if "documents" in service.committee_fill and not needed:
        documents.append(words.not_filled)
    blocks = [heading, documents]
    where = []
    for name in ("where", "when", "fees"):
        text = _fact(getattr(service, name), name, service, words)
        if text:
            where.append(words.fact.format(label=words.labels[name], text=text))  # type: ignore[index]
    if where:
        number += 1
        blocks.append([words.step.format(number=number, title=words.steps["where"]), *where])
    online = _fact(service.online, "online", service, words)
    if online:
        blocks.append([words.online, online])
    notes = [
        o.note.text.strip()
        for c in service.conditions
        for o in c.options
        if answers.get(c.key) == o.key and o.note.stated
    ]
    notes += [n.text.strip() for n in service.notes]
    if notes:
        blocks.append([words.notes, *(words.note.format(text=n) for n in notes)])
    cited = [
        " ".join(part for part in (s.publisher, s.title, s.number, s.date) if part)
        for s in service.sources
    ]
    blocks.append([words.sources.format(sources="；".join(cited))])
    return blocks


def checklist_replies(
    service: Service, answers: Mapping[str, str], words: ChecklistText
) -> tuple[str, ...]:
    """The personal checklist in short replies: whole steps packed while they fit, a long step
    split between its lines (its heading stays with its first line)."""
    budget = MAX_REPLY - RESERVE
    replies: list[str] = []
    current = ""
    for block in _blocks(service, answers, words):
        units = ["\n".join(block[:2]), *block[2:]]
        for index, unit in enumerate(units):
            joint = "\n\n" if index == 0 else "\n"
            if current and len(current) + len(joint) + len(unit) > budget:
                replies.append(current)
                current = ""
            current = f"{current}{joint}{unit}" if current else unit
    if current:
        replies.append(current)
    return tuple(replies)


def missing_reply(service: Service, missing: tuple[Document, ...], words: ChecklistText) -> str:
    """What is still missing, and where to get each (the end of the item-by-item check)."""
    walk = words.walk
    lines = [walk.missing]
    for number, d in enumerate(missing, 1):
        get_it = d.get_it.text.strip() if d.get_it.stated else walk.get_it_unknown
        name = document_label(d, words)
        lines.append(walk.missing_item.format(number=number, name=name, get_it=get_it))
    lines.append(walk.missing_end)
    return "\n".join(lines)
