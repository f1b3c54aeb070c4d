"""The store's one refusal: which field was wrong and why, mapped to an answer in one place."""

from __future__ import annotations


class Refused(ValueError):
    """A store operation refused. `conflict`: the object's state, not the input, is the reason
    (the API answers 409, else 422); `code`: which rule, for wording it; `line`: the row of an
    imported sheet."""

    def __init__(
        self,
        field: str,
        reason: str,
        *,
        conflict: bool = False,
        code: str = "",
        line: int = 0,
    ) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.conflict = conflict
        self.code = code or field
        self.line = line
