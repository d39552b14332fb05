"""Helpers for driving dossiers over the HTTP API as the right personas."""

from workflows.demo import demo_pdf

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
