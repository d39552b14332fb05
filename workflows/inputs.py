"""The inputs both channels validate the same way: the API's request bodies and the web pages'
forms (web/forms.py, web/views.py) use these serializers, so a page and the API accept and refuse
the same values. They feed the services below them (`workflows.services`, `dossiers.services`);
the API's output serializers stay in api/serializers.py."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from dossiers import errors, permissions, registry
from dossiers.models import (
    AwardForm,
    DocumentKind,
    Dossier,
    Nominee,
    NomineeKind,
    Organization,
    Sex,
)

TITLE_MAX = Dossier._meta.get_field("title").max_length
NAME_MAX = Nominee._meta.get_field("name").max_length
DOCUMENT_KIND_MAX = DocumentKind._meta.get_field("code").max_length
OWN_UNIT_NEEDED = _("Name the proposing organisation's code.")


class NomineeInputSerializer(serializers.Serializer):
    """A nominee as the API and the UI's create form give it (limits: dossiers.services)."""

    kind = serializers.ChoiceField(choices=NomineeKind.choices)
    name = serializers.CharField(max_length=NAME_MAX)
    organization = serializers.CharField(allow_null=True, required=False, max_length=32)
    achievements = serializers.CharField(
        allow_blank=True,
        required=False,
        default="",
        max_length=settings.DOSSIER_MAX_ACHIEVEMENTS_CHARS,
    )
    identity = serializers.RegexField(
        r"^[0-9]{12}$",
        required=False,
        allow_blank=True,
        max_length=12,
        help_text=_("An individual's citizen identity number (CCCD): 12 digits."),
        error_messages={"invalid": registry.IDENTITY_FORMAT},
    )
    birth_date = serializers.DateField(required=False, allow_null=True)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False, allow_blank=True)
    position = serializers.CharField(required=False, allow_blank=True, max_length=255)
    criterion = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text=_(
            "Where the law gives alternative criteria, the one claimed (e.g. `73.1.b` for the "
            "Prime Minister's certificate, `44.1.e` for the Labour Order 3rd class)."
        ),
    )

    def validate(self, data: dict) -> dict:
        if data.get("identity"):
            problem = registry.identity_problem(
                data["identity"], birth_date=data.get("birth_date"), sex=data.get("sex", "")
            )
            if problem:
                raise serializers.ValidationError({"identity": [problem]})
        return data


class DossierCreateSerializer(serializers.Serializer):
    """Create a draft: the one validation of `POST /api/v1/dossiers/` and of the UI's form.
    Returns the award form and the proposing organisation as objects; the domain's limits
    (nominee count, lengths, whose nominees) are checked again by `dossier_create`."""

    award_form = serializers.SlugField(max_length=32)
    year = serializers.IntegerField(min_value=1945, max_value=2100)
    title = serializers.CharField(max_length=TITLE_MAX)
    organization = serializers.SlugField(required=False, max_length=32)
    nominees = NomineeInputSerializer(many=True, allow_empty=False)

    def validate_award_form(self, code: str) -> AwardForm:
        form = AwardForm.objects.filter(code=code).first()
        if form is None:
            raise serializers.ValidationError(errors.UNKNOWN_FORM % {"value": code})
        return form

    def validate(self, data: dict) -> dict:
        code = data.get("organization") or self._own_unit()
        organization = Organization.objects.filter(code=code).first()
        if organization is None:
            raise serializers.ValidationError(
                {"organization": [errors.UNKNOWN_ORG % {"value": code}]}
            )
        return {**data, "organization": organization}

    def _own_unit(self) -> str:
        user = self.context["request"].user
        units = {o for r, o in permissions.user_roles(user) if r in ("unit_officer", "unit_head")}
        units.discard(None)
        if len(units) != 1:
            raise serializers.ValidationError({"organization": [OWN_UNIT_NEEDED]})
        return units.pop()


# A dossier action's reason (kept in the ledger and the history) and its code (a column of 40).
ACTION_REASON_MAX_LENGTH = 2000
ACTION_REASON_CODE_MAX_LENGTH = 40


class ActionSerializer(serializers.Serializer):
    """A dossier action's input, for the API and the page alike (web/forms.py).
    NUL characters are refused by the field (DRF's ProhibitNullCharactersValidator)."""

    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=ACTION_REASON_MAX_LENGTH
    )
    reason_code = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=ACTION_REASON_CODE_MAX_LENGTH
    )
    officer = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=150,
        help_text=_("For `assign`: the username of an officer of the board holding the dossier."),
    )


ATTACH_FILE = _("Attach a file in the field “file”.")


class AttachmentInputSerializer(serializers.Serializer):
    """A document uploaded to a dossier, for the API and the page alike: its kind's code and the
    file. NUL characters and over-long codes are refused here; the size and the real type by
    `dossiers.services.attachment_add`, which also names an unknown kind."""

    kind = serializers.CharField(max_length=DOCUMENT_KIND_MAX)
    file = serializers.FileField(
        allow_empty_file=True, error_messages={"required": ATTACH_FILE, "invalid": ATTACH_FILE}
    )


class DeclineSerializer(serializers.Serializer):
    nominee = serializers.IntegerField()
    reason = serializers.CharField()


OTP_HELP = _(
    "A new code of the signer's authenticator app, used once: a code already used, or "
    "missing, is refused with 403 (`otp_invalid`, `otp_required`) and nothing is written."
)


class DecisionSignSerializer(serializers.Serializer):
    """The signature: the API's body and the UI's sign form (`decline_<nominee id>` fields)."""

    number = serializers.CharField(max_length=40)
    signed_on = serializers.DateField()
    declined = DeclineSerializer(many=True, required=False, default=list)
    otp = serializers.CharField(min_length=6, max_length=8, help_text=OTP_HELP)


class DecisionProposeSerializer(serializers.Serializer):
    """The PM's proposal to the President: a signed act too, so it carries a fresh code."""

    number = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    otp = serializers.CharField(min_length=6, max_length=8, help_text=OTP_HELP)
