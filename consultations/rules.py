"""Which bodies an award form is consulted with, and what their silence means: data
(`data/consultation.json`), read once."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "consultation.json"
MAX_DUE_IN_DAYS = 60  # working days: a request is answered within weeks, not a season


@dataclass(frozen=True)
class FormRule:
    bodies: tuple[str, ...]
    silence_is_agreement: bool


@cache
def _data() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


def default_due_in_days() -> int:
    return int(_data().get("default_due_in_days", 10))


def for_form(code: str) -> FormRule:
    """The form's rule; a form the data does not name needs no consultation, and a body the
    officer consults anyway is silent-agreeing (Decree 39/2012: the board proceeds)."""
    row = _data()["forms"].get(code, {})
    return FormRule(
        bodies=tuple(row.get("bodies", ())),
        silence_is_agreement=bool(row.get("silence_is_agreement", True)),
    )
