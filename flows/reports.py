"""我要报事, 我的报事 and the 回访 question, declared as data over reports.yaml."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from config.report_content import Category, ReportContent
from flows import inputs
from flows.effects import AnswerFollowUp, FileReport, FollowReport
from flows.inbound import Inbound
from flows.steps import (
    IMAGE,
    NO,
    TEXT,
    YES,
    YES_NO,
    Ask,
    Choose,
    Collect,
    Data,
    Done,
    Flow,
    InputKind,
    Option,
    Port,
    Step,
)

REPORT, MINE, FOLLOW_UP = "report", "my_reports", "report_follow_up"
# A late answer to 回访 must be said in words: by then a bare 1 or 2 is a menu choice.
FOLLOW_UP_LATE = "report_follow_up_late"
# A first sentence this long is kept as the description, so it is not asked again.
DESCRIPTION_MIN = 6


# Guesses a category's key from a sentence (the front door's matcher), or None.
Guess = Callable[[str], str | None]


def _category_kind(
    categories: Sequence[Category], hint: str, guesser: Guess | None = None
) -> InputKind:
    """A category by number, name or keyword; otherwise guessed from a sentence."""
    options = [(c.key, (c.name, *c.keywords)) for c in categories]

    def parse(inbound: Inbound, _now: datetime) -> inputs.ParseResult:
        if not inbound.has_words:
            return inputs.Invalid(hint)
        text = inputs.normalise(inbound.text)
        chosen = inputs.parse_choice(text, options)
        direct = isinstance(chosen, inputs.Parsed) and (
            text.isdigit() or any(text in (c.name, *c.keywords) for c in categories)
        )
        if direct:
            return inputs.Parsed({"key": chosen.value, "guessed": False, "said": ""})  # type: ignore[union-attr]
        said = inbound.text.strip()
        guess = _guess(text, categories, guesser)
        if guess is None and (len(text) < 2 or text.isdigit()):
            return inputs.Invalid(hint)
        return inputs.Parsed({"key": guess, "guessed": guess is not None, "said": said})

    return InputKind("report_category", parse, hint)


def _guess(text: str, categories: Sequence[Category], guesser: Guess | None = None) -> str | None:
    """The category the sentence is about: by the front door's matcher when given, else the
    one whose longest keyword appears in it (其他 is never guessed)."""
    if guesser is not None:
        key = guesser(text)
        return key if key in {c.key for c in categories} - {"other"} else None
    best: tuple[int, str] | None = None
    for category in categories:
        if category.key == "other":
            continue
        for word in (category.name, *category.keywords):
            if word and word in text and (best is None or len(word) > best[0]):
                best = (len(word), category.key)
    return best[1] if best else None


def _place_kind(hint: str) -> InputKind:
    """A shared location, or a typed building or place."""

    def parse(inbound: Inbound, _now: datetime) -> inputs.ParseResult:
        if inbound.kind == "location":
            return inputs.parse_location(inbound.lat, inbound.lng, inbound.label)
        if inbound.has_words:
            return inputs.parse_text(inbound.text, max_len=100)
        return inputs.Invalid(hint)

    return InputKind("report_place", parse, hint)


def category_of(data: Data) -> str:
    """The chosen category's key."""
    return data.get("pick_category") or data["category"]["key"]


def _description(data: Data) -> str:
    return data.get("description") or data["category"]["said"]


def _advised(category: Category, said: str) -> str:
    """An urgent category's safety advice first (有明火请拨打119), then what is said."""
    return f"{category.advice}\n{said}" if category.urgent and category.advice else said


def report_flow(content: ReportContent, *, guess: Guess | None = None) -> Flow:
    """我要报事: category, description, place, duplicates, extra questions, photos, confirm;
    yes/no questions and confirms take the committee's yes and no words (bot.yaml `answers`)."""
    words, policy, categories = content.flow, content.policy, content.categories
    by_key = {c.key: c for c in categories}
    category_lines = [
        words.category_item.format(number=n, name=c.name) for n, c in enumerate(categories, 1)
    ]
    category_options = tuple(Option(c.key, c.name, c.keywords) for c in categories)

    def questions_of(data: Data) -> list[str]:
        return [f"q_{category_of(data)}_{q.key}" for q in by_key[category_of(data)].questions]

    def after_category(data: Data) -> str:
        said = data["category"]["said"]
        return "place" if len(said) >= DESCRIPTION_MIN else "description"

    def after_place(data: Data) -> str:
        place = data["place"]
        if not place["matched"] and place["typed"]:
            return "place_unknown"
        return "duplicate" if place.get("duplicate") else after_duplicate(data)

    def after_duplicate(data: Data) -> str | None:
        if data.get("duplicate") == "same":
            return None
        return (questions_of(data) or ["photos" if policy.max_photos else "confirm"])[0]

    def after_question(name: str) -> Any:
        def following(data: Data) -> str:
            asked = questions_of(data)
            later = asked[asked.index(name) + 1 :] if name in asked else []
            return later[0] if later else ("photos" if policy.max_photos else "confirm")

        return following

    def find_place(value: Any, data: Data, port: Port) -> inputs.ParseResult:
        category = category_of(data)
        if isinstance(value, inputs.Location):
            near = port.nearest_place(value.lat, value.lng)
            place = {
                "id": near["id"] if near else None,
                "name": near["name"] if near else value.label,
                "text": value.label,
                "lat": value.lat,
                "lng": value.lng,
                "matched": near is not None,
                "typed": False,
            }
        else:
            found = port.match_place(value)
            place = {
                "id": found["id"] if found else None,
                "name": found["name"] if found else value,
                "text": value,
                "lat": found["lat"] if found else None,
                "lng": found["lng"] if found else None,
                "matched": found is not None,
                "typed": True,
            }
        place["duplicate"] = port.open_duplicate(category, place["id"], place["lat"], place["lng"])
        return inputs.Parsed(place)

    def summary(data: Data) -> str:
        category = by_key[category_of(data)]
        answers = "".join(
            words.summary_answer.format(question=q.ask.split("？")[0] + "：", answer=_said(data, n))
            for q, n in zip(category.questions, questions_of(data), strict=True)
        )
        return words.summary.format(
            category=category.name,
            place=data["place"]["name"] or data["place"]["text"],
            description=_description(data),
            answers=answers,
            photos=len(data.get("photos", [])),
        )

    def _said(data: Data, name: str) -> str:
        value = data.get(name)
        if isinstance(value, bool):
            return words.yes_word if value else words.no_word
        return str(value or "")

    def duplicate_prompt(data: Data) -> str:
        found = data["place"]["duplicate"]
        wording = words.duplicate_own_prompt if found.get("own") else words.duplicate_prompt
        return wording.format(
            place=data["place"]["name"] or data["place"]["text"],
            reference=found["reference"],
            description=found["description"],
            status=found["status"],
        )

    def finish(data: Data, *, openid: str, now: datetime, port: Port) -> Done:
        if data.get("duplicate") == "same":
            found = data["place"]["duplicate"]
            reference = found["reference"]
            said = words.repeated if found.get("own") else words.followed
            category = by_key[category_of(data)]
            return Done(
                replies=(_advised(category, said.format(reference=reference)),),
                effects=(FollowReport(openid, reference),),
            )
        if data.get("confirm") != "submit":
            return Done(replies=(words.discarded,))
        category = by_key[category_of(data)]
        answers = tuple(
            {"key": q.key, "question": q.ask, "answer": _said(data, n)}
            for q, n in zip(category.questions, questions_of(data), strict=True)
        )
        place = data["place"]
        effect = FileReport(
            openid=openid,
            category=category.key,
            description=_description(data),
            answers=answers,
            place_id=place["id"],
            place_text=place["text"],
            lat=place["lat"],
            lng=place["lng"],
            photos=tuple((p["media_id"], p.get("pic_url") or "") for p in data.get("photos", [])),
        )
        return Done(replies=(_advised(category, words.submitted),), effects=(effect,))

    question_steps: list[Step] = [
        Ask(
            f"q_{c.key}_{q.key}",
            prompt=q.ask,
            accepts=YES_NO if q.kind == "yes_no" else TEXT,
            next=after_question(f"q_{c.key}_{q.key}"),
        )
        for c in categories
        for q in c.questions
    ]
    steps: list[Step] = [
        Ask(
            "category",
            prompt="\n".join([words.category_prompt, *category_lines]),
            accepts=_category_kind(categories, words.category_hint, guess),
            next=lambda d: (
                "confirm_category"
                if d["category"]["guessed"]
                else "pick_category"
                if d["category"]["key"] is None
                else after_category(d)
            ),
        ),
        Choose(
            "confirm_category",
            prompt=lambda d: _advised(
                by_key[d["category"]["key"]],
                words.confirm_category.format(name=by_key[d["category"]["key"]].name),
            ),
            options=(
                Option("yes", words.confirm_yes, means=YES),
                Option("no", words.confirm_no, means=NO),
            ),
            next=lambda d: after_category(d) if d["confirm_category"] == "yes" else "pick_category",
        ),
        Choose("pick_category", words.pick_category, category_options, next=after_category),
        Ask("description", prompt=words.description_prompt, accepts=TEXT, next=lambda d: "place"),
        Ask(
            "place",
            prompt=words.place_prompt,
            accepts=_place_kind(words.place_hint),
            lookup=find_place,
            next=after_place,
        ),
        Choose(
            "place_unknown",
            prompt=lambda d: words.place_unknown.format(place=d["place"]["text"]),
            options=(
                Option("keep", words.place_keep),
                Option("retry", words.place_retry),
            ),
            next=lambda d: "place" if d["place_unknown"] == "retry" else after_place_kept(d),
        ),
        Choose(
            "duplicate",
            prompt=duplicate_prompt,
            options=(
                Option("same", words.duplicate_yes, means=YES),
                Option("new", words.duplicate_no, means=NO),
            ),
            next=after_duplicate,
        ),
        *question_steps,
        Collect(
            "photos",
            prompt=words.photos_prompt.format(max=policy.max_photos),
            accepts=IMAGE,
            up_to=max(policy.max_photos, 1),
            finish=tuple(inputs.normalise(w) for w in words.photos_done_words),
            received=words.photo_received,
            next=lambda d: "confirm",
        ),
        Choose(
            "confirm",
            prompt=summary,
            options=(
                Option("submit", words.submit, means=YES),
                Option("discard", words.discard, means=NO),
            ),
            next=lambda d: None,
        ),
    ]

    def after_place_kept(data: Data) -> str | None:
        return "duplicate" if data["place"].get("duplicate") else after_duplicate(data)

    return Flow(
        name=REPORT,
        title=words.title,
        keywords=words.keywords,
        steps=tuple(steps),
        done=finish,
    )


def my_reports_flow(content: ReportContent) -> Flow:
    """我的报事: the resident's own and followed reports with status and the latest note."""
    words = content.mine
    names = {c.key: c.name for c in content.categories}

    def answer(data: Data, *, openid: str, now: datetime, port: Port) -> Done:
        found = port.reports_of(openid)
        if not found:
            return Done(replies=(words.none,))
        lines = [words.header.format(count=len(found))]
        for item in found:
            line = words.followed_item if item["followed"] else words.item
            lines.append(
                line.format(
                    reference=item["reference"],
                    category=names.get(item["category"], item["category"]),
                    status=content.status(item["status"]),
                )
            )
            if item["note"]:
                lines.append(words.latest_note.format(note=item["note"]))
        return Done(replies=("\n".join(lines),))

    return Flow(name=MINE, title=words.title, keywords=words.keywords, steps=(), done=answer)


_TRAILING = " 。.!！~～了啦呀哦"


def _exactly(options: tuple[Option, ...], *, numbers: bool, hint: str) -> InputKind:
    """An option said exactly (its number, when `numbers`, or one of its words, give or take a
    trailing 了): a question Linli asked first must not swallow other messages, such as
    "3栋的水管还没修好" (a new report) or a bare 2 long after (a menu choice)."""
    said = {inputs.normalise(w).casefold().rstrip(_TRAILING): o.key for o in options
            for w in (o.title, *o.words)}  # fmt: skip
    if numbers:
        said |= {str(n): o.key for n, o in enumerate(options, 1)}

    def parse(inbound: Inbound, _now: datetime) -> inputs.ParseResult:
        text = inputs.normalise(inbound.text).casefold().rstrip(_TRAILING)
        key = said.get(text) if inbound.has_words else None
        return inputs.Parsed(key) if key else inputs.Invalid(hint)

    return InputKind("exact_choice", parse, hint)


def follow_up_flow(content: ReportContent, *, late: bool = False) -> Flow:
    """回访: started by the resident's answer to the question the scheduler sent; `late`, once
    the report was closed unanswered, takes only an answer in words."""
    words = content.follow_up
    options = (
        Option("yes", words.solved, words.solved_words),
        Option("no", words.not_solved, words.not_solved_words),
    )

    def question(data: Data) -> str:
        reference, category = data.get("reference", ""), data.get("category", "")
        return words.question.format(reference=reference, category=category)

    def after_solved(data: Data) -> str | None:
        return "rating" if data["solved"] == "yes" else None

    answer = _exactly(options, numbers=not late, hint=words.late_hint)
    solved = Ask("solved", question, accepts=answer, next=after_solved)

    def rating(value: Any, data: Data, now: datetime) -> str | None:
        return None if _score(value) is not None else words.rating_hint

    def finish(data: Data, *, openid: str, now: datetime, port: Port) -> Done:
        solved = data["solved"] == "yes"
        score = _score(data["rating"]) if solved else None
        reply = (words.thanks if solved else words.reopened).format(reference=data["reference"])
        effect = AnswerFollowUp(openid, data["reference"], solved, score)
        return Done(replies=(reply,), effects=(effect,))

    return Flow(
        name=FOLLOW_UP_LATE if late else FOLLOW_UP,
        title=words.solved,
        listed=False,
        steps=(solved, Ask("rating", prompt=words.rating_prompt, accepts=TEXT, validate=rating)),
        done=finish,
    )


_SCORES = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}


def _score(value: Any) -> int | None:
    """A 1–5 rating from '5', '5分', '五分' or '五星'."""
    text = inputs.normalise(str(value)).removesuffix("分").removesuffix("星").strip()
    if text in {"1", "2", "3", "4", "5"}:
        return int(text)
    return _SCORES.get(text)
