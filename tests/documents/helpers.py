"""A signed decision of any size, written straight to the tables (the bench of the documents:
500 awardees through the real services would take minutes and test nothing more here)."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model

from approvals.models import Decision, DecisionEntry, DecisionState
from dossiers.models import AwardForm, Dossier, DossierState, Nominee, Organization

SIGNED_ON = datetime.date(2024, 9, 2)


def signed_decision(
    awarded: int, declined: int = 0, *, number: str = "777/QĐ-TTg", per_dossier: int = 50
) -> Decision:
    """A PM decision signed on SIGNED_ON by `pm`: `awarded` + `declined` nominees of the PM's
    certificate, alternately collectives and individuals, spread over dossiers of HCCB and DOAN."""
    pm = get_user_model().objects.get(username="pm")
    form = AwardForm.objects.get(code="BK-TTG")
    decision = Decision.objects.create(
        decider="TTG", state=DecisionState.SIGNED, number=number, year=SIGNED_ON.year,
        signed_on=SIGNED_ON, created_by=pm, signed_by=pm,
    )  # fmt: skip
    total = awarded + declined
    nominees = []
    for start in range(0, total, per_dossier):
        org = Organization.objects.get(code="HCCB" if (start // per_dossier) % 2 == 0 else "DOAN")
        dossier = Dossier.objects.create(
            reference=f"DOC-{decision.pk}-{start}", organization=org, award_form=form, year=2023,
            title=f"Đề nghị tặng Bằng khen ({start})", state=DossierState.DECIDED, created_by=pm,
        )  # fmt: skip
        DecisionEntry.objects.create(decision=decision, dossier=dossier)
        for i in range(start, min(start + per_dossier, total)):
            is_declined = i >= awarded
            nominees.append(
                Nominee(
                    dossier=dossier,
                    kind="collective" if i % 2 == 0 else "individual",
                    name=(
                        f"Phòng Nghiệp vụ số {i + 1}" if i % 2 == 0 else f"Nguyễn Thị Hằng {i + 1}"
                    ),
                    organization=org,
                    outcome="declined" if is_declined else "awarded",
                    outcome_reason="Chưa đủ 05 năm liên tục hoàn thành tốt nhiệm vụ"
                    if is_declined
                    else number,
                )
            )
    Nominee.objects.bulk_create(nominees)
    return decision
