"""People by their names on the pages: `{{ user|person }}` → "Nguyễn Văn An" (the sign-in name
when the account has no name; accounts/names.py says why Django's `get_full_name` is not used).
"""

from __future__ import annotations

from django import template

from accounts.names import full_name

register = template.Library()


@register.filter
def person(user: object) -> str:
    return full_name(user) if user is not None and hasattr(user, "get_username") else ""
