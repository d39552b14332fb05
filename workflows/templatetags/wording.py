"""`{% load wording %}`: codes in words, in any template (workflows/wording.py says which).

{{ nominee.outcome_reason|reason_label }}  {{ value|state_label }}  {{ event.action|action_label }}
"""

from django import template

from workflows import wording

register = template.Library()


@register.filter
def reason_label(value: str) -> str:
    """A reason code by its label; free text as it is."""
    return wording.reason_label(value)


@register.filter
def state_label(value: str) -> str:
    """A dossier state by its label."""
    return wording.state_label(value)


@register.filter
def action_label(value: str) -> str:
    """A ledger action by its words ("Trả lại hồ sơ để bổ sung")."""
    return wording.action_label(value)


@register.filter
def rule_label(value: str) -> str:
    """An eligibility check by what it asks ("restriction" → "Không đang bị kỷ luật, …")."""
    return wording.rule_label(value)
