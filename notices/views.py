"""The public page of the notices (no sign-in): the nominees under public notice and a form to
comment on each (routed from config/urls.py at /public/notices/)."""

from axes.helpers import get_client_ip_address
from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from dossiers.errors import DossierError
from notices import services
from notices.models import CONTACT_MAX, TEXT_MAX

PAGE_SIZE = 50


class CommentForm(forms.Form):
    nominee = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    text = forms.CharField(
        label=_("Your comment"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )
    contact = forms.CharField(
        label=_("How to reach you (optional)"), max_length=CONTACT_MAX, required=False
    )
    # The honeypot: hidden by the style sheet (.hp), left empty by people, filled by robots.
    website = forms.CharField(label=_("Leave this field empty"), required=False)


@require_http_methods(["GET", "POST"])
def public_notices(request):
    status = 200
    failed_nominee = None
    form = None
    if request.method == "POST":
        form = CommentForm(request.POST)
        if not form.is_valid():
            status = 400
            failed_nominee = _nominee_of(request.POST.get("nominee"))
        else:
            values = form.cleaned_data
            try:
                services.comment_post(
                    nominee_id=values["nominee"],
                    text=values["text"],
                    contact=values["contact"],
                    client_ip=get_client_ip_address(request) or "",
                    honeypot=values["website"],
                )
            except services.Missing as exc:
                raise Http404 from exc
            except DossierError as exc:
                status = exc.status
                failed_nominee = values["nominee"]
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Thank you: your comment was sent to the board."))
                return redirect(request.path)
    page = Paginator(services.notice_nominees(), PAGE_SIZE).get_page(request.GET.get("page"))
    entries = [services.notice_entry(n) for n in page.object_list]
    context = {
        "page": page,
        "entries": entries,
        "form": form,
        "failed_nominee": failed_nominee,
        "text_max": TEXT_MAX,
        "contact_max": CONTACT_MAX,
    }
    return render(request, "notices/public.html", context, status=status)


def _nominee_of(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
