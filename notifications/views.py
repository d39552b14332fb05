"""The user's own notifications: the list, opening one, marking all read, the e-mail choice."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import translate_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from notifications import selectors, services
from notifications.models import Notification

PAGE_SIZE = 25


@login_required
def notification_list(request):
    page = Paginator(selectors.notification_list_for(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "email_enabled": selectors.email_enabled(request.user)}
    return render(request, "notifications/notification_list.html", context)


@login_required
def notification_open(request, pk: int):
    """Mark the notification read and go where it points (404 for another user's)."""
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    services.notification_mark_read(actor=request.user, notification=notification)
    link = notification.link
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts=None):
        return redirect(translate_url(link, get_language()))
    return redirect("notifications:list")


@login_required
@require_POST
def mark_all_read(request):
    count = services.notifications_mark_all_read(actor=request.user)
    messages.success(request, _("%(count)s notifications marked as read.") % {"count": count})
    return redirect("notifications:list")


@login_required
@require_POST
def preference_update(request):
    enabled = request.POST.get("email_enabled") == "on"
    services.preference_set(actor=request.user, email_enabled=enabled)
    if enabled:
        messages.success(request, _("You will receive notifications by e-mail."))
    else:
        messages.success(request, _("You will no longer receive notifications by e-mail."))
    return redirect("notifications:list")
