"""The front door's matcher: a resident's free text ranked against every intent's phrases.

Text is folded (NFKC, case, punctuation and spaces dropped), written the usual way (the synonym
table: 低包 → 低保, 哈啰 → 共享单车) and stripped of filler words (请问, 一下, 呢). A phrase then
scores by how much of it the message holds: its character bigrams and single characters, each
weighted by how few intents use it (IDF), so "低保" counts for more than "怎么". A phrase held in
full scores near 1, a longer one nearer than a short one, so the most specific phrase wins
("我的手机号码换了" is 更新信息's 手机号码换了 before 办事指南's 号码). Built once; a message
costs a few dictionary look-ups per character.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from flows.understanding.intents import KINDS, SMALLTALK, Intent

# A single character counts for less than a bigram: 漏 and 水 apart say less than 漏水.
UNIGRAM_WEIGHT = 0.35
# How a phrase's weight turns into specificity: held in full, a two-character phrase scores
# about 0.75 and a six-character one about 0.92.
SPECIFICITY = 1.6
# Kinds whose phrases mean something only as the whole message: "谢谢" thanks, but "有人" in
# "有人在楼顶搭铁皮棚" does not ask whether anyone is there.
WHOLE = (SMALLTALK,)


@dataclass(frozen=True)
class Vocabulary:
    """What the matcher reads with (understanding.yaml): fillers, synonyms and thresholds."""

    filler_words: tuple[str, ...] = ()
    synonyms: Mapping[str, Sequence[str]] = field(default_factory=dict)  # usual → others
    confident: float = 0.62
    margin: float = 0.12
    candidate: float = 0.45
    most_candidates: int = 3
    # A general meaning gives way to a specific one said in the same message: label (or
    # "kind:*") → the labels it yields to ("flow:checklist" → "service:*").
    yields: Mapping[str, Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Match:
    """One intent and how well the text matched its best phrase (0–1)."""

    intent: Intent
    score: float


@dataclass(frozen=True)
class Understood:
    """The intent to act on, or the close candidates to offer by number (both empty: none)."""

    best: Intent | None
    candidates: tuple[Intent, ...] = ()


def _fold(text: str) -> str:
    """NFKC and case folded, keeping only letters and digits (punctuation and spaces go)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")


def _alternation(words: Iterable[str]) -> re.Pattern[str] | None:
    """A pattern matching any of the words, the longest first at each position."""
    ordered = sorted({w for w in words if w}, key=lambda w: (-len(w), w))
    return re.compile("|".join(map(re.escape, ordered))) if ordered else None


def _features(text: str) -> dict[str, float]:
    """The text's bigrams (weight 1) and single characters (UNIGRAM_WEIGHT); a one-character
    text is its character at full weight."""
    if len(text) == 1:
        return {text: 1.0}
    found = {ch: UNIGRAM_WEIGHT for ch in text}
    found.update({text[i : i + 2]: 1.0 for i in range(len(text) - 1)})
    return found


class Matcher:
    """Ranks a text against every intent's phrases; built once from content."""

    def __init__(
        self, entries: Sequence[tuple[Intent, Sequence[str]]], vocabulary: Vocabulary
    ) -> None:
        self.vocabulary = vocabulary
        usual = {_fold(u): _fold(u) for u in vocabulary.synonyms}
        usual |= {_fold(o): _fold(u) for u, others in vocabulary.synonyms.items() for o in others}
        self._usual = {k: v for k, v in usual.items() if k}
        self._synonyms = _alternation(self._usual)
        self._fillers = _alternation(_fold(w) for w in vocabulary.filler_words)
        self.intents: list[Intent] = []
        phrases: list[tuple[int, dict[str, float]]] = []
        seen: dict[Intent, int] = {}
        # Each intent's phrases as matched, longest first (for the nesting rule).
        self._said: dict[Intent, list[str]] = defaultdict(list)
        for intent, said in entries:
            index = seen.setdefault(intent, len(self.intents))
            if index == len(self.intents):
                self.intents.append(intent)
            for phrase in sorted({self.normalise(p) for p in said} - {""}):
                phrases.append((index, _features(phrase)))
                self._said[intent].append(phrase)
        for held in self._said.values():
            held.sort(key=len, reverse=True)
        self._yields = {
            _pattern(general): tuple(_pattern(s) for s in specific)
            for general, specific in vocabulary.yields.items()
        }
        # How rare a gram is among all phrases: 怎么 and 在哪 are in many, 低保 in few.
        used_by: dict[str, int] = defaultdict(int)
        for _, features in phrases:
            for gram in features:
                used_by[gram] += 1
        total = max(len(phrases), 1)
        idf = {gram: math.log(1 + total / count) for gram, count in used_by.items()}
        # gram → [(phrase, weight)], and each phrase's intent and whole weight.
        self._index: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self._owner: list[int] = []
        self._mass: list[float] = []
        self._length: list[int] = []
        for number, (index, features) in enumerate(phrases):
            weights = {gram: share * idf[gram] for gram, share in features.items()}
            for gram, weight in weights.items():
                self._index[gram].append((number, weight))
            self._owner.append(index)
            self._mass.append(sum(weights.values()))
            self._length.append(len(features))

    def normalise(self, text: str) -> str:
        """The text as matched: folded, synonyms written the usual way, fillers dropped (all
        of it kept when it is nothing but fillers: 你好, 谢谢)."""
        folded = _fold(text)
        if self._synonyms is not None:
            folded = self._synonyms.sub(lambda m: self._usual[m.group()], folded)
        stripped = self._fillers.sub("", folded) if self._fillers is not None else folded
        return stripped or folded

    def rank(self, text: str, kinds: Sequence[str] = KINDS) -> list[Match]:
        """Every intent of the given kinds the text shares something with, best first."""
        normal = self.normalise(text)
        if not normal:
            return []
        matched: dict[int, float] = defaultdict(float)
        said = _features(normal)
        for gram in said:
            for number, weight in self._index.get(gram, ()):
                matched[number] += weight
        best: dict[int, float] = {}
        for number, weight in matched.items():
            mass = self._mass[number]
            score = (weight / mass) * (mass / (mass + SPECIFICITY))
            owner = self._owner[number]
            if self.intents[owner].kind in WHOLE:  # 你好 greets only when it is all that is said
                score *= min(1.0, self._length[number] / len(said)) ** 0.5
            if score > best.get(owner, 0.0):
                best[owner] = score
        found = [
            Match(self.intents[i], round(s, 4))
            for i, s in best.items()
            if self.intents[i].kind in kinds
        ]
        found.sort(key=lambda m: (-m.score, KINDS.index(m.intent.kind)))
        return found

    def likeliest(self, text: str, kinds: Sequence[str]) -> Intent | None:
        """The best intent of these kinds when it scores at least as a candidate would (the
        resident already said what kind of thing it is: 我要报事, 办事清单)."""
        ranked = self.rank(text, kinds)
        return ranked[0].intent if ranked and ranked[0].score >= self.vocabulary.candidate else None

    def understand(self, text: str) -> Understood:
        """The intent to act on when one clearly leads, else up to most_candidates close ones.

        Among the close ones, a general meaning gives way to a specific one (`yields`), and an
        intent whose phrase is said only as part of another's longer phrase gives way to it
        (居住证 inside 居住证明)."""
        words = self.vocabulary
        ranked = self.rank(text)
        if not ranked or ranked[0].score < words.candidate:
            return Understood(None)
        close = [m for m in ranked if m.score >= words.candidate]
        if len(close) > 1:
            close = self._specific(close, self.normalise(text))
        top = close[0]
        runner_up = close[1].score if len(close) > 1 else 0.0
        if top.score >= words.confident and top.score - runner_up >= words.margin:
            return Understood(top.intent)
        if all(m.intent.kind in WHOLE for m in close):  # "好的谢谢": no choice worth asking
            return Understood(top.intent)
        return Understood(None, tuple(m.intent for m in close[: words.most_candidates]))

    def _specific(self, close: list[Match], normal: str) -> list[Match]:
        """The close matches without those that give way to another close one."""
        held = {m.intent: next((p for p in self._said[m.intent] if p in normal), "") for m in close}
        kept = []
        for match in close:
            mine = held[match.intent]
            gives_way = any(
                other.intent != match.intent
                and (
                    # only to a meaning itself said clearly: "居委会在哪里" stays the address
                    (
                        other.score >= self.vocabulary.confident
                        and self._yields_to(match.intent, other.intent)
                    )
                    or (mine and mine != held[other.intent] and mine in held[other.intent])
                )
                for other in close
            )
            if not gives_way:
                kept.append(match)
        return kept or close

    def _yields_to(self, general: Intent, specific: Intent) -> bool:
        """True when `general` gives way to `specific` (understanding.yaml `yields`)."""
        for pattern, others in self._yields.items():
            if _fits(pattern, general) and any(_fits(o, specific) for o in others):
                return True
        return False


def _pattern(label: str) -> tuple[str, str | None]:
    """A yields label as (kind, key); key None for "kind:*" (any of the kind)."""
    kind, _, key = label.partition(":")
    return kind, None if key == "*" else key


def _fits(pattern: tuple[str, str | None], intent: Intent) -> bool:
    kind, key = pattern
    return intent.kind == kind and (key is None or intent.key == key)


def build_matcher(
    entries: Sequence[tuple[Intent, Sequence[str]]], vocabulary: Vocabulary | None = None
) -> Matcher:
    """A matcher over the (intent, phrases) entries; build it once, at start-up."""
    return Matcher(entries, vocabulary or Vocabulary())
