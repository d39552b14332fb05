"""Bloc and council ballots over the API: the real cases, bad input, receipts, deadlines."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from approvals.ballots import ballot_tally
from approvals.models import (
    AnonymousChoice,
    BallotCast,
    BallotConflict,
    BallotReceipt,
    BallotSession,
    SealedBallot,
)
from dossiers.models import Dossier, DossierState
from tests.signin import signin
from tests.workflows.helpers import CENTRAL, PROVINCE, act, ballot, create, upload_required

pytestmark = pytest.mark.django_db
NEXT = 2024  # the bloc's year after the demo's: its Government flag is still open


def _submitted(api, org: str, form: str, year: int = 2023) -> dict:
    nominee = {"kind": "collective", "name": f"Tập thể {org}", "organization": org}
    dossier = create(api, org, form, [nominee], year=year)
    upload_required(api, org, dossier, ["to_trinh", "bao_cao_thanh_tich"])
    return act(api, f"head-{org}", dossier, "submit")


def test_central_bloc_votes_the_real_case(api):
    """Seed 000: the 9-member central bloc votes the Government flag for HLHPN and the PM's
    certificates for HCCB and DOAN; each member declares a conflict on its own nominee."""
    # A year after the demo's own (2023's flag of the bloc is HLHPN's: one a year).
    flag = _submitted(api, "HLHPN", "CO-TD-CP", NEXT)
    certs = [_submitted(api, code, "BK-TTG", NEXT) for code in ("HCCB", "DOAN")]
    assert {d["state"] for d in [flag, *certs]} == {"bloc_voting"}
    result = ballot(api, "voter-MTTQ", [flag, *certs], year=NEXT)
    assert result["state"] == "closed" and result["turnout"] == {
        **result["turnout"], "eligible": 9, "voted": 9, "not_voted": [],
    }  # fmt: skip
    for row in result["nominees"]:
        assert (row["yes"], row["no"], row["abstain"], row["conflicts"]) == (8, 0, 0, 1)
        assert (row["eligible"], row["voted"], row["passed"]) == (8, 8, True)
    for dossier in [flag, *certs]:
        moved = api("board-officer").get(f"/api/v1/dossiers/{dossier['id']}/").json()
        assert moved["state"] == "intake"
        assert [a["kind"] for a in moved["attachments"]].count("bien_ban_khoi") == 1
    minutes = api("voter-MTTQ").get(f"/api/v1/ballots/{result['id']}/minutes/")
    pdf = b"".join(minutes.streaming_content)
    assert minutes.status_code == 200 and pdf.startswith(b"%PDF")
    assert (
        BallotSession.objects.get(pk=result["id"]).minutes_sha256
        == __import__("hashlib").sha256(pdf).hexdigest()
    )


def test_provincial_cluster_votes_its_case(api):
    """Seed 001: the cluster (leader T-HND in 2023) proposes the provincial flag for T-HND and
    the chair's certificates for T-LDLD and T-HCCB."""
    flag = _submitted(api, "T-HND", "CO-TD-TINH")
    certs = [_submitted(api, code, "BK-TINH") for code in ("T-LDLD", "T-HCCB")]
    result = ballot(api, "voter-T-HND", [flag, *certs])
    assert [r["passed"] for r in result["nominees"]] == [True, True, True]
    assert {Dossier.objects.get(pk=d["id"]).state for d in [flag, *certs]} == {DossierState.INTAKE}


def test_missing_quorum_ends_the_dossier(api):
    flag = _submitted(api, "VUFO", "CO-TD-CP", NEXT)
    result = ballot(api, "voter-MTTQ", [flag], voters=["MTTQ", "HCCB", "HND"], year=NEXT)
    assert result["nominees"][0]["outcome"] == "no_quorum"
    assert Dossier.objects.get(pk=flag["id"]).state == DossierState.NOT_APPROVED


def test_bad_input_changes_nothing(api):
    dossier = _submitted(api, "VHNT", "BK-TTG")
    nominee = dossier["nominees"][0]["id"]
    body = {"bloc": "KHOI-CTXH-TW", "year": 2023, "nominees": [nominee]}
    # A dossier not waiting for the vote cannot be put on a ballot.
    draft = Dossier.objects.filter(organization__code="HLHPN", state="draft").first()
    not_waiting = {**body, "nominees": [draft.nominees.first().pk]}
    answer = api("voter-MTTQ").post("/api/v1/ballots/", not_waiting, format="json")
    assert answer.status_code == 409 and answer.json()["code"] == "not_waiting"
    wrong_year = api("voter-MTTQ").post("/api/v1/ballots/", {**body, "year": 2024}, format="json")
    assert wrong_year.status_code in (400, 403)
    session = api("voter-MTTQ").post("/api/v1/ballots/", body, format="json").json()["id"]
    url = f"/api/v1/ballots/{session}/votes/"
    twice = api("voter-MTTQ").post("/api/v1/ballots/", body, format="json")
    assert twice.status_code == 409 and twice.json()["code"] == "on_other_ballot"

    def vote(username, payload):
        return api(username).post(url, payload, format="json")

    assert vote("voter-T-HND", {"choices": {str(nominee): "yes"}}).status_code in (403, 404)
    assert (
        vote("voter-HCCB", {"choices": {str(nominee): "maybe"}}).json()["code"] == "invalid_choice"
    )
    assert vote("voter-HCCB", {"choices": {"999999": "yes"}}).json()["code"] == "unknown_nominee"
    assert vote("voter-HCCB", {"choices": {}}).status_code == 400  # every nominee needs a choice
    assert vote("voter-HCCB", {"choices": "yes"}).status_code == 400
    assert BallotCast.objects.filter(session_id=session).count() == 0
    assert vote("voter-HCCB", {"choices": {str(nominee): "yes"}}).status_code == 201
    again = vote("voter-HCCB", {"choices": {str(nominee): "no"}})
    assert again.status_code == 409 and again.json()["code"] == "already_voted"
    assert api("voter-HCCB").post(f"/api/v1/ballots/{session}/close/").status_code == 403
    assert api("voter-MTTQ").post(f"/api/v1/ballots/{session}/close/").status_code == 200
    closed = vote("voter-DOAN", {"choices": {str(nominee): "yes"}})
    assert closed.status_code == 409 and closed.json()["code"] == "ballot_closed"
    assert BallotReceipt.objects.filter(session_id=session).count() == 1
    assert AnonymousChoice.objects.filter(session_id=session).count() == 1
    assert not SealedBallot.objects.filter(session_id=session).exists()


def test_receipts_and_recount(api):
    dossier = _submitted(api, "VUSTA", "BK-TTG")
    nominee = str(dossier["nominees"][0]["id"])
    session = api("voter-MTTQ").post(
        "/api/v1/ballots/", {"bloc": "KHOI-CTXH-TW", "year": 2023, "nominees": [int(nominee)]},
        format="json",
    ).json()["id"]  # fmt: skip
    receipts = {}
    for code, choice in zip(CENTRAL, ["yes"] * 7 + ["no", "abstain"], strict=True):
        answer = api(f"voter-{code}").post(
            f"/api/v1/ballots/{session}/votes/", {"choices": {nominee: choice}}, format="json"
        )
        assert set(answer.json()) == {"receipt"}
        receipts[code] = answer.json()["receipt"]
    closed = api("voter-MTTQ").post(f"/api/v1/ballots/{session}/close/").json()
    assert sorted(receipts.values()) == closed["receipts"]
    row = closed["nominees"][0]
    assert (row["yes"], row["no"], row["abstain"], row["passed"]) == (7, 1, 1, False)  # 7/9 < 80%
    stored = BallotSession.objects.get(pk=session)
    assert len(set(receipts.values())) == 9 and stored.receipts.count() == 9
    recount = ballot_tally(stored)  # from the stored anonymous choices, the same figures
    assert [(i.yes, i.no, i.abstain, i.passed) for i in recount] == [(7, 1, 1, False)]


def test_a_ballot_closes_at_its_deadline(api):
    dossier = _submitted(api, "HND", "BK-TTG")
    deadline = timezone.now() + datetime.timedelta(hours=1)
    session = api("voter-MTTQ").post(
        "/api/v1/ballots/",
        {"bloc": "KHOI-CTXH-TW", "year": 2023, "nominees": [dossier["nominees"][0]["id"]],
         "deadline": deadline.isoformat()},
        format="json",
    ).json()["id"]  # fmt: skip
    call_command("close_ballots")
    assert BallotSession.objects.get(pk=session).state == "open"
    import time_machine

    with time_machine.travel(deadline + datetime.timedelta(minutes=1)):
        call_command("close_ballots")
    closed = BallotSession.objects.get(pk=session)
    assert closed.state == "closed" and closed.closed_by is None
    assert Dossier.objects.get(pk=dossier["id"]).state == DossierState.NOT_APPROVED  # no quorum


def test_voter_inbox_shows_the_open_ballot(client):
    signin(client, "voter-VUFO")
    page = client.get("/").content.decode()
    open_session = BallotSession.objects.filter(state="open", bloc__code="KHOI-CTXH-TW").first()
    assert f"/ballots/{open_session.pk}/" in page
    ballot_page = client.get(f"/ballots/{open_session.pk}/").content.decode()
    assert 'name="choice_' in ballot_page
    client.logout()
    signin(client, "voter-HCCB")  # already voted: no form
    assert 'name="choice_' not in client.get(f"/ballots/{open_session.pk}/").content.decode()


def test_casting_and_closing_in_the_browser_form(client):
    open_session = BallotSession.objects.filter(state="open", bloc__code="CUM-CTXH-T").first()
    items = list(open_session.items.all())
    for code in PROVINCE:
        if open_session.casts.filter(voter__organization__code=code).exists():
            continue
        signin(client, f"voter-{code}")
        answer = client.post(
            f"/ballots/{open_session.pk}/", {f"choice_{i.nominee_id}": "yes" for i in items}
        )
        assert answer.status_code == 200 and "<code>" in answer.content.decode()
        client.logout()
    signin(client, "voter-T-MTTQ")
    # One click closes nothing: it leads to the confirmation (web/ballots.py), which closes.
    asked = client.post(f"/ballots/{open_session.pk}/", {"op": "close"})
    assert asked["Location"] == f"/ballots/{open_session.pk}/close/"
    assert BallotSession.objects.get(pk=open_session.pk).state == "open"
    client.post(f"/ballots/{open_session.pk}/close/", {"confirm": "yes"})
    assert BallotSession.objects.get(pk=open_session.pk).state == "closed"
    assert items[0].dossier.__class__.objects.get(pk=items[0].dossier_id).state == "intake"


def test_conflicts_are_on_the_cast_and_out_of_the_count(api):
    """A declared conflict is recorded on the member's cast, its anonymous choices hold none,
    and the tally leaves the member out of that nominee's eligible members and voters."""
    flag = _submitted(api, "HLHPN", "CO-TD-CP", NEXT)
    cert = _submitted(api, "HCCB", "BK-TTG", NEXT)
    flag_id, cert_id = flag["nominees"][0]["id"], cert["nominees"][0]["id"]
    result = ballot(api, "voter-MTTQ", [flag, cert], voters=CENTRAL, year=NEXT)
    session = result["id"]
    declared = {
        (c.cast.voter.organization.code, c.item.nominee_id)
        for c in BallotConflict.objects.filter(cast__session_id=session)
    }
    assert declared == {("HLHPN", flag_id), ("HCCB", cert_id)}
    choices = list(AnonymousChoice.objects.filter(session_id=session))
    assert {c.choice for c in choices} == {"yes"} and len(choices) == 2 * 8
    counts = {r["nominee"]: (r["yes"], r["conflicts"], r["eligible"], r["voted"]) for r in
              result["nominees"]}  # fmt: skip
    assert counts == {flag_id: (8, 1, 8, 8), cert_id: (8, 1, 8, 8)}
    # A member cannot both declare a conflict on a nominee and vote on it.
    other = _submitted(api, "VHNT", "BK-TTG")
    nominee = other["nominees"][0]["id"]
    opened = api("voter-MTTQ").post(
        "/api/v1/ballots/", {"bloc": "KHOI-CTXH-TW", "year": 2023, "nominees": [nominee]},
        format="json",
    ).json()["id"]  # fmt: skip
    both = api("voter-VHNT").post(
        f"/api/v1/ballots/{opened}/votes/",
        {"choices": {str(nominee): "yes"}, "conflicts": [nominee]}, format="json",
    )  # fmt: skip
    assert both.status_code == 400 and both.json()["code"] == "invalid_choice"
    assert not BallotCast.objects.filter(session_id=opened).exists()


def test_a_sealed_ballot_opens_only_with_its_sessions_key(api, settings):
    """The sealed ballot is bound to its session's key: with another application key the close
    refuses (409) and changes nothing; with the right key it opens and counts."""
    dossier = _submitted(api, "TLDLD", "BK-TTG")
    nominee = str(dossier["nominees"][0]["id"])
    session = api("voter-MTTQ").post(
        "/api/v1/ballots/", {"bloc": "KHOI-CTXH-TW", "year": 2023, "nominees": [int(nominee)]},
        format="json",
    ).json()["id"]  # fmt: skip
    cast = api("voter-HND").post(
        f"/api/v1/ballots/{session}/votes/", {"choices": {nominee: "no"}}, format="json"
    )
    assert cast.status_code == 201
    stored = BallotSession.objects.get(pk=session)
    assert len(bytes(stored.sealing_salt)) == 32
    settings.BALLOT_SEALING_KEY = "another key"
    refused = api("voter-MTTQ").post(f"/api/v1/ballots/{session}/close/")
    assert refused.status_code == 409 and refused.json()["code"] == "ballot_unsealable"
    assert BallotSession.objects.get(pk=session).state == "open"
    assert SealedBallot.objects.filter(session_id=session).count() == 1
    settings.BALLOT_SEALING_KEY = ""
    closed = api("voter-MTTQ").post(f"/api/v1/ballots/{session}/close/").json()
    assert closed["receipts"] == [cast.json()["receipt"]]
    assert closed["nominees"][0]["no"] == 1
    # The close forgets the session's salt: the sealed ballot could no longer be opened.
    assert bytes(BallotSession.objects.get(pk=session).sealing_salt) == b""


def test_a_sealed_ballot_deleted_or_copied_in_the_database_stops_the_count(api):
    """Without the key nobody forges a sealed ballot, but a database writer could delete one or
    copy another member's: the close sees it (one sealed ballot per cast) and counts nothing."""
    dossier = _submitted(api, "VUFO", "BK-TTG")
    nominee = str(dossier["nominees"][0]["id"])
    session = api("voter-MTTQ").post(
        "/api/v1/ballots/", {"bloc": "KHOI-CTXH-TW", "year": 2023, "nominees": [int(nominee)]},
        format="json",
    ).json()["id"]  # fmt: skip
    for code in ("HCCB", "DOAN"):
        api(f"voter-{code}").post(
            f"/api/v1/ballots/{session}/votes/", {"choices": {nominee: "yes"}}, format="json"
        )
    first, second = SealedBallot.objects.filter(session_id=session)
    first.delete()
    SealedBallot.objects.create(session_id=session, sealed=bytes(second.sealed))  # a copy
    refused = api("voter-MTTQ").post(f"/api/v1/ballots/{session}/close/")
    assert refused.status_code == 409 and refused.json()["code"] == "ballot_tampered"
    assert BallotSession.objects.get(pk=session).state == "open"
    SealedBallot.objects.filter(session_id=session).first().delete()
    refused = api("voter-MTTQ").post(f"/api/v1/ballots/{session}/close/")
    assert refused.json()["code"] == "ballot_tampered"  # 1 sealed ballot for 2 casts
    assert not AnonymousChoice.objects.filter(session_id=session).exists()
