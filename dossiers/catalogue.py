"""Load the award-form catalogue (dossiers/data/catalogue.json): data with citations, not code."""

import datetime
import json
from pathlib import Path

from django.db import transaction

from audit import ledger
from dossiers.models import AwardForm, DocumentKind, Organization, TitleKind

CATALOGUE = Path(__file__).parent / "data" / "catalogue.json"


def upsert(model, lookup: dict, values: dict, actor=None):
    """Create, or update only the fields that differ, so a re-run writes no history rows."""
    values = {k: v for k, v in values.items() if k not in lookup}
    obj = model.objects.filter(**lookup).first()
    label = model._meta.model_name
    if obj is None:
        obj = model(**lookup, **values)
        with ledger.recording(actor=actor, action=f"{label}.created", obj=obj, data=_plain(values)):
            obj._history_user, obj._change_reason = actor, f"{label}.created"
            obj.save()
        return obj
    changed = [k for k, v in values.items() if getattr(obj, k) != v]
    if changed:
        data = _plain({k: values[k] for k in changed})
        with ledger.recording(actor=actor, action=f"{label}.updated", obj=obj, data=data):
            for key in changed:
                setattr(obj, key, values[key])
            obj._history_user, obj._change_reason = actor, f"{label}.updated"
            obj.save(update_fields=changed)
    return obj


def _plain(values: dict) -> dict:
    return {k: (v.pk if hasattr(v, "pk") else v) for k, v in values.items()}


@transaction.atomic
def catalogue_load(path: Path = CATALOGUE) -> dict[str, int]:
    """Create or update document kinds, title kinds, bodies (with their parents) and award forms.
    Idempotent."""
    data = json.loads(path.read_text(encoding="utf-8"))
    for item in data["document_kinds"]:
        upsert(DocumentKind, {"code": item["code"]}, item)
    for item in data.get("title_kinds", []):
        upsert(TitleKind, {"code": item["code"]}, item)
    # Two passes: every body exists before any names another as its parent (the level tree).
    for item in data["bodies"]:
        upsert(
            Organization, {"code": item["code"]}, {k: v for k, v in item.items() if k != "parent"}
        )
    for item in data["bodies"]:
        parent = item.get("parent")
        parent = Organization.objects.get(code=parent) if parent else None
        upsert(Organization, {"code": item["code"]}, {"parent": parent})
    for item in data["award_forms"]:
        item = dict(item)
        item.setdefault("lower_stages", [])
        # The reward's coefficient is read as data by reports/rewards.py, not stored on the form.
        item.pop("reward_coefficient", None)
        documents = item.pop("required_documents")
        item["reviewing_body"] = Organization.objects.get(code=item["reviewing_body"])
        item["valid_from"] = datetime.date.fromisoformat(item["valid_from"])
        if item["valid_until"]:
            item["valid_until"] = datetime.date.fromisoformat(item["valid_until"])
        form = upsert(AwardForm, {"code": item["code"]}, item)
        wanted = set(DocumentKind.objects.filter(code__in=documents).values_list("pk", flat=True))
        if set(form.required_documents.values_list("pk", flat=True)) != wanted:
            with ledger.recording(
                actor=None, action="awardform.documents_set", obj=form, data={"kinds": documents}
            ):
                form.required_documents.set(wanted)
    return {
        "document_kinds": len(data["document_kinds"]),
        "bodies": len(data["bodies"]),
        "award_forms": len(data["award_forms"]),
        "title_kinds": len(data.get("title_kinds", [])),
    }
