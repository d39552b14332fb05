"""The proposing unit's part of the dossier page (web/proposer.py): the board's return at the
top while the dossier is returned, and the unit's links and required-documents checklist while
it holds the dossier.

    {% load proposer %}{% unit_panel %}        (needs `dossier` and `request` in the context)
    {{ kind|kind_name }}                       a document kind in the page's language
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

from web import proposer

register = template.Library()


@register.inclusion_tag("proposer/dossier_panel.html", takes_context=True)
def unit_panel(context: template.Context) -> dict[str, Any]:
    return proposer.panel(context["request"].user, context["dossier"])


@register.filter
def kind_name(kind: Any) -> str:
    """A document kind's name: its English name on an English page, else its Vietnamese one."""
    if kind is None:
        return ""
    if (get_language() or "").startswith("en") and getattr(kind, "name_en", ""):
        return str(kind.name_en)
    return str(kind.name)
