"""File sizes as a person reads them, in the page's language: "27,8 KB" in Vietnamese (a
decimal comma), "27.8 KB" in English; "512 B" under a kilobyte. Units of 1,024 bytes, one
decimal, and a no-break space so that the number and its unit stay on one line.

    {% load filesize %}{{ attachment.size|file_size }}
"""

from __future__ import annotations

from django import template
from django.utils import formats

register = template.Library()

UNITS = ("KB", "MB", "GB", "TB")
STEP = 1024
NBSP = "\xa0"


@register.filter
def file_size(value: object) -> str:
    """`value` bytes with its unit; an empty string for what is not a number of bytes."""
    try:
        size = int(value)
    except (TypeError, ValueError):
        return ""
    if size < 0:
        return ""
    if size < STEP:
        return f"{formats.number_format(size, use_l10n=True)}{NBSP}B"
    amount, unit = float(size), UNITS[0]
    for unit in UNITS:
        amount /= STEP
        if round(amount, 1) < STEP or unit == UNITS[-1]:
            break
    return f"{formats.number_format(round(amount, 1), 1, use_l10n=True)}{NBSP}{unit}"
