"""The understanding overlay: wordings staff added in the console (没看懂的话) as synonyms of an
intent, kept in one YAML file the committee owns (LINLI_OVERLAY_PATH), apart from the shipped
content. Loaded and validated like content (file, line, reason); saved atomically."""

from __future__ import annotations

import os
import tempfile
import unicodedata
from collections.abc import Collection
from datetime import datetime
from pathlib import Path

import yaml
from pydantic import AwareDatetime, Field, field_validator

from config.content import ContentError, Problem, Strict, _line_of, _load_file

# A wording is what a resident types in one message: short, one line.
MAX_WORDING = 60
LABEL_PATTERN = r"^[a-z][a-z_]*(:[a-z0-9_]+)?$"
FILE_MODE = 0o640
HEADER = (
    "# 没看懂的话：工作人员在管理后台添加的说法（居委会自有，可随时增删）。\n"
    "# Synonyms staff added in the console; Linli validates this file at start-up.\n"
)


def fold(wording: str) -> str:
    """A wording as two entries are compared: NFKC, spaces removed, case folded."""
    return "".join(unicodedata.normalize("NFKC", wording).split()).casefold()


class Synonym(Strict):
    """One wording staff added: what residents say, the intent it means ("kind:key"), who added
    it and when."""

    wording: str = Field(min_length=1, max_length=MAX_WORDING)
    label: str = Field(pattern=LABEL_PATTERN, max_length=80)
    added_by: str = Field(min_length=1, max_length=64)
    added_at: AwareDatetime

    @field_validator("wording")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if not value.strip() or value != value.strip():
            raise ValueError("wording must be text without spaces around it")
        if any(unicodedata.category(c).startswith("C") for c in value):
            raise ValueError("wording must be one line of text")
        return value


class Overlay(Strict):
    """Every synonym staff added, in the order they were added; no wording twice."""

    synonyms: tuple[Synonym, ...] = ()

    @field_validator("synonyms")
    @classmethod
    def _no_wording_twice(cls, synonyms: tuple[Synonym, ...]) -> tuple[Synonym, ...]:
        seen: dict[str, str] = {}
        for synonym in synonyms:
            folded = fold(synonym.wording)
            if folded in seen:
                raise ValueError(
                    f"「{synonym.wording}」 is listed twice ({seen[folded]}, {synonym.label})"
                )
            seen[folded] = synonym.label
        return synonyms

    def label_of(self, wording: str) -> str | None:
        """The label a wording was added to, or None when it is not in the overlay."""
        folded = fold(wording)
        return next((s.label for s in self.synonyms if fold(s.wording) == folded), None)

    def adding(self, wording: str, label: str, *, added_by: str, added_at: datetime) -> Overlay:
        """This overlay with one more synonym (validated as the file would be)."""
        new = {"wording": wording, "label": label, "added_by": added_by, "added_at": added_at}
        return Overlay.model_validate({"synonyms": [*self.synonyms, new]})


def load_overlay(path: Path, known: Collection[str] | None = None) -> Overlay:
    """The overlay in `path` (empty when there is no file), or ContentError naming the file, the
    line and the reason; with `known`, a label outside it is refused too."""
    if not path.exists():
        return Overlay()
    loaded, problems = _load_file(path, Overlay)
    if problems:
        raise ContentError(problems)
    assert isinstance(loaded, Overlay)
    if known is not None:
        unknown = [(i, s.label) for i, s in enumerate(loaded.synonyms) if s.label not in known]
        if unknown:
            node = yaml.compose(path.read_text(encoding="utf-8"))
            raise ContentError([
                Problem(path, _line_of(node, ("synonyms", i, "label")),
                        f"synonyms.{i}.label: unknown intent {label}")
                for i, label in unknown
            ])  # fmt: skip
    return loaded


def dump_overlay(overlay: Overlay) -> str:
    """The overlay as the YAML file holds it."""
    rows = [
        {"wording": s.wording, "label": s.label, "added_by": s.added_by,
         "added_at": s.added_at.isoformat(timespec="seconds")}
        for s in overlay.synonyms
    ]  # fmt: skip
    return HEADER + yaml.safe_dump({"synonyms": rows}, allow_unicode=True, sort_keys=False)


def save_overlay(path: Path, overlay: Overlay) -> None:
    """Write the overlay atomically (a temporary file beside it, then a rename), mode 0640:
    a reader sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            os.fchmod(out.fileno(), FILE_MODE)
            out.write(dump_overlay(overlay))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
