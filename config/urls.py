from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.urls import include, path
from django_otp.admin import OTPAdminSite

from accounts.auth import sign_in
from api import errors
from web.language import set_language  # both ways: English back to Vietnamese too

# The admin needs a verified second factor; its sign-in is ours (lockout + TOTP).
admin.site.__class__ = OTPAdminSite
admin.site.login = lambda request, extra_context=None: redirect_to_login(
    request.get_full_path(), login_url="/accounts/login/"
)

urlpatterns = [
    path("api/v1/", include("notices.api_urls")),  # public notices and their comments
    path("api/", include("api.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("accounts/login/", sign_in, name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("audit/", include("audit.urls")),
    path("public/notices/", include("notices.urls")),
    path("notifications/", include("notifications.urls")),
    path("", include("web.urls")),
    prefix_default_language=False,
)

# JSON under /api/ ({"detail", "code"}), translated pages elsewhere; a database that cannot be
# reached is a 503 (`unavailable`), any other failure a 500 (`server_error`).
handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.not_found
handler500 = errors.server_error
