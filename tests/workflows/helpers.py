"""Helpers for driving dossiers over the HTTP API as the right personas."""

from demo.world import demo_pdf

NOMINEE = {
    "kind": "individual",
    "name": "Nguyễn Thị Thử",
    "achievements": "5 năm hoàn thành xuất sắc",
}


def create(api, org: str, form: str, nominees=None, year: int = 2023) -> dict:
    response = api(f"proposer-{org}").post(
        "/api/v1/dossiers/",
        {
            "award_form": form,
            "year": year,
            "title": f"Thử nghiệm {form} ({org})",
            "nominees": nominees or [{**NOMINEE, "organization": org}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def upload_required(api, org: str, dossier: dict, kinds: list[str]) -> None:
    for kind in kinds:
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


def ballot(api, leader: str, dossiers: list[dict], *, year: int = 2023, choice: str = "yes",
           voters: list[str] | None = None, bloc: str | None = None) -> dict:  # fmt: skip
    """Open a bloc ballot on the dossiers' nominees, let the members vote, close it."""
    province = dossiers[0]["organization"].startswith("T-")
    bloc = bloc or ("CUM-CTXH-T" if province else "KHOI-CTXH-TW")
    members = voters if voters is not None else (PROVINCE if province else CENTRAL)
    nominees = [n["id"] for d in dossiers for n in d["nominees"]]
    opened = api(leader).post(
        "/api/v1/ballots/", {"bloc": bloc, "year": year, "nominees": nominees}, format="json"
    )
    assert opened.status_code == 201, opened.json()
    session = opened.json()["id"]
    for code in members:
        own = [n["id"] for d in dossiers for n in d["nominees"] if d["organization"] == code]
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
