"""Content files (YAML, zh-CN): loaded, validated, and reported with file, line and reason."""

from __future__ import annotations

import string
from dataclasses import dataclass
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

from config.report_content import ReportContent
from config.report_exports import ReportExports

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
    system_error: str = NonEmpty
    choose_hint: str = NonEmpty
    hints: Hints
    commands: Commands

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


class Notifications(Strict):
    """Delivery routes per kind of outbound message, and what staff notices say."""

    robot_heading: str = NonEmpty
    staff_texts: StaffTexts
    call_list: CallList
    kinds: dict[str, NotificationKind] = NonEmpty

    @field_validator("robot_heading")
    @classmethod
    def _heading_placeholders(cls, value: str) -> str:
        unknown = _placeholders(value) - {"count"}
        if unknown:
            raise ValueError(f"unknown placeholder {{{sorted(unknown)[0]}}}")
        return value


CONSOLE_KEYS = frozenset(
    (
        "app_name",
        "nav_home",
        "nav_account",
        "nav_staff",
        "nav_audit",
        "sign_out",
        "sign_in_title",
        "username",
        "password",
        "sign_in",
        "sign_in_failed",
        "welcome",
        "home_intro",
        "role_subdistrict_admin",
        "role_committee_staff",
        "role_grid_worker",
        "change_password",
        "current_password",
        "new_password",
        "save",
        "password_changed",
        "staff_title",
        "add_staff",
        "display_name",
        "role",
        "committee",
        "status",
        "active",
        "disabled",
        "disable",
        "enable",
        "staff_added",
        "audit_title",
        "when",
        "who",
        "action",
        "object",
        "search",
        "export_csv",
        "no_entries",
        "refused",
        "nav_places",
        "places_title",
        "place_name",
        "place_kind",
        "kind_building",
        "kind_public",
        "grid_area",
        "coordinates",
        "latitude",
        "longitude",
        "add_place",
        "place_saved",
        "import_places",
        "import_help",
        "csv_file",
        "import_done",
        "import_problem",
        "api_tokens",
        "api_tokens_help",
        "token_shown_once",
        "token_name",
        "token_last_used",
        "token_revoked",
        "revoke",
        "new_token",
        "nav_reports",
        "reports_title",
        "my_reports",
        "all_reports",
        "home_reports_link",
        "status_open",
        "status_all",
        "any",
        "report_reference",
        "report_category",
        "report_place",
        "report_handler",
        "handler_unassigned",
        "waiting_hours",
        "report_age",
        "report_followers",
        "report_urgent",
        "no_reports",
        "page_of",
        "page_prev",
        "page_next",
        "export_xlsx",
        "stats_title",
        "stats_total",
        "stats_to_accept",
        "stats_to_resolve",
        "stats_by_status",
        "stats_by_category",
        "stats_follow_up",
        "stats_follow_up_line",
        "duration_minutes",
        "duration_hours",
        "duration_days",
        "back_to_reports",
        "report_created",
        "report_reporter",
        "report_referred_to",
        "report_follow_up",
        "report_description",
        "report_answers",
        "report_photos",
        "no_photos",
        "photo_pending",
        "photo_failed",
        "report_actions",
        "report_timeline",
        "note_column",
        "public_note_mark",
        "assign_to",
        "refer_to",
        "note_accept",
        "note_start",
        "note_resolve",
        "note_reject",
        "note_refer",
        "note_close",
        "note_note",
        "note_tell_residents",
        "action_accept",
        "action_start",
        "action_resolve",
        "action_reject",
        "action_refer",
        "action_close",
        "action_assign",
        "action_note",
        "report_done",
        "report_refused_status",
        "report_need_note",
        "report_need_where",
        "report_bad_assignee",
        "actor_resident",
        "actor_system",
        "event_created",
        "event_accepted",
        "event_in_progress",
        "event_resolved",
        "event_closed",
        "event_rejected",
        "event_referred",
        "event_reopened",
        "event_note",
        "event_assigned",
        "event_followed",
        "event_repeated",
        "report_overdue",
        "event_reminded",
        "event_escalated",
        "event_follow_up_asked",
        "event_follow_up_answered",
        "source_wechat",
        "source_open311",
        "source_console",
        "follow_up_waiting",
        "follow_up_solved",
        "follow_up_not_solved",
        "follow_up_rated",
        "word_yes",
        "word_no",
    )
)


class ConsoleText(BaseModel):
    """Every word of the staff console, by key."""

    model_config = ConfigDict(extra="allow", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _all_keys(cls, data: object) -> object:
        if isinstance(data, dict):
            missing = sorted(CONSOLE_KEYS - set(data))
            if missing:
                raise ValueError(f"missing {missing[0]}")
            empty = sorted(k for k, v in data.items() if not isinstance(v, str) or not v.strip())
            if empty:
                raise ValueError(f"{empty[0]} must be non-empty text")
        return data

    def __getitem__(self, key: str) -> str:
        return str(getattr(self, key))


FILES: dict[str, type[BaseModel]] = {
    "bot.yaml": BotText,
    "office.yaml": OfficeGuide,
    "notifications.yaml": Notifications,
    "console.yaml": ConsoleText,
    "reports.yaml": ReportContent,
    "report_exports.yaml": ReportExports,
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


def _load_file(path: Path, model: type[BaseModel]) -> tuple[BaseModel | None, list[Problem]]:
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
        return model.model_validate(data), []
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
    if problems:
        raise ContentError(problems)
    return Content(**loaded)  # type: ignore[arg-type]
