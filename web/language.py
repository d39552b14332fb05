"""The language switch, both ways.

Django's `set_language` turns the page the user was on (`next`) into the same page in the
chosen language with `translate_url`, which resolves `next` in the language active for the
switch's own request. That request's path has no language prefix, so it runs in Vietnamese
(the default, `prefix_default_language=False`): an English page (`/en/dossiers/`) does not
resolve there and the user stayed on it after choosing Vietnamese. Here `next` is resolved in
its own language (its prefix), then Django's view does the rest (cookie, redirect, checks on
`next`)."""

from django.utils import translation
from django.views.i18n import set_language as django_set_language


def set_language(request):
    next_url = request.POST.get("next", request.GET.get("next")) or ""
    language = translation.get_language_from_path(next_url.split("?", 1)[0])
    if language is None:
        return django_set_language(request)
    with translation.override(language):
        return django_set_language(request)
