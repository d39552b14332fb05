"""Forms of the web UI's dossier actions, the flow chart and opening a ballot.

Every value a page posts (or a query parameter it reads) is parsed here, never from
`request.POST` by hand: a NUL byte, a digit `int()` refuses (`²`), a number out of range or a
target the page did not offer is a form error shown on the page, and nothing is written."""

import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from workflows.inputs import DOCUMENT_KIND_MAX, ActionSerializer

# Database keys: positive and within a signed 64-bit integer.
ID_MAX = 2**63 - 1
YEAR_MIN, YEAR_MAX = 1945, 2100
DIGITS = re.compile(r"[0-9]{1,19}")

NOT_A_NUMBER = _("Enter a whole number.")
DOSSIER_INVALID = _("The dossier number must be a positive whole number.")
BALLOT_TARGET_INVALID = _("Choose one of the ballots offered on this page.")
BALLOT_YEAR_REQUIRED = _("Enter the year of the council's ballot.")
NOMINEES_INVALID = _("Choose the nominees from the list on this page.")
NOMINEES_REQUIRED = _("Choose at least one nominee.")
ACTION_INPUT_INVALID = _("The form was not sent correctly: %(field)s: %(error)s")
CHOOSE_FILE = _("Choose a file to upload.")


class UploadForm(forms.Form):
    """A document for a dossier: its kind's code (NUL refused by the field) and the file."""

    kind = forms.CharField(max_length=DOCUMENT_KIND_MAX)
    file = forms.FileField(error_messages={"required": CHOOSE_FILE})


class DossierActionForm(forms.Form):
    """A dossier action posted from its page. The reason and its code are validated by the API's
    own ActionSerializer (same lengths, NUL refused), so the page and the API agree."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = getattr(settings, "IDEMPOTENCY_KEY_MAX_LENGTH", 128)
        self.fields["request_key"] = forms.CharField(required=False, max_length=limit)

    def clean(self):
        cleaned = super().clean()
        data = ActionSerializer(data=self.data)
        if data.is_valid():
            cleaned["payload"] = dict(data.validated_data)
        else:
            labels = {"reason": _("Reason"), "reason_code": _("Reason code")}
            for field, errors in data.errors.items():
                for error in errors:
                    self.add_error(
                        None,
                        ValidationError(
                            ACTION_INPUT_INVALID,
                            code="invalid",
                            params={"field": labels.get(field, field), "error": error},
                        ),
                    )
        return cleaned

    def first_error(self) -> str:
        for errors in self.errors.values():
            for error in errors:
                return str(error)
        return ""


class FlowChartForm(forms.Form):
    """`/flow.svg?dossier=<id>`: the dossier whose path is marked (optional)."""

    dossier = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=ID_MAX,
        error_messages={
            "invalid": DOSSIER_INVALID,
            "min_value": DOSSIER_INVALID,
            "max_value": DOSSIER_INVALID,
        },
    )


class IdListField(forms.Field):
    """Several ids posted under one name (checkboxes): each ASCII digits, within a database key."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": NOMINEES_INVALID, "required": NOMINEES_REQUIRED}

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        if not isinstance(value, (list, tuple)):
            value = [value]
        ids = []
        for item in value:
            text = str(item).strip()
            if not DIGITS.fullmatch(text) or not 1 <= int(text) <= ID_MAX:
                raise ValidationError(self.error_messages["invalid"], code="invalid")
            ids.append(int(text))
        return ids


class BallotOpenForm(forms.Form):
    """Open a ballot on one of the targets the page offers (`bloc:<id>-<year>` of a bloc the user
    leads that year, or `council:<code>` of a council whose secretary the user is)."""

    target = forms.ChoiceField(
        label=_("Ballot"),
        error_messages={"invalid_choice": BALLOT_TARGET_INVALID, "required": BALLOT_TARGET_INVALID},
    )
    year = forms.IntegerField(
        label=_("Year"),
        required=False,
        min_value=YEAR_MIN,
        max_value=YEAR_MAX,
        error_messages={"invalid": NOT_A_NUMBER},
    )
    nominees = IdListField(label=_("Nominees"))

    def __init__(self, *args, targets: dict[str, dict], **kwargs):
        """`targets`: each offered target → the keyword arguments it gives `ballot_open`."""
        super().__init__(*args, **kwargs)
        self.targets = targets
        self.fields["target"].choices = [(key, key) for key in targets]

    def clean(self):
        cleaned = super().clean()
        target = cleaned.get("target")
        if target is None:
            return cleaned
        kwargs = dict(self.targets[target])
        if "year" not in kwargs:
            if cleaned.get("year") is None:
                if "year" not in self.errors:
                    self.add_error("year", ValidationError(BALLOT_YEAR_REQUIRED, code="required"))
                return cleaned
            kwargs["year"] = cleaned["year"]
        cleaned["ballot"] = kwargs
        return cleaned
