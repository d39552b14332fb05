"""The OpenAPI schema tells the truth (drf-spectacular).

`ApiSchema` is the project's AutoSchema: it documents the JSON error body {"detail", "code",
"errors"?} for every 4xx/503 an operation can answer, marks read-only fields nullable when the model
column they read is nullable, and lets sign-in operations go without a security requirement. The
serializers below only describe bodies whose views build them by hand (ballots, the token, the
ledger check); they never run.
"""

from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import force_instance
from drf_spectacular.utils import OpenApiParameter
from rest_framework import permissions, serializers

from approvals.models import Attendance, BallotBody, BallotState
from audit.filters import MomentField
from dossiers.lifecycle import DOSSIER_ACTIONS
from dossiers.models import DossierState, NomineeKind
from workflows.idempotency import max_length

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
PAGINATION = {"page", "page_size", "cursor"}

ERROR_DESCRIPTIONS = {
    400: _("Invalid input: `code` names the rule, `errors` maps each field to its messages."),
    401: _("Not signed in, an expired or revoked token, or (signing in) a missing or wrong code."),
    403: _("Signed in, but this role may not do this here."),
    404: _("No such object, or not visible to this user."),
    409: _("The object's state does not allow this action now (someone else moved it first)."),
    422: _("The Idempotency-Key was already used for another request."),
    429: _("Too many failed sign-ins or codes: locked out for a while."),
    503: _("The database is unavailable; retry later."),
}

ACTION = OpenApiParameter(
    "action",
    str,
    OpenApiParameter.PATH,
    enum=[*DOSSIER_ACTIONS, "assign", "claim"],
    description=_(
        "The action; `available_actions` on a dossier lists the moves this user may make and "
        "`assignment_actions` the sharing of the board's work (`assign` with `officer`, "
        "`claim`, `release`: on a dossier on hold, `release` releases the hold)."
    ),
)
NOMINEE_ACTION = OpenApiParameter(
    "action",
    str,
    OpenApiParameter.PATH,
    enum=["hold", "release"],
    description=_("Hold the nominee (a pending matter about them) or release them."),
)
OVERRIDE_ACTION = OpenApiParameter(
    "action",
    str,
    OpenApiParameter.PATH,
    enum=["override", "confirm"],
    description=_("Override the failed check (with a reason), or confirm the override."),
)
PAGE = OpenApiParameter("page", int, OpenApiParameter.QUERY, description=_("Page number (from 1)."))
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": max_length(), "pattern": "^[!-~]+$"},
    OpenApiParameter.HEADER,
    description=_(
        "Repeating a request with the same key returns the first answer instead of acting "
        "twice; the same key on another request answers 422 `idempotency_key_reused`."
    ),
)


class ExpiringTokenScheme(KnoxTokenScheme):
    """`Authorization: Token <key>` (django-rest-knox, expiring; accounts.auth)."""

    target_class = "accounts.auth.ExpiringTokenAuthentication"
    name = "tokenAuth"


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(
        help_text=_("A message for a person, in the request's language.")
    )
    code = serializers.CharField(help_text=_("A stable machine-readable code, e.g. `conflict`."))
    errors = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text=_("On validation errors: each field's messages."),
    )

    class Meta:
        ref_name = "Error"


def _model_column_nullable(field) -> bool:
    """True when a read-only serializer field reads a nullable model column (or relation)."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not field.source or field.source == "*":
        return False
    for attr in field.source.split("."):
        try:
            column = model._meta.get_field(attr)
        except FieldDoesNotExist:
            return False
        if getattr(column, "null", False):
            return True
        model = column.related_model
        if model is None:
            return False
    return False


def _form_field_limits(field) -> dict:
    if isinstance(field, forms.IntegerField):
        limits = {"type": "integer"}
        if field.min_value is not None:
            limits["minimum"] = field.min_value
        if field.max_value is not None:
            limits["maximum"] = field.max_value
        return limits
    limits = {}
    if isinstance(field, forms.SlugField) and not field.allow_unicode:
        limits["pattern"] = "^[-a-zA-Z0-9_]+$"
    elif isinstance(field, forms.CharField):
        # Django's CharField refuses a NUL byte (ProhibitNullCharactersValidator): say so.
        limits["pattern"] = "^[^\\x00]*$"
    if isinstance(field, forms.CharField) and field.max_length is not None:
        limits["maxLength"] = field.max_length
    return limits


class ApiSchema(AutoSchema):
    def _is_sign_in(self) -> bool:
        perms = self.view.get_permissions()
        return not perms or any(isinstance(p, permissions.AllowAny) for p in perms)

    def get_auth(self):
        # Sign-in itself needs no credentials.
        if self._is_sign_in():
            return []
        return super().get_auth()

    def map_parsers(self):
        # Bodies with nested lists and objects only make sense as JSON; uploads as multipart.
        media_types = super().map_parsers()
        for only in ("application/json", "multipart/form-data"):
            if only in media_types:
                return [only]
        return media_types

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (
            direction == "request"
            and getattr(field, "allow_empty", True) is False
            and schema.get("type") == "array"
        ):
            schema.setdefault("minItems", 1)
        return schema

    def _takes_signers_code(self) -> bool:
        """Requests carrying a TOTP code count wrong codes towards the sign-in lockout."""
        if self.method not in UNSAFE:
            return False
        serializer = force_instance(self.get_request_serializer())
        return isinstance(serializer, serializers.Serializer) and "otp" in serializer.fields

    def _get_serializer_field_meta(self, field, direction):
        meta = super()._get_serializer_field_meta(field, direction)
        if direction == "response" and field.read_only and _model_column_nullable(field):
            meta["nullable"] = True
        return meta

    def _error_statuses(self, operation) -> list[int]:
        params = operation.get("parameters", [])
        has_path = any(p["in"] == "path" for p in params)
        paginated = any(p["in"] == "query" and p["name"] == "page" for p in params)
        idempotent = any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in params)
        sign_in = self._is_sign_in()
        if "/auth/" in self.path:  # obtaining or revoking a token: no object, no state
            return sorted({400, 401, 503} | ({429} if sign_in else set()))
        statuses = {400, 401, 503}
        if not sign_in:
            statuses.add(403)
        if has_path or paginated:
            statuses.add(404)
        if self.method in UNSAFE and not sign_in:
            statuses.add(409)
        if idempotent:
            statuses.add(422)
        if sign_in or self.view.get_throttles() or self._takes_signers_code():
            statuses.add(429)
        return sorted(statuses)

    def _refine_filters(self, operation) -> None:
        """A list filter's limits as its form field checks them (a value outside is a 400).
        An empty filter or page number is no filter, the first page (django-filter, DRF)."""
        filterset = getattr(self.view, "filterset_class", None)
        filters = filterset.base_filters if filterset is not None else {}
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query":
                continue
            if parameter["name"] in PAGINATION or parameter["name"] in filters:
                parameter["allowEmptyValue"] = True
            declared = filters.get(parameter["name"])
            if declared is None:
                continue
            field = declared.field
            if isinstance(field, MomentField):
                parameter["schema"] = {
                    "anyOf": [
                        {"type": "string", "format": "date"},
                        {"type": "string", "format": "date-time"},
                    ]
                }
                continue
            parameter["schema"].update(_form_field_limits(field))

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None or not path.startswith("/api/"):
            return operation
        self._refine_filters(operation)
        ref = self.resolve_serializer(ErrorSerializer, "response").ref
        for status in self._error_statuses(operation):
            operation["responses"].setdefault(
                str(status),
                {
                    "content": {"application/json": {"schema": ref}},
                    "description": ERROR_DESCRIPTIONS[status],
                },
            )
        return operation


# Bodies built by hand in the views, described for the schema.


class AuditVerifySerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    events = serializers.IntegerField()
    head = serializers.CharField(allow_blank=True)
    first_bad_seq = serializers.IntegerField(required=False, allow_null=True)
    problem = serializers.CharField(required=False)

    class Meta:
        ref_name = "AuditVerify"


class DecisionDossierSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    state = serializers.ChoiceField(choices=DossierState.choices)
    organization = serializers.CharField()

    class Meta:
        ref_name = "DecisionDossier"


class DecisionNomineeSerializer(serializers.Serializer):
    nominee = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=NomineeKind.choices)
    dossier = serializers.IntegerField()
    outcome = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)

    class Meta:
        ref_name = "DecisionNominee"


class BallotListItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    body = serializers.ChoiceField(choices=BallotBody.choices)
    bloc = serializers.CharField(allow_null=True)
    council = serializers.CharField(allow_null=True)
    year = serializers.IntegerField()
    state = serializers.ChoiceField(choices=BallotState.choices)
    opened_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        ref_name = "BallotListItem"


class BallotPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = BallotListItemSerializer(many=True)

    class Meta:
        ref_name = "PaginatedBallotList"


class BallotVoterSerializer(serializers.Serializer):
    organization = serializers.CharField(required=False, help_text=_("A bloc member's code."))
    user = serializers.CharField(required=False, help_text=_("A council member's username."))
    attendance = serializers.ChoiceField(
        choices=[("", "—"), *Attendance.choices],
        required=False,
        help_text=_(
            "A council member: present at the council's meeting, absent (its ballot, if any, is "
            "a written vote), or blank while not known."
        ),
    )

    class Meta:
        ref_name = "BallotVoter"


class BallotCastSerializer(BallotVoterSerializer):
    cast_at = serializers.DateTimeField()
    in_writing = serializers.BooleanField(
        help_text=_("A written vote of a council member absent from the meeting.")
    )

    class Meta:
        ref_name = "BallotCast"


class BallotTurnoutSerializer(serializers.Serializer):
    eligible = serializers.IntegerField()
    voted = serializers.IntegerField()
    voters = BallotCastSerializer(many=True, help_text=_("Who voted and when; never how."))
    not_voted = BallotVoterSerializer(many=True)
    in_writing = serializers.IntegerField(
        help_text=_("How many of the ballots are written votes of members absent from the meeting.")
    )

    class Meta:
        ref_name = "BallotTurnout"


class BallotNomineeSerializer(serializers.Serializer):
    nominee = serializers.IntegerField()
    name = serializers.CharField()
    dossier = serializers.IntegerField()
    reference = serializers.CharField()
    # The tally, once the ballot is closed.
    yes = serializers.IntegerField(required=False)
    no = serializers.IntegerField(required=False)
    abstain = serializers.IntegerField(required=False)
    conflicts = serializers.IntegerField(required=False)
    eligible = serializers.IntegerField(required=False)
    voted = serializers.IntegerField(required=False)
    passed = serializers.BooleanField(required=False, allow_null=True)
    outcome = serializers.CharField(required=False, allow_blank=True)

    class Meta:
        ref_name = "BallotNominee"


class BallotSessionSerializer(serializers.Serializer):
    """A session: turnout and, once closed, the tally and the receipts. Never choices."""

    id = serializers.IntegerField()
    body = serializers.ChoiceField(choices=BallotBody.choices)
    bloc = serializers.CharField(allow_null=True)
    council = serializers.CharField(allow_null=True)
    year = serializers.IntegerField()
    state = serializers.ChoiceField(choices=BallotState.choices)
    opened_by = serializers.CharField()
    opened_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    turnout = BallotTurnoutSerializer()
    nominees = BallotNomineeSerializer(many=True)
    written_votes = serializers.BooleanField(
        help_text=_(
            "A council's ballot takes written votes of members absent from the meeting "
            "(`in_writing`): false when an award form on it takes none (the form's "
            "`absentee_written_vote`), and on a bloc's ballot."
        )
    )
    can_vote = serializers.BooleanField()
    can_close = serializers.BooleanField()
    can_record_attendance = serializers.BooleanField(
        help_text=_("The council's secretary may record who attends the meeting (attendance/).")
    )
    receipts = serializers.ListField(
        child=serializers.CharField(), required=False, help_text=_("Once closed.")
    )
    minutes_sha256 = serializers.CharField(required=False, allow_blank=True)

    class Meta:
        ref_name = "BallotSession"


class BallotReceiptSerializer(serializers.Serializer):
    receipt = serializers.CharField(help_text=_("Keep it: it shows your ballot was counted."))

    class Meta:
        ref_name = "BallotReceipt"


NO_NUL = "^[^\\x00]*$"


def _no_nul(schema: object) -> None:
    if isinstance(schema, list):
        for item in schema:
            _no_nul(item)
        return
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "string" and not {"format", "enum", "pattern"} & set(schema):
        schema["pattern"] = NO_NUL
    for value in schema.values():
        _no_nul(value)


def no_nul_in_request_text(result: dict, generator, request, public) -> dict:
    """Every text field of a request body refuses a NUL byte (Django's and DRF's
    ProhibitNullCharactersValidator): the request components say so, so that a client (and
    Schemathesis) knows a NUL is not valid input. Response components are left as they are."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request"):
            _no_nul(component)
    return result
