"""Content files (YAML, zh-CN): loaded, validated, and reported with file, line and reason."""

from __future__ import annotations

import string
import unicodedata
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from config.application_content import ApplicationContent
from config.binding_content import BindingContent
from config.campaign_content import CampaignContent
from config.console_content import ConsoleText
from config.registry_content import RegistryContent
from config.registry_exports import RegistryExports
from config.report_content import ReportContent
from config.report_exports import ReportExports
from config.review_content import ReviewCatalogue
from config.review_loading import load_reviews
from config.service_checklist import ChecklistText, ServiceCatalogue, check_fits
from config.service_content import Service
from config.understanding_content import FaqContent, UnderstandingContent

NonEmpty = Field(min_length=1)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class Strict(BaseModel):
    """Content models refuse unknown keys, so a typo is reported rather than ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Hints(Strict):
    """Short hints shown when a resident's answer could not be understood."""

    choice: str = NonEmpty
    text_empty: str = NonEmpty
    text_short: str = NonEmpty
    text_long: str = NonEmpty
    yes_no: str = NonEmpty
    date: str = NonEmpty
    mobile: str = NonEmpty
    id_card_length: str = NonEmpty
    id_card_invalid: str = NonEmpty
    location: str = NonEmpty
    image: str = NonEmpty
    voice: str = NonEmpty


class Commands(Strict):
    """Words for the engine's global commands."""

    menu: tuple[str, ...] = NonEmpty
    cancel: tuple[str, ...] = NonEmpty
    back: tuple[str, ...] = NonEmpty
    human: tuple[str, ...] = NonEmpty

    @model_validator(mode="after")
    def _no_word_twice(self) -> Commands:
        seen: dict[str, str] = {}
        for command in ("menu", "cancel", "back", "human"):
            for word in getattr(self, command):
                folded = word.strip().lower()
                if folded in seen:
                    raise ValueError(f"「{word}」 is both a {seen[folded]} and a {command} word")
                seen[folded] = command
        return self


def _fold(word: str) -> str:
    """A word as the engine compares it: NFKC, spaces collapsed, case folded."""
    return " ".join(unicodedata.normalize("NFKC", word).split()).casefold()


class Answers(Strict):
    """Words that answer a yes/no question, the same in every flow."""

    yes_words: tuple[str, ...] = NonEmpty
    no_words: tuple[str, ...] = NonEmpty
    # An answer starting with one of these counts too ("还在滴" is yes, "不漏了" is no).
    yes_starts: tuple[str, ...] = ()
    no_starts: tuple[str, ...] = ()
    # What may follow an answer without changing it (是的呀, 好的谢谢).
    tails: tuple[str, ...] = ()
    # Words of someone unsure: an answer holding one is neither yes nor no (不是很清楚).
    unsure: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _not_both(self) -> Answers:
        for yes, no in (("yes_words", "no_words"), ("yes_starts", "no_starts")):
            folded_no = {_fold(w) for w in getattr(self, no)}
            both = sorted({_fold(w) for w in getattr(self, yes)} & folded_no)
            if both:
                raise ValueError(f"「{both[0]}」 is in both {yes} and {no}")
        return self


# Which {placeholders} each sentence may use; anything else would fail at run time.
ALLOWED_PLACEHOLDERS = {
    "greeting": {"committee", "assistant"},
    "menu_item": {"number", "title"},
    "timed_out": {"minutes"},
}


class BotText(Strict):
    """The engine's own sentences."""

    committee_name: str = ""
    committee_fallback: str = NonEmpty
    assistant_name: str = NonEmpty
    greeting: str = NonEmpty
    menu_header: str = NonEmpty
    menu_item: str = NonEmpty
    menu_footer: str = NonEmpty
    not_understood: str = NonEmpty
    cancelled: str = NonEmpty
    nothing_to_cancel: str = NonEmpty
    back_at_start: str = NonEmpty
    timed_out: str = NonEmpty
    human_requested: str = NonEmpty
    human_already_waiting: str = NonEmpty
    too_many_failures: str = NonEmpty
    unsupported_message: str = NonEmpty
    voice_not_recognised: str = NonEmpty
    # A photo or a location sent before any word starts 我要报事 with it kept (随手拍).
    photo_kept: str = NonEmpty
    location_kept: str = NonEmpty
    system_error: str = NonEmpty
    choose_hint: str = NonEmpty
    hints: Hints
    commands: Commands
    answers: Answers

    @field_validator("answers")
    @classmethod
    def _answers_are_not_commands(cls, answers: Answers, info: ValidationInfo) -> Answers:
        # A command word is read before any answer, so it could never answer a question.
        given = info.data.get("commands")
        commands = {
            _fold(word): name
            for name in ("menu", "cancel", "back", "human")
            for word in (getattr(given, name) if given else ())
        }
        for answer in ("yes_words", "no_words"):
            for word in getattr(answers, answer):
                if _fold(word) in commands:
                    raise ValueError(f"{answer}: 「{word}」 is also a {commands[_fold(word)]} word")
        return answers

    @field_validator("*")
    @classmethod
    def _known_placeholders(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, str):
            unknown = _placeholders(value) - ALLOWED_PLACEHOLDERS.get(info.field_name or "", set())
            if unknown:
                raise ValueError(f"unknown placeholder {{{sorted(unknown)[0]}}}")
        return value

    def hint(self, key: str) -> str:
        """The hint for a key such as 'hint.date'."""
        return getattr(self.hints, key.removeprefix("hint."))


class Topic(Strict):
    """One item of the office guide."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = NonEmpty
    keywords: tuple[str, ...] = ()
    answer: str = ""


class OfficeGuide(Strict):
    """办事指南: topics the office-information flow answers."""

    title: str = NonEmpty
    keywords: tuple[str, ...] = NonEmpty
    prompt: str = NonEmpty
    not_filled: str = NonEmpty
    answer_format: str = NonEmpty
    after_answer: str = NonEmpty
    topics: tuple[Topic, ...] = NonEmpty

    @field_validator("answer_format")
    @classmethod
    def _answer_placeholders(cls, value: str) -> str:
        unknown = _placeholders(value) - {"title", "answer"}
        if unknown:
            raise ValueError(f"unknown placeholder {{{sorted(unknown)[0]}}}")
        return value

    @field_validator("topics")
    @classmethod
    def _unique_keys(cls, topics: tuple[Topic, ...]) -> tuple[Topic, ...]:
        keys = [t.key for t in topics]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise ValueError(f"topic key {duplicates[0]} is used twice")
        return topics


class TemplateRoute(Strict):
    """A template or subscription notification for one kind: its id and data fields."""

    template_id: str = ""
    fields: dict[str, str] = {}

    @property
    def configured(self) -> bool:
        """True once the committee has set a template id."""
        return bool(self.template_id.strip())


class NotificationKind(Strict):
    """How one kind of outbound message is delivered."""

    urgent: bool = False
    template: TemplateRoute | None = None
    subscription: TemplateRoute | None = None


class StaffTexts(Strict):
    """What staff notifications say."""

    human_request: str = NonEmpty
    report_link: str = NonEmpty

    @field_validator("human_request", "report_link")
    @classmethod
    def _known(cls, value: str, info: ValidationInfo) -> str:
        allowed = {"human_request": {"resident", "text"}, "report_link": {"url"}}
        unknown = _placeholders(value) - allowed[info.field_name or ""]
        if unknown:
            raise ValueError(f"unknown placeholder {{{sorted(unknown)[0]}}}")
        return value


class CallList(Strict):
    """The staff call list sheet: its title, column headings and the reasons in words."""

    sheet_title: str = NonEmpty
    headers: tuple[str, ...] = Field(min_length=7, max_length=7)
    reasons: dict[str, str] = NonEmpty

    def reason(self, key: str | None, error_code: int | None) -> str:
        """A reason key or WeChat error code in the committee's words."""
        for candidate in (str(error_code) if error_code is not None else None, key):
            if candidate and candidate in self.reasons:
                return self.reasons[candidate]
        return key or ""


# The kinds of message the code queues; notifications.yaml must route every one of them.
SENT_KINDS = (
    "staff_notice", "staff_reply", "status_update", "reminder", "urgent_notice", "binding_notice",
    "confirmation", "review_reminder", "visit_reminder", "notice",
)  # fmt: skip


class Notifications(Strict):
    """Delivery routes per kind of outbound message, and what staff notices say."""

    robot_heading: str = NonEmpty
    staff_texts: StaffTexts
    call_list: CallList
    kinds: dict[str, NotificationKind] = NonEmpty

    @field_validator("kinds")
    @classmethod
    def _every_sent_kind(cls, kinds: dict[str, NotificationKind]) -> dict[str, NotificationKind]:
        missing = [kind for kind in SENT_KINDS if kind not in kinds]
        if missing:
            raise ValueError(f"no route for kind {missing[0]} (the code sends it)")
        return kinds

    @field_validator("robot_heading")
    @classmethod
    def _heading_placeholders(cls, value: str) -> str:
        unknown = _placeholders(value) - {"count"}
        if unknown:
            raise ValueError(f"unknown placeholder {{{sorted(unknown)[0]}}}")
        return value


FILES: dict[str, type[BaseModel]] = {
    "bot.yaml": BotText,
    "office.yaml": OfficeGuide,
    "notifications.yaml": Notifications,
    "console.yaml": ConsoleText,
    "reports.yaml": ReportContent,
    "report_exports.yaml": ReportExports,
    "registry.yaml": RegistryContent,
    "registry_exports.yaml": RegistryExports,
    "binding.yaml": BindingContent,
    "campaigns.yaml": CampaignContent,
    "understanding.yaml": UnderstandingContent,
    "faq.yaml": FaqContent,
    "applications.yaml": ApplicationContent,
}


@dataclass(frozen=True)
class Content:
    """All validated content, one attribute per file."""

    bot: BotText
    office: OfficeGuide
    notifications: Notifications
    console: ConsoleText
    reports: ReportContent
    report_exports: ReportExports
    registry: RegistryContent
    registry_exports: RegistryExports
    binding: BindingContent
    campaigns: CampaignContent
    understanding: UnderstandingContent
    faq: FaqContent
    applications: ApplicationContent
    services: ServiceCatalogue
    reviews: ReviewCatalogue


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a content file."""

    file: Path
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


class ContentError(Exception):
    """Content files failed validation; `problems` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int:
    """The 1-based line of the YAML node at a pydantic error location (or its nearest parent)."""
    line = node.start_mark.line + 1 if node is not None else 1
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == part), None)
            if child is None:  # an unknown key: point at the key itself
                child = next((k for k, _ in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if part < len(node.value) else None
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line


def _load_file(
    path: Path, model: type[BaseModel], context: dict[str, Any] | None = None
) -> tuple[BaseModel | None, list[Problem]]:
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text)
        data: Any = yaml.safe_load(text)
    except FileNotFoundError:
        return None, [Problem(path, 0, "file is missing")]
    except UnicodeDecodeError:
        return None, [Problem(path, 1, "file is not UTF-8")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        return None, [Problem(path, line, f"not valid YAML: {getattr(exc, 'problem', exc)}")]
    if not isinstance(data, dict):
        return None, [Problem(path, 1, "expected a mapping of keys to values at the top")]
    try:
        return model.model_validate(data, context=context), []
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(p for p in error["loc"] if not str(p).startswith("function-"))
            where = ".".join(str(p) for p in loc) or "(file)"
            reason = error["msg"].removeprefix("Value error, ")
            problems.append(Problem(path, _line_of(node, loc), f"{where}: {reason}"))
        return None, problems


def load_content(directory: Path) -> Content:
    """Load and validate every content file, or raise ContentError listing all problems."""
    loaded: dict[str, BaseModel] = {}
    problems: list[Problem] = []
    for name, model in FILES.items():
        value, found = _load_file(directory / name, model)
        problems.extend(found)
        if value is not None:
            loaded[name.removesuffix(".yaml")] = value
    loaded["services"], found = _load_services(directory / "services")
    problems.extend(found)
    registry, services = loaded.get("registry"), loaded.get("services")
    loaded["reviews"], found = load_reviews(
        directory / "reviews", _load_file, Problem,
        tags=registry.tags if isinstance(registry, RegistryContent) else None,
        statuses=registry.codes.residence_status if isinstance(registry, RegistryContent) else None,
        services=services.by_key if isinstance(services, ServiceCatalogue) else None,
    )  # fmt: skip
    problems.extend(found)
    if problems:
        raise ContentError(problems)
    return Content(**loaded)  # type: ignore[arg-type]


CATALOGUE = "_catalogue.yaml"  # the 办事清单 flow's words; every other file is one service


def _load_services(folder: Path) -> tuple[Any, list[Problem]]:
    """services/: the checklist's words, then one file per service (key = the file's name)."""
    words, problems = _load_file(folder / CATALOGUE, ChecklistText)
    services: list[Service] = []
    for path in sorted(folder.glob("*.yaml")):
        if path.name == CATALOGUE:
            continue
        check = partial(check_fits, words=words) if isinstance(words, ChecklistText) else None
        context = {"key": path.stem, "check": check}
        service, found = _load_file(path, Service, context)
        problems.extend(found)
        if isinstance(service, Service):
            services.append(service)
    if not isinstance(words, ChecklistText):
        return None, problems
    files = sorted(p.stem for p in folder.glob("*.yaml") if p.name != CATALOGUE)
    order = list(words.order)
    twice = sorted({k for k in order if order.count(k) > 1})
    wrong = [f"order: {k} is listed twice" for k in twice]
    wrong += [f"order: {k} has no file services/{k}.yaml" for k in order if k not in files]
    wrong += [f"order: services/{k}.yaml is not listed" for k in files if k not in order]
    if wrong:
        node = yaml.compose((folder / CATALOGUE).read_text(encoding="utf-8"))
        line = _line_of(node, ("order",))
        problems.extend(Problem(folder / CATALOGUE, line, reason) for reason in wrong)
    return ServiceCatalogue.of(words, tuple(services)), problems
