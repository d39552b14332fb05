"""Consultation's messages (English msgids; Vietnamese in the locale)."""

from django.utils.translation import gettext_lazy as _

NOT_NOW = _(
    "A consultation can be requested only while the dossier is at intake, appraisal, public "
    "notice or council review; it is “%(state)s”."
)
NO_BODIES = _("Name at least one body to consult.")
TOO_MANY_BODIES = _("At most %(limit)s bodies can be consulted at once.")
UNKNOWN_BODY = _("Unknown body to consult: %(value)s.")
OWN_BODY = _("The dossier's own unit or the board itself cannot be consulted: %(value)s.")
ALREADY_OPEN = _("%(body)s has already been asked and has not answered yet.")
DUE_INVALID = _("The answer is due in 1 to %(limit)s working days, not %(value)s.")
ALREADY_ANSWERED = _("%(body)s has already answered this request.")
CLOSED = _("The dossier is “%(state)s”: the consultation is closed.")
PENDING = _(
    "The consultation is not complete: %(bodies)s have not answered and their answers are due "
    "by %(due)s."
)
MISSING = _(
    "This award form requires consultation (Decree 98/2023 Art. 31), but no request was made "
    "to: %(bodies)s. Ask for their opinion before forwarding the dossier."
)
REFUSED = _("%(bodies)s disagreed: the dossier cannot be forwarded (reject it or put it on hold).")
REASON_FIELD = _("reason")
DOCUMENT_NOT_PDF = _("The reply document must be a PDF file, not a %(type)s.")
