"""404 for what a user may not see, 403 for what it may see but not do; lists filtered in SQL."""

import pytest

from dossiers.models import Dossier, DossierState
from tests.workflows.helpers import act

pytestmark = pytest.mark.django_db


def _draft(org: str) -> Dossier:
    return Dossier.objects.filter(organization__code=org, state=DossierState.DRAFT).first()


def test_proposer_of_hccb_cannot_see_hlhpn_draft(api):
    draft = _draft("HLHPN")
    assert api("proposer-HCCB").get(f"/api/v1/dossiers/{draft.pk}/").status_code == 404
    assert (
        api("proposer-HCCB")
        .patch(f"/api/v1/dossiers/{draft.pk}/", {"title": "x"}, format="json")
        .status_code
        == 404
    )
    act(api, "head-HCCB", draft.pk, "submit", expect=404)
    assert api("board-officer").get(f"/api/v1/dossiers/{draft.pk}/").status_code == 404


def test_unknown_dossier_is_404_everywhere(api):
    assert api("inspector").get("/api/v1/dossiers/987654/").status_code == 404
    assert api("inspector").get("/api/v1/dossiers/987654/history/").status_code == 404
    act(api, "board-officer", 987654, "accept", expect=404)


def test_inspector_reads_everything_and_changes_nothing(api):
    total = Dossier.objects.count()
    assert api("inspector").get("/api/v1/dossiers/").json()["count"] == total
    draft = _draft("HLHPN")
    for action in ("submit", "accept", "withdraw", "revoke", "forward"):
        act(api, "inspector", draft.pk, action, expect=403, reason="x")
    assert (
        api("inspector")
        .patch(f"/api/v1/dossiers/{draft.pk}/", {"title": "x"}, format="json")
        .status_code
        == 403
    )
    body = api("inspector").get(f"/api/v1/dossiers/{draft.pk}/").json()
    assert body["available_actions"] == []


def test_voter_sees_its_blocs_dossiers_only(api):
    voting = Dossier.objects.get(state=DossierState.BLOC_VOTING, organization__code="VUSTA")
    assert api("voter-HND").get(f"/api/v1/dossiers/{voting.pk}/").status_code == 200
    assert api("voter-T-HND").get(f"/api/v1/dossiers/{voting.pk}/").status_code == 404
    nominee = voting.nominees.get().pk
    body = {"bloc": "KHOI-CTXH-TW", "year": 2023, "nominees": [nominee]}
    assert api("voter-HND").post("/api/v1/ballots/", body, format="json").status_code == 403


@pytest.mark.parametrize(
    "username",
    [
        "proposer-HLHPN",
        "head-T-DOAN",
        "voter-VUFO",
        "board-officer",
        "t-board-officer",
        "pm",
        "t-chair",
    ],
)
def test_lists_contain_only_visible_dossiers(api, username):
    from django.contrib.auth import get_user_model

    from workflows.policy import can_view

    user = get_user_model().objects.get(username=username)
    listed = []
    url = "/api/v1/dossiers/?page_size=500"
    while url:
        page = api(username).get(url).json()
        listed += [d["id"] for d in page["results"]]
        url = page["next"]
    assert listed
    for dossier in Dossier.objects.all():
        assert (dossier.pk in listed) == can_view(user, dossier), (username, dossier.reference)


def test_api_requires_authentication(client):
    response = client.get("/api/v1/dossiers/")
    assert response.status_code in (401, 403)
    assert response.json()["code"] in ("not_authenticated", "authentication_failed")


def test_token_endpoint(client):
    ok = client.post(
        "/api/v1/auth/token/",
        {"username": "proposer-HND", "password": "demo"},
        content_type="application/json",
    )
    assert ok.status_code == 200 and len(ok.json()["token"]) == 64  # knox
    bad = client.post(
        "/api/v1/auth/token/",
        {"username": "proposer-HND", "password": "nope"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["detail"]


def test_errors_speak_the_requested_language(api):
    draft = _draft("HLHPN")
    english = api("board-officer").post(
        f"/api/v1/dossiers/{draft.pk}/actions/accept/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    vietnamese = api("board-officer").post(
        f"/api/v1/dossiers/{draft.pk}/actions/accept/", {}, format="json", HTTP_ACCEPT_LANGUAGE="vi"
    )
    assert english.status_code == vietnamese.status_code == 404
    assert english.json()["detail"] != vietnamese.json()["detail"]
