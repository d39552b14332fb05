from django.utils.translation import gettext_lazy as _

NO_DOSSIERS = _("A submission needs at least one dossier.")
DOSSIER_NOT_READY = _("Dossier %(ref)s is not awaiting a decision (it is “%(state)s”).")
WRONG_DECIDER = _("Dossier %(ref)s is decided by %(expected)s, not %(decider)s.")
ALREADY_BATCHED = _("Dossier %(ref)s is already in submission %(decision)s.")
UNKNOWN_DOSSIER = _("Unknown dossier: %(value)s.")
BAD_DECIDER = _("Decider must be one of: %(codes)s.")
ALREADY_SIGNED = _("This decision is already signed (%(number)s).")
NOT_PROPOSED = _("A President decision must first be proposed by the Prime Minister.")
NUMBER_REQUIRED = _("A decision number is required, e.g. 231/QĐ-TTg.")
NUMBER_TAKEN = _("Decision number %(number)s is already used by %(decider)s in %(year)s.")
DECLINE_UNKNOWN_NOMINEE = _("Nominee %(value)s is not in this decision.")
NOT_FOR_PRESIDENT = _("Only a President decision is proposed by the Prime Minister.")
