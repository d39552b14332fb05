"""Domain errors: a message a person understands and a stable code, shown as 400 or 409."""

from django.utils.translation import gettext_lazy as _


class DossierError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message, code: str | None = None, **params):
        self.message = message
        self.params = params
        if code:
            self.code = code
        super().__init__(str(message))

    def __str__(self) -> str:
        return str(self.message) % self.params if self.params else str(self.message)


class Conflict(DossierError):
    status = 409
    code = "conflict"


class ProofRequired(DossierError):
    """A signature-like act without fresh proof of the signer: an unused authenticator code.

    403, not 401: the request is authenticated; it lacks the proof this act asks for."""

    status = 403
    code = "otp_required"


class Forbidden(DossierError):
    """A rule of who may name what (e.g. a nominee of another organisation): 403."""

    status = 403
    code = "forbidden"


FORM_NOT_IN_FORCE = _("The award form %(form)s is not in force on %(day)s (in force %(span)s).")
KIND_NOT_ALLOWED = _("The award form %(form)s cannot be given to a %(kind)s nominee (%(name)s).")
NO_NOMINEES = _("A dossier needs at least one nominee.")
UNKNOWN_FORM = _("Unknown award form: %(value)s.")
UNKNOWN_ORG = _("Unknown organisation: %(value)s.")
UNKNOWN_KIND = _("Unknown document kind: %(value)s.")
FILE_TOO_LARGE = _("The file is %(size)s bytes; the limit is %(limit)s bytes.")
FILE_TYPE_REFUSED = _(
    "The file's content is not an allowed type (PDF, DOCX, XLSX, JPEG, PNG): %(name)s."
)
FILE_EMPTY = _("The file is empty.")
REASON_REQUIRED = _("A reason is required for this action.")
REASON_CODE_INVALID = _("Reason code must be one of: %(codes)s.")
MISSING_DOCUMENTS = _("Documents required by the award form are missing: %(kinds)s.")
NOT_A_BLOC_MEMBER = _(
    "The award form %(form)s passes a bloc vote, but %(org)s belongs to no bloc in %(year)s."
)
STATE_CONFLICT = _("The action “%(action)s” is not possible while the dossier is “%(state)s”.")
NOTICE_RUNNING = _("The public notice runs until %(until)s; it cannot be closed before then.")
NOT_EDITABLE = _("The dossier can only be changed while it is a draft or returned to the unit.")
YEAR_INVALID = _("The year %(year)s is not a valid achievement year.")
TOO_MANY_NOMINEES = _("A dossier names at most %(limit)s nominees; this one names %(count)s.")
FIELD_TITLE = _("dossier title")
FIELD_NOMINEE_NAME = _("nominee's name")
FIELD_ACHIEVEMENTS = _("nominee's achievements")
TEXT_TOO_LONG = _("The %(field)s is %(length)s characters long; at most %(limit)s are allowed.")
TEXT_REQUIRED = _("The %(field)s cannot be empty.")
NUL_CHARACTER = _("The %(field)s contains a NUL character, which is not allowed.")
ORGANIZATION_FORBIDDEN = _(
    "A dossier of %(org)s can only name nominees of %(org)s or of units under it, not of %(value)s."
)
UNKNOWN_NOMINEE = _("The dossier has no nominee %(value)s.")
NOMINEE_NOT_THERE = _("%(name)s is “%(outcome)s”: that action is not possible for this nominee.")
FORM_NOT_FOR_LEVEL = _(
    "%(form)s is awarded by a ministry or a province to the units under it; %(org)s is not one."
)
NO_SUCH_FAILURE = _("The nominee has no failed check “%(rule)s” to override.")
NOT_OVERRIDABLE = _("The check “%(rule)s” may not be overridden (the law allows no exception).")
NO_PENDING_OVERRIDE = _("No override of the check “%(rule)s” is waiting for confirmation.")
OWN_OVERRIDE = _("An override is confirmed by the board's head, not by the one who made it.")
