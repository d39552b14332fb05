"""Helpers for driving dossiers over the HTTP API as the right personas."""

from demo.world import CRITERIA, demo_pdf, person
from dossiers.models import AwardForm, Dossier
from workflows import services as wf


def collective_draft(world, names=("Chi hội",), title: str = "Tập thể") -> Dossier:
    """A draft of HCCB's proposer (BK-TTG, 2024) naming new collectives, through the service."""
    return wf.dossier_start(
        actor=world.user("proposer-HCCB"),
        organization=world.org("HCCB"),
        award_form=world.form("BK-TTG"),
        year=2024,
        title=title,
        nominees=[{"kind": "collective", "name": n, "organization": "HCCB"} for n in names],
    )


NOMINEE = {
    "kind": "individual",
    "name": "Nguyễn Thị Thử",
    "achievements": "5 năm hoàn thành xuất sắc",
}


def individual(name: str, org: str, *, year: int = 2023, form: str = "", **extra) -> dict:
    """An individual nominee with a CCCD whose registry history meets the prerequisites of the
    forms proposed for `year` (demo.world.CAREER), claiming the form's checked criterion."""
    nominee = person(name, org, extra.pop("achievements", ""), year=year, **extra)
    nominee["birth_date"] = nominee["birth_date"].isoformat()
    if form and not nominee["criterion"]:
        nominee["criterion"] = CRITERIA.get(form, "")
    return nominee


def create(api, org: str, form: str, nominees=None, year: int = 2023) -> dict:
    if nominees is None:
        nominees = [individual(NOMINEE["name"], org, year=year, form=form,
                               achievements=NOMINEE["achievements"])]  # fmt: skip
    else:
        nominees = [
            individual(n["name"], n.get("organization") or org, year=year, form=form,
                       achievements=n.get("achievements", ""))
            if n.get("kind") == "individual" and "identity" not in n
            else n
            for n in nominees
        ]  # fmt: skip
    response = api(f"proposer-{org}").post(
        "/api/v1/dossiers/",
        {
            "award_form": form,
            "year": year,
            "title": f"Thử nghiệm {form} ({org})",
            "nominees": nominees,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def upload_required(api, org: str, dossier: dict, kinds: list[str] | None = None) -> None:
    """Attach `kinds` and whatever else the dossier's award form requires."""
    form = AwardForm.objects.get(code=dossier["award_form"])
    required = list(form.required_documents.values_list("code", flat=True))
    for kind in dict.fromkeys([*(kinds or []), *required]):
        response = api(f"proposer-{org}").post(
            f"/api/v1/dossiers/{dossier['id']}/attachments/",
            {"kind": kind, "file": demo_pdf(f"{kind}.pdf")},
            format="multipart",
        )
        assert response.status_code == 201, response.json()


def act(api, username: str, dossier: dict | int, action: str, expect: int = 200, **payload) -> dict:
    pk = dossier if isinstance(dossier, int) else dossier["id"]
    response = api(username).post(
        f"/api/v1/dossiers/{pk}/actions/{action}/", payload, format="json"
    )
    assert response.status_code == expect, (action, username, response.json())
    return response.json()


CENTRAL = ["MTTQ", "HCCB", "TLDLD", "HND", "DOAN", "HLHPN", "VHNT", "VUSTA", "VUFO"]
PROVINCE = ["T-MTTQ", "T-HND", "T-LDLD", "T-HCCB", "T-HLHPN", "T-DOAN"]


def _own(dossiers: list[dict], code: str) -> set[int]:
    return {n["id"] for d in dossiers for n in d["nominees"] if d["organization"] == code}


def ballot(api, leader: str, dossiers: list[dict], *, year: int = 2023, choice: str = "yes",
           voters: list[str] | None = None, bloc: str | None = None) -> dict | None:  # fmt: skip
    """Open a bloc ballot on the dossiers' nominees, let the members vote, close it."""
    province = dossiers[0]["organization"].startswith("T-")
    bloc = bloc or ("CUM-CTXH-T" if province else "KHOI-CTXH-TW")
    members = voters if voters is not None else (PROVINCE if province else CENTRAL)
    # A bloc votes on its members' collectives; individuals never go to it.
    nominees = [n["id"] for d in dossiers for n in d["nominees"] if n["kind"] == "collective"]
    if not nominees:  # dossiers of individuals went straight to the board
        return None
    opened = api(leader).post(
        "/api/v1/ballots/", {"bloc": bloc, "year": year, "nominees": nominees}, format="json"
    )
    assert opened.status_code == 201, opened.json()
    session = opened.json()["id"]
    for code in members:
        own = [n for n in nominees if n in _own(dossiers, code)]
        choices = {str(n): choice for n in nominees if n not in own}
        cast = api(f"voter-{code}").post(
            f"/api/v1/ballots/{session}/votes/",
            {"choices": choices, "conflicts": own},
            format="json",
        )
        assert cast.status_code == 201, cast.json()
    closed = api(leader).post(f"/api/v1/ballots/{session}/close/", {}, format="json")
    assert closed.status_code == 200, closed.json()
    return closed.json()
