"""Words of Django's admin and of its account forms that Django's Vietnamese catalogue lacks
(Django 5.2's templates and forms added them after the catalogue was last translated): labels,
buttons and the screen reader's texts of the pages an administrator uses. Listed here so that
makemessages keeps them in the project's catalogue, which translates a message id for every
package (locale/vi/LC_MESSAGES/django.po)."""

from django.utils.translation import gettext_noop as _

DJANGO_ADMIN = (
    # admin/base.html, app_list.html, index.html, nav_sidebar.html, change_list.html
    _("Skip to main content"),
    _("Breadcrumbs"),
    _("Sidebar"),
    _("Toggle navigation"),
    _("Filter navigation items"),
    _("Model name"),
    _("Add link"),
    _("Change or view list link"),
    _("Added:"),
    _("Changed:"),
    _("Deleted:"),
    _("Error:"),
    _("Show counts"),
    _("Hide counts"),
    _("Toggle theme (current theme: auto)"),
    _("Toggle theme (current theme: light)"),
    _("Toggle theme (current theme: dark)"),
    # a new account: admin/auth/user/add_form.html, change_password.html, auth/forms.py
    _("After you’ve created a user, you’ll be able to edit more user options."),
    _("Password-based authentication"),
    _(
        "Whether the user will be able to authenticate using a password or not. If disabled, "
        "they may still be able to authenticate using other backends, such as Single Sign-On "
        "or LDAP."
    ),
    _("Enabled"),
    _("Disabled"),
    _("Set password"),
    _("Reset password"),
    _("Raw passwords are not stored, so there is no way to see the user’s password."),
    _("Enable password-based authentication for this user by setting a password."),
    _("Enable password-based authentication"),
    _("Disable password-based authentication"),
)
