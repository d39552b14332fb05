"""Written votes (phiếu bằng văn bản) of council members absent from the meeting, over the API:
the secretary's roll call, the absent member's sealed written vote counted against all the
members (domain.md §2.4), attendance in the turnout, the ledger and the minutes; never a choice.
Whether a council takes them is the award form's rule (`absentee_written_vote`, §2.4): both
values over the API and on the ballot page."""

import datetime
import io
import json
import re

import pytest
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from approvals.models import AnonymousChoice, BallotCast, BallotSession, SealedBallot
from approvals.voting import written_votes_refused_by
from audit.models import LedgerEvent
from dossiers.catalogue import upsert
from dossiers.models import AwardForm, Dossier, DossierState
from tests.signin import signin
from tests.workflows.helpers import act, create, upload_required

pytestmark = pytest.mark.django_db
S = DossierState
MEMBERS = [f"t-council-member-{i}" for i in range(1, 4)]  # the first province's council


def _at_council(api, name: str) -> dict:
    """A first-province unit's PM certificate (80 % of all the council's members), accepted by
    the province's board: waiting for the province's council."""
    nominee = {"kind": "collective", "name": name, "organization": "T-LDLD"}
    dossier = create(api, "T-LDLD", "BK-TTG", [nominee], year=2025)  # no cluster in 2025
    upload_required(api, "T-LDLD", dossier, ["to_trinh", "bao_cao_thanh_tich"])
    act(api, "head-T-LDLD", dossier, "submit")
    assert act(api, "t-board-officer", dossier, "accept")["state"] == S.COUNCIL_REVIEW
    return dossier


def _open(api, dossier: dict, **extra) -> str:
    body = {"council": "T-HDTDKT", "year": 2025, "nominees": [dossier["nominees"][0]["id"]]}
    opened = api("t-council-secretary").post("/api/v1/ballots/", {**body, **extra}, format="json")
    assert opened.status_code == 201, opened.json()
    return f"/api/v1/ballots/{opened.json()['id']}"


def _vote(api, member: str, url: str, dossier: dict, *, expect: int = 201, **extra):
    choices = {str(dossier["nominees"][0]["id"]): "yes"}
    cast = api(member).post(f"{url}/votes/", {"choices": choices, **extra}, format="json")
    assert cast.status_code == expect, cast.json()
    return cast.json()


def _minutes_text(api, session_id: int) -> str:
    minutes = api("t-council-secretary").get(f"/api/v1/ballots/{session_id}/minutes/")
    pdf = b"".join(minutes.streaming_content)
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


def _takes_written_votes(code: str, value: bool) -> None:
    """The award form's rule on written votes of absent members, set as a catalogue load sets
    it (history and ledger event included)."""
    upsert(AwardForm, {"code": code}, {"absentee_written_vote": value})


def _roll_call(api, url: str, present: list[str], *, user="t-council-secretary", expect=200):
    response = api(user).post(f"{url}/attendance/", {"present": present}, format="json")
    assert response.status_code == expect, response.json()
    return response.json()


def test_an_absent_members_written_vote_counts_against_all_the_members(api):
    """Two present members vote yes at the meeting; the third is absent. 2 of 3 is under the
    80 % of all the members the PM's certificate needs: the absent member's written yes makes
    it pass, its silence makes it fail."""
    written, silent = (
        _at_council(api, "Tổ công đoàn có phiếu văn bản"),
        _at_council(api, "Tổ công đoàn không có phiếu văn bản"),
    )
    outcomes = {}
    for dossier in (written, silent):
        url = _open(api, dossier)
        shown = _roll_call(api, url, MEMBERS[:2])
        attendance = {v["user"]: v["attendance"] for v in shown["turnout"]["not_voted"]}
        assert attendance == {MEMBERS[0]: "present", MEMBERS[1]: "present", MEMBERS[2]: "absent"}
        for member in MEMBERS[:2]:
            _vote(api, member, url, dossier)
        if dossier is written:
            # Recorded absent: its ballot is its written vote, sealed like the others.
            seen = api(MEMBERS[2]).get(f"{url}/").json()
            assert seen["can_vote"] is True and seen["written_votes"] is True
            receipt = _vote(api, MEMBERS[2], url, dossier, in_writing=True)["receipt"]
            session = BallotSession.objects.get(pk=int(url.rsplit("/", 1)[1]))
            assert SealedBallot.objects.filter(session=session).count() == 3
        closed = api("t-council-secretary").post(f"{url}/close/", {}, format="json").json()
        outcomes[dossier["id"]] = closed
    passed, failed = outcomes[written["id"]], outcomes[silent["id"]]
    assert (
        passed["nominees"][0] | {"yes": 3, "voted": 3, "eligible": 3, "passed": True}
        == (passed["nominees"][0])
    )
    assert failed["nominees"][0]["yes"] == 2 and failed["nominees"][0]["outcome"] == (
        "below_threshold"
    )
    assert Dossier.objects.get(pk=written["id"]).state == S.AWAITING_SUBMISSION
    assert Dossier.objects.get(pk=silent["id"]).state == S.NOT_APPROVED
    # Public: who attended, who voted and how (at the meeting or in writing) — never what.
    turnout = passed["turnout"]
    assert turnout["in_writing"] == 1 and turnout["voted"] == 3
    how = {v["user"]: (v["attendance"], v["in_writing"]) for v in turnout["voters"]}
    assert how == {
        MEMBERS[0]: ("present", False), MEMBERS[1]: ("present", False),
        MEMBERS[2]: ("absent", True),
    }  # fmt: skip
    assert receipt in passed["receipts"]
    session = BallotSession.objects.get(pk=passed["id"])
    assert AnonymousChoice.objects.filter(session=session).count() == 3
    events = LedgerEvent.objects.filter(object_type="approvals.ballotsession", object_id=session.pk)
    roll_call = json.loads(events.get(action="ballot.attendance_recorded").body)
    assert roll_call["data"] == {"present": MEMBERS[:2], "absent": MEMBERS[2:]}
    assert roll_call["actor"] == "t-council-secretary"
    casts = {
        e["data"]["voter"]: e["data"]
        for e in (json.loads(x.body) for x in events.filter(action="ballot.cast"))
    }
    assert casts[MEMBERS[2]] == {"voter": MEMBERS[2], "conflicts": [], "in_writing": True}
    assert casts[MEMBERS[0]]["in_writing"] is False
    # The minutes say who attended and which ballot came in writing.
    text = _minutes_text(api, session.pk)
    assert "trong đó 1 phiếu bằng văn bản của thành viên vắng mặt" in text
    assert "Có mặt tại phiên họp: 2; vắng mặt: 1." in text
    assert "Vắng mặt, gửi phiếu bằng văn bản lúc" in text
    assert "phiếu bằng văn bản được niêm phong và kiểm như phiếu bỏ tại phiên họp" in text
    assert "không nhận phiếu bằng văn bản" not in text


def test_a_member_not_yet_called_may_send_its_written_vote_ahead(api):
    """Before the roll call, a member who will miss the meeting sends its written vote: it is
    recorded as absent; a member who voted at the meeting is recorded as present; the roll call
    keeps both (naming the voter present, not the writer)."""
    dossier = _at_council(api, "Tổ công đoàn gửi phiếu trước")
    url = _open(api, dossier)
    _vote(api, MEMBERS[0], url, dossier, in_writing=True)
    _vote(api, MEMBERS[1], url, dossier)
    shown = api("t-council-secretary").get(f"{url}/").json()
    how = {v["user"]: (v["attendance"], v["in_writing"]) for v in shown["turnout"]["voters"]}
    assert how == {MEMBERS[0]: ("absent", True), MEMBERS[1]: ("present", False)}
    before = LedgerEvent.objects.count()
    refused = _roll_call(api, url, MEMBERS, expect=409)  # the writer cannot be made present
    assert refused["code"] == "attendance_voted" and MEMBERS[0] in refused["detail"]
    refused = _roll_call(api, url, [], expect=409)  # nor the voter at the meeting absent
    assert refused["code"] == "attendance_voted" and MEMBERS[1] in refused["detail"]
    assert LedgerEvent.objects.count() == before
    after = _roll_call(api, url, [MEMBERS[1], MEMBERS[2]])
    assert [(v["user"], v["attendance"]) for v in after["turnout"]["not_voted"]] == [
        (MEMBERS[2], "present")
    ]
    # A late arrival: the roll call may be recorded again while the ballot is open.
    again = _roll_call(api, url, [MEMBERS[1]])
    assert again["turnout"]["not_voted"][0]["attendance"] == "absent"
    assert _vote(api, MEMBERS[2], url, dossier)["receipt"]  # recorded absent: in writing
    closed = api("t-council-secretary").post(f"{url}/close/", {}, format="json").json()
    assert closed["turnout"]["in_writing"] == 2
    assert closed["nominees"][0]["passed"] is True


def test_who_may_call_the_roll_and_write_and_until_when(api):
    dossier = _at_council(api, "Tổ công đoàn kiểm tra quyền")
    deadline = (timezone.now() + datetime.timedelta(hours=1)).isoformat()
    url = _open(api, dossier, deadline=deadline)
    body = api("t-council-secretary").get(f"{url}/").json()
    assert body["can_record_attendance"] is True
    assert api(MEMBERS[0]).get(f"{url}/").json()["can_record_attendance"] is False
    _roll_call(api, url, [MEMBERS[0]], user=MEMBERS[0], expect=403)  # a member, not the secretary
    _roll_call(api, url, [MEMBERS[0]], user="t2-council-secretary", expect=404)  # another province
    _roll_call(api, url, [MEMBERS[0]], user="council-secretary", expect=404)  # the central council
    unknown = _roll_call(api, url, ["council-member-1"], expect=400)  # not on this council's roll
    assert unknown["code"] == "not_a_member"
    assert _roll_call(api, url, "x", expect=400)["code"] == "invalid"
    _roll_call(api, url, [MEMBERS[0]])
    present = _vote(api, MEMBERS[0], url, dossier, in_writing=True, expect=409)
    assert present["code"] == "present_in_writing"
    assert _vote(api, MEMBERS[1], url, dossier, in_writing="maybe", expect=400)["code"] == (
        "invalid"
    )
    # Until the ballot closes: its deadline passed, a written vote comes too late.
    session = BallotSession.objects.get(pk=int(url.rsplit("/", 1)[1]))
    BallotSession.objects.filter(pk=session.pk).update(
        deadline=timezone.now() - datetime.timedelta(minutes=1)
    )
    late = _vote(api, MEMBERS[1], url, dossier, in_writing=True, expect=409)
    assert late["code"] == "ballot_closed"
    api("t-council-secretary").post(f"{url}/close/", {}, format="json")
    assert _roll_call(api, url, [], expect=409)["code"] == "ballot_closed"
    assert _vote(api, MEMBERS[2], url, dossier, in_writing=True, expect=409)["code"] == (
        "ballot_closed"
    )


def test_a_blocs_ballot_has_no_roll_call_nor_written_votes(api):
    team = {"kind": "collective", "name": "Tập thể khối không họp", "organization": "HND"}
    dossier = create(api, "HND", "BK-TTG", [team], year=2023)
    upload_required(api, "HND", dossier, ["to_trinh", "bao_cao_thanh_tich"])
    act(api, "head-HND", dossier, "submit")
    nominee = dossier["nominees"][0]["id"]
    opened = api("voter-MTTQ").post(
        "/api/v1/ballots/", {"bloc": "KHOI-CTXH-TW", "year": 2023, "nominees": [nominee]},
        format="json",
    )  # fmt: skip
    url = f"/api/v1/ballots/{opened.json()['id']}"
    assert opened.json()["can_record_attendance"] is False
    assert _roll_call(api, url, [], user="voter-MTTQ", expect=400)["code"] == "council_only"
    written = api("voter-HCCB").post(
        f"{url}/votes/", {"choices": {str(nominee): "yes"}, "in_writing": True}, format="json"
    )
    assert written.status_code == 400 and written.json()["code"] == "council_only"


def _links(node, who: str, found: list) -> None:
    """A JSON object that holds both the member's identity and a choice links them."""
    if isinstance(node, dict):
        values = {v for v in node.values() if isinstance(v, str)} | set(node)
        if who in values and values & {"yes", "no", "abstain"}:
            found.append(node)
        for value in node.values():
            _links(value, who, found)
    elif isinstance(node, list):
        for value in node:
            _links(value, who, found)


def test_a_written_vote_is_as_secret_as_any_ballot(api):
    """The absent member alone says no, in writing: nothing it or anyone reads (the API, its
    ballot page, the ledger, the dossier's history) links it to that choice; while the ballot is
    open its choice is only in a sealed ballot as long as the others."""
    dossier = _at_council(api, "Tổ công đoàn phiếu kín văn bản")
    url = _open(api, dossier)
    _roll_call(api, url, MEMBERS[:2])
    for member in MEMBERS[:2]:
        _vote(api, member, url, dossier)
    nominee = str(dossier["nominees"][0]["id"])
    written = api(MEMBERS[2]).post(
        f"{url}/votes/", {"choices": {nominee: "no"}, "in_writing": True}, format="json"
    )
    assert written.status_code == 201
    session = BallotSession.objects.get(pk=int(url.rsplit("/", 1)[1]))
    assert len({len(bytes(s.sealed)) for s in SealedBallot.objects.filter(session=session)}) == 1
    seen = [written.json()]
    for username in (MEMBERS[2], "t-council-secretary", "inspector"):
        seen.append(api(username).get(f"{url}/").json())
    closed = api("t-council-secretary").post(f"{url}/close/", {}, format="json").json()
    assert (closed["nominees"][0]["yes"], closed["nominees"][0]["no"]) == (2, 1)
    seen.append(closed)
    seen.append(api("inspector").get(f"/api/v1/dossiers/{dossier['id']}/history/").json())
    events = LedgerEvent.objects.filter(object_type="approvals.ballotsession", object_id=session.pk)
    seen += [json.loads(e.body) for e in events]
    found: list = []
    for body in seen:
        _links(body, MEMBERS[2], found)
    assert not found, found[:3]
    browser = Client()
    assert signin(browser, MEMBERS[2])
    page = browser.get(f"/ballots/{session.pk}/").content.decode()
    assert "written vote" in page or "phiếu bằng văn bản" in page
    for block in re.split(r"</tr>|</li>|</span>|</p>", page):
        words = set(re.findall(r"[\w-]+", block))
        assert not (MEMBERS[2] in words and words & {"yes", "no", "abstain"}), block[-300:]


# --- a form whose rule takes no written votes (absentee_written_vote off) ----------------------


def test_a_form_that_takes_no_written_votes_refuses_them_and_writes_nothing(api):
    """The PM's certificate set to count only the members present: a written vote is refused
    (409, a Vietnamese message first), and so is any ballot of a member the roll call records
    as absent; nothing is written. The members present vote; 2 of 3 is under 80 % of all the
    members, and the minutes say the ballot took no written votes, and why."""
    _takes_written_votes("BK-TTG", False)
    dossier = _at_council(api, "Tổ công đoàn họp trực tiếp")
    url = _open(api, dossier)
    session = BallotSession.objects.get(pk=int(url.rsplit("/", 1)[1]))
    seen = api(MEMBERS[0]).get(f"{url}/").json()
    assert seen["written_votes"] is False and seen["can_vote"] is True
    assert [f.code for f in written_votes_refused_by(session)] == ["BK-TTG"]
    before = LedgerEvent.objects.count()
    refused = _vote(api, MEMBERS[0], url, dossier, in_writing=True, expect=409)
    assert refused["code"] == "written_votes_refused"
    assert refused["detail"].startswith("Phiên bỏ phiếu này không nhận phiếu bằng văn bản")
    assert "Bằng khen của Thủ tướng Chính phủ" in refused["detail"]
    choices = {str(dossier["nominees"][0]["id"]): "yes"}
    english = api(MEMBERS[0]).post(
        f"{url}/votes/", {"choices": choices, "in_writing": True}, format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    assert english.status_code == 409
    assert english.json()["detail"].startswith("This ballot takes no written votes")
    assert LedgerEvent.objects.count() == before
    assert not BallotCast.objects.filter(session=session).exists()
    assert not SealedBallot.objects.filter(session=session).exists()
    assert session.roll.get(user__username=MEMBERS[0]).attendance == ""
    # Recorded absent by the roll call: no vote at all, in writing or not.
    _roll_call(api, url, MEMBERS[:2])
    absent = api(MEMBERS[2]).get(f"{url}/").json()
    assert absent["can_vote"] is False
    refused = _vote(api, MEMBERS[2], url, dossier, expect=409)
    assert refused["code"] == "written_votes_refused"
    assert not BallotCast.objects.filter(session=session).exists()
    for member in MEMBERS[:2]:
        assert api(member).get(f"{url}/").json()["can_vote"] is True
        _vote(api, member, url, dossier)
    closed = api("t-council-secretary").post(f"{url}/close/", {}, format="json").json()
    assert closed["turnout"]["in_writing"] == 0 and closed["written_votes"] is False
    tally = closed["nominees"][0]
    assert tally | {"yes": 2, "voted": 2, "eligible": 3, "passed": False} == tally
    text = _minutes_text(api, session.pk)
    assert (
        "Phiên bỏ phiếu không nhận phiếu bằng văn bản: theo quy tắc biểu quyết của “Bằng khen "
        "của Thủ tướng Chính phủ”, chỉ thành viên có mặt tại phiên họp bỏ phiếu" in text
    )
    assert "trong đó" not in text and "niêm phong và kiểm như phiếu bỏ tại phiên họp" not in text
    assert "Có mặt tại phiên họp: 2; vắng mặt: 1." in text
    form = next(
        f for f in api("inspector").get("/api/v1/award-forms/").json()["results"]
        if f["code"] == "BK-TTG"
    )  # fmt: skip
    assert form["absentee_written_vote"] is False


def test_one_form_that_takes_none_keeps_the_whole_ballot_from_written_votes():
    """A written vote is one sealed ballot on every nominee: a ballot mixing a form that takes
    written votes with one that does not takes none (and a bloc's ballot never does)."""
    council = BallotSession(body="council")
    takes, refuses = AwardForm(code="A", absentee_written_vote=True), AwardForm(code="B")
    refuses.absentee_written_vote = False
    assert written_votes_refused_by(council, [takes, refuses, refuses]) == [refuses]
    assert written_votes_refused_by(council, [takes]) == []
    assert written_votes_refused_by(BallotSession(body="bloc"), [refuses]) == []


@pytest.mark.parametrize("takes_written", [True, False], ids=["takes", "refuses"])
def test_the_ballot_page_offers_the_written_vote_only_where_the_form_takes_it(api, takes_written):
    """The ballot page states the rule; it offers "I am absent: this is my written vote" only
    where the form takes written votes, and a written vote sent anyway is refused with the
    message, nothing cast. Where it takes none, a member recorded absent is told so instead of
    a ballot, and the secretary's roll call says the absent do not vote."""
    _takes_written_votes("BK-TTG", takes_written)
    dossier = _at_council(api, "Tổ công đoàn trang phiếu")
    url = _open(api, dossier)
    pk = int(url.rsplit("/", 1)[1])
    page = f"/en/ballots/{pk}/"
    writer = Client()
    assert signin(writer, MEMBERS[2])
    html = writer.get(page).content.decode()
    facts = re.search(r'<dd id="ballot-written-votes">(.*?)</dd>', html, re.S)
    assert facts is not None
    assert facts.group(1).startswith("Taken:" if takes_written else "Not taken:")
    assert ('id="in-writing"' in html) is takes_written
    assert 'id="ballot-form"' in html
    ballot = {f"choice_{dossier['nominees'][0]['id']}": "yes", "in_writing": "yes"}
    answer = writer.post(page, ballot, follow=True).content.decode()
    cast = BallotCast.objects.filter(session_id=pk, voter__user__username=MEMBERS[2])
    if takes_written:
        assert "Your ballot is counted" in answer and cast.get().voter.in_writing
        return
    assert "This ballot takes no written votes" in answer and not cast.exists()
    # In Vietnamese first.
    again = writer.post(f"/ballots/{pk}/", ballot, follow=True).content.decode()
    assert "Phiên bỏ phiếu này không nhận phiếu bằng văn bản" in again and not cast.exists()
    secretary = Client()
    assert signin(secretary, "t-council-secretary")
    called = secretary.post(page, {"op": "attendance", "present": MEMBERS[:2]}, follow=True)
    assert "takes no written votes, so they do not vote on it" in called.content.decode()
    html = writer.get(page).content.decode()
    assert 'id="absent-no-written-vote"' in html and 'id="ballot-form"' not in html
    assert 'id="in-writing"' not in html and 'id="written-vote"' not in html


def test_a_blank_name_in_the_roll_call_is_an_unknown_member_after_the_permission_check(api):
    """A name that is blank once trimmed (a control character, schemathesis's find) is parsed
    as any name: the inspector is refused for who they are (403), the secretary is told it is
    no member of the council (400 `not_a_member`), nothing recorded."""
    url = _open(api, _at_council(api, "Tổ công đoàn điểm danh"))
    _roll_call(api, url, ["\x1f"], user="inspector", expect=403)
    refused = _roll_call(api, url, [MEMBERS[0], "\x1f"], expect=400)
    assert refused["code"] == "not_a_member"
    seen = api("t-council-secretary").get(f"{url}/").json()
    assert not [v for v in seen["turnout"]["not_voted"] if v["attendance"] == "present"]
