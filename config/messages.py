"""Django's and DRF's own messages that their Vietnamese catalogues lack or translate poorly.

Listed here so `makemessages` keeps them in locale/vi, which takes precedence over the libraries'
catalogues (LOCALE_PATHS). Nothing imports this module.
"""

from django.utils.translation import gettext_noop

LIBRARY_MESSAGES = [
    gettext_noop("Null characters are not allowed."),
    gettext_noop("Ensure this field has no more than {max_length} characters."),
    gettext_noop("A valid integer is required."),
    gettext_noop("This field is required."),
    gettext_noop("This field may not be null."),
    gettext_noop('"{input}" is not a valid choice.'),
    gettext_noop('Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.'),
    gettext_noop("Ensure this value is less than or equal to {max_value}."),
    gettext_noop("Ensure this value is greater than or equal to {min_value}."),
    gettext_noop('Expected a list of items but got type "{input_type}".'),
]
