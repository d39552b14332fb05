"""Consult over the HTTP API as the real personas: the board asks, each body answers."""

BODIES = ["HY-BHXH", "HY-THUE"]  # what consultations/data/consultation.json names for its forms
ANSWERER = {"HY-BHXH": "consult-BHXH", "HY-THUE": "consult-THUE"}


def consult(
    api, officer: str, dossier: dict | int, bodies=BODIES, agree: bool = True, reason: str = ""
) -> list[dict]:
    """The board's `officer` asks the bodies (due in 10 working days) and each body answers at
    once; answers the requests as answered."""
    pk = dossier if isinstance(dossier, int) else dossier["id"]
    asked = api(officer).post(
        f"/api/v1/dossiers/{pk}/consultations/",
        {"bodies": list(bodies), "due_in_days": 10},
        format="json",
    )
    assert asked.status_code == 201, asked.json()
    answered = []
    for row in asked.json():
        answer = api(ANSWERER[row["body"]]).post(
            f"/api/v1/consultations/{row['id']}/answer/",
            {"agree": agree, "reason": reason or "Chấp hành tốt chính sách, pháp luật"},
            format="json",
        )
        assert answer.status_code == 200, answer.json()
        answered.append(answer.json())
    return answered
