"""Loading reviews/: the 年审 words (_reviews.yaml), then one file per programme, checked against
the registry's tags and codes and the service catalogue."""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from config.review_content import Programme, ReviewCatalogue, ReviewText

WORDS = "_reviews.yaml"  # the flow's words; every other file is one programme
# (path, model, context) → (the model or None, problems): config/content.py's loader.
Load = Callable[[Path, Any, dict[str, Any] | None], tuple[Any, list[Any]]]
# (path, line, reason) → a problem: config/content.py's Problem.
Problem = Callable[[Path, int, str], Any]


def load_reviews(
    folder: Path, load: Load, problem: Problem, *, tags: Collection[str] | None,
    statuses: Collection[str] | None, services: Collection[str] | None,
) -> tuple[ReviewCatalogue | None, list[Any]]:  # fmt: skip
    """The review catalogue and every problem found, each with file and line; names are checked
    against the registry and the catalogue only when those loaded (None: not checked)."""
    words, problems = load(folder / WORDS, ReviewText, None)
    programmes: list[Programme] = []
    for path in sorted(folder.glob("*.yaml")):
        if path.name == WORDS:
            continue
        context = {"key": path.stem, "tags": tags, "statuses": statuses, "services": services}
        programme, found = load(path, Programme, context)
        problems += found
        if isinstance(programme, Programme):
            programmes.append(programme)
    if not isinstance(words, ReviewText):
        return None, problems
    files = sorted(p.stem for p in folder.glob("*.yaml") if p.name != WORDS)
    order = list(words.order)
    wrong = [
        f"order: {k} is listed twice" for k in sorted({k for k in order if order.count(k) > 1})
    ]
    wrong += [f"order: {k} has no file reviews/{k}.yaml" for k in order if k not in files]
    wrong += [f"order: reviews/{k}.yaml is not listed" for k in files if k not in order]
    problems += [problem(folder / WORDS, 1, reason) for reason in wrong]
    return ReviewCatalogue.of(words, tuple(programmes)), problems
