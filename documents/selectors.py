"""The public register of signed decisions (no sign-in): what each decision awarded to whom,
searchable by year, award form, organisation and name.

Only what a published decision says is read: the number, date and issuer, and for each awardee
its name, kind, organisation and form. Never an identity number, a birth date, a declined
nominee or a reason: the queries below select no such column."""

from __future__ import annotations

from django import forms
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from approvals.models import Decision, DecisionState
from documents.content import KIND_LABEL
from dossiers.models import Dossier, Nominee, NomineeOutcome


class PublicDecisionFilter(forms.Form):
    """`?year=&form=&organization=&name=`: each optional; a value that is not valid is a 400
    (API) or ignored with a message (page)."""

    year = forms.IntegerField(label=_("Year"), required=False, min_value=1945, max_value=2100)
    form = forms.SlugField(label=_("Award form"), required=False, max_length=40)
    organization = forms.SlugField(label=_("Organisation"), required=False, max_length=32)
    name = forms.CharField(label=_("Name"), required=False, max_length=100)


def public_decisions(filters: dict | None = None) -> QuerySet[Decision]:
    """Signed decisions, newest first, narrowed by the filter's cleaned values."""
    values = filters or {}
    queryset = Decision.objects.filter(state=DecisionState.SIGNED)
    if values.get("year"):
        queryset = queryset.filter(year=values["year"])
    entries = Dossier.objects.filter(decision_entries__decision=OuterRef("pk"))
    if values.get("form"):
        queryset = queryset.filter(Exists(entries.filter(award_form__code=values["form"])))
    if values.get("organization"):
        code = values["organization"]
        awarded_there = Nominee.objects.filter(
            dossier__decision_entries__decision=OuterRef("pk"),
            outcome=NomineeOutcome.AWARDED,
            organization__code=code,
        )
        queryset = queryset.filter(
            Exists(entries.filter(organization__code=code)) | Exists(awarded_there)
        )
    if values.get("name"):
        named = Nominee.objects.filter(
            dossier__decision_entries__decision=OuterRef("pk"),
            outcome=NomineeOutcome.AWARDED,
            name__icontains=values["name"].strip(),
        )
        queryset = queryset.filter(Exists(named))
    awardees = Nominee.objects.filter(outcome=NomineeOutcome.AWARDED).only(
        "id", "dossier_id", "kind", "name", "organization__name"
    )
    return (
        queryset.select_related("document")
        .prefetch_related(
            Prefetch(
                "dossiers",
                queryset=Dossier.objects.select_related("award_form", "organization")
                .only(
                    "id",
                    "reference",
                    "year",
                    "award_form__code",
                    "award_form__name",
                    "organization__code",
                    "organization__name",
                )  # fmt: skip
                .prefetch_related(
                    Prefetch("nominees", queryset=awardees.select_related("organization"))
                ),
            )
        )
        .order_by("-signed_on", "-id")
    )


def public_entry(decision: Decision) -> dict:
    """One decision as the public page and its API show it (prefetched rows only)."""
    forms_: dict[str, str] = {}
    awardees = []
    for dossier in decision.dossiers.all():
        forms_[dossier.award_form.code] = dossier.award_form.name
        for nominee in dossier.nominees.all():
            organization = nominee.organization or dossier.organization
            awardees.append(
                {
                    "name": nominee.name,
                    "kind": nominee.kind,
                    "kind_label": KIND_LABEL.get(nominee.kind, nominee.kind),
                    "organization": organization.name,
                    "award_form": dossier.award_form.name,
                    "year": dossier.year,
                }
            )
    document = getattr(decision, "document", None)
    return {
        "id": decision.pk,
        "number": decision.number,
        "signed_on": decision.signed_on,
        "year": decision.year,
        "decider": decision.decider,
        "issuer": decision.get_decider_display(),
        "award_forms": [{"code": c, "name": n} for c, n in sorted(forms_.items())],
        "awardees": awardees,
        "document_sha256": document.sha256 if document is not None else None,
    }
