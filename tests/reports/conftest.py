"""Awards the statistics tests seed themselves, in years the demo world never uses (2031, 2032),
written straight to the tables: signed decisions listing decided dossiers whose nominees are
awarded, declined or revoked. No view grant is written: only those who see every dossier (an
inspector, the administrator) see them."""

import datetime
import io

import pytest
from openpyxl import load_workbook

from approvals.models import Decision, DecisionEntry, DecisionState
from dossiers.models import Dossier, DossierState, Nominee

# (year signed, award form, organisation, [(kind, outcome), ...])
SEEDED = [
    (2031, "CO-TD-CP", "HLHPN", [("collective", "awarded")]),
    (2031, "CO-TD-CP", "DOAN", [("collective", "awarded")]),
    (2031, "BK-TTG", "HCCB", [("individual", "awarded")] * 3 + [("collective", "awarded"),
                               ("individual", "declined"), ("individual", "revoked")]),
    (2032, "BK-TINH", "T-LDLD", [("individual", "awarded")] * 2),
]  # fmt: skip


@pytest.fixture
def seeded_awards(world):
    author = world.user("board-head")
    made = []
    for number, (year, form, org, nominees) in enumerate(SEEDED, start=1):
        decision = Decision.objects.create(
            decider="TTG" if form != "BK-TINH" else "T-UBND",
            state=DecisionState.SIGNED,
            number=f"{900 + number}/QĐ-TEST",
            year=year,
            signed_on=datetime.date(year, 3, 10),
            created_by=author,
            signed_by=author,
        )
        dossier = Dossier.objects.create(
            reference=f"TEST-{year}-{number:04d}",
            organization=world.org(org),
            award_form=world.form(form),
            year=year,
            title=f'=HYPERLINK("http://x") thống kê {number}',
            state=DossierState.DECIDED,
            created_by=author,
        )
        DecisionEntry.objects.create(decision=decision, dossier=dossier)
        for i, (kind, outcome) in enumerate(nominees, start=1):
            Nominee.objects.create(
                dossier=dossier, kind=kind, name=f"Đối tượng {number}.{i}", outcome=outcome,
                outcome_reason="Chưa đủ tiêu chuẩn" if outcome == "declined" else "",
            )  # fmt: skip
        made.append(decision)
    return made


@pytest.fixture
def workbook():
    def read(content: bytes):
        return load_workbook(io.BytesIO(content))

    return read
