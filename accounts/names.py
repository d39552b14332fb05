"""A person as the pages, documents and messages name them.

Vietnamese names read family name first: "Nguyễn Văn An" is stored as `last_name` "Nguyễn Văn"
(họ và tên đệm) and `first_name` "An" (tên), the labels Django's Vietnamese admin gives those
fields. Django's `get_full_name()` joins them the other way round ("An Nguyễn Văn"), so every
place that names a person asks here instead. A user without a name is named by the sign-in
name, as before."""

from __future__ import annotations

from typing import Any


def person_name(first_name: str, last_name: str) -> str:
    """The full name in the Vietnamese order (family and middle names, then the given name)."""
    return " ".join(part for part in (last_name.strip(), first_name.strip()) if part)


def full_name(user: Any) -> str:
    """The user's full name, else the sign-in name; "" for no user."""
    if user is None:
        return ""
    name = person_name(user.first_name or "", user.last_name or "")
    return name or user.get_username()


def split_name(name: str) -> tuple[str, str]:
    """A full name as (`first_name`, `last_name`): the given name is the last word."""
    *family, given = name.split()
    return given, " ".join(family)
