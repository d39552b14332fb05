"""The home page per persona, the ballot pages (the rule stated, closing confirmed, only
ballotable nominees offered) and the dossier list's search, filters and sorting (issue #14)."""

import datetime
import re
from urllib.parse import parse_qs, unquote

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from approvals import ballots
from approvals import services as approval_services
from approvals.models import BallotSession, Decision, DecisionEntry
from approvals.rules import votes_needed
from demo.world import World, bloc_ballot
from dossiers import calendar, lifecycle
from dossiers.models import Dossier, DossierState, Nominee
from tests.signin import signin
from tests.workflows.helpers import act, create, upload_required
from web.ballots import DENOMINATOR_LABELS
from web.lists import FILTER_IGNORED
from workflows import selectors
from workflows import services as wf

pytestmark = pytest.mark.django_db


def _client(username: str) -> Client:
    client = Client()
    assert signin(client, username), username
    return client


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _section(html: str, section_id: str) -> str:
    found = re.search(rf'<section[^>]*id="{section_id}".*?</section>', html, re.S)
    return found.group(0) if found else ""


def _dossier_links(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'href="/(?:en/)?dossiers/(\d+)/"', html)}


# --- the home page ---------------------------------------------------------------------------


def test_inspector_home_lists_nothing_as_waiting():
    response = _client("inspector").get("/en/")
    html = _html(response)
    assert response.context["page"].paginator.count == 0
    assert "Dossiers waiting for you" not in html and "waits for you" not in html
    assert _dossier_links(html) == set()  # no dossier offered as work
    assert 'class="next-step"' not in html
    overview = _section(html, "overview")
    assert 'href="/en/dossiers/"' in overview and "?overdue=true" in overview
    in_progress = Dossier.objects.exclude(state__in=lifecycle.TERMINAL).count()
    assert f"{in_progress} dossiers in progress" in overview
    assert "New dossier" not in html and "Open a ballot" not in html


def test_a_large_count_on_the_home_page_is_kept_a_while_and_says_when_it_was_counted(settings, api):
    """Counts of at least HOME_LARGE_COUNT dossiers come from the cache for HOME_COUNT_SECONDS,
    with the time they were counted; smaller ones are counted for every page."""
    settings.HOME_LARGE_COUNT = 1  # the demo world's counts are all large, for this test
    cache.clear()
    try:
        inspector = _client("inspector")
        in_progress = Dossier.objects.exclude(state__in=lifecycle.TERMINAL).count()
        first = _section(_html(inspector.get("/en/")), "overview")
        assert f"{in_progress} dossiers in progress" in first
        assert re.search(r"counted at \d\d:\d\d:\d\d", first)
        assert re.search(r"đếm lúc \d\d:\d\d:\d\d", _html(inspector.get("/")))
        create(api, "MTTQ", "BK-TTG")  # one more dossier in progress
        kept = _section(_html(inspector.get("/en/")), "overview")
        assert f"{in_progress} dossiers in progress" in kept
        cache.clear()  # as when HOME_COUNT_SECONDS have passed
        again = _section(_html(inspector.get("/en/")), "overview")
        assert f"{in_progress + 1} dossiers in progress" in again
        settings.HOME_LARGE_COUNT = 1_000_000
        cache.clear()
        create(api, "MTTQ", "BK-TTG")
        fresh = _section(_html(inspector.get("/en/")), "overview")
        assert f"{in_progress + 2} dossiers in progress" in fresh and "counted at" not in fresh
        assert "đếm lúc" not in _html(inspector.get("/"))
    finally:
        cache.clear()


def test_president_home_does_not_list_a_batch_the_pm_has_not_proposed():
    batch = Decision.objects.get(decider="CTN", state="draft")
    waiting = [e.dossier for e in DecisionEntry.objects.filter(decision=batch)]
    president = _client("president")
    html = _html(president.get("/"))
    assert _dossier_links(html).isdisjoint({d.pk for d in waiting})
    assert f'href="/decisions/{batch.pk}/"' not in html
    pm_html = _html(_client("pm").get("/"))
    assert f'href="/decisions/{batch.pk}/"' in pm_html  # the PM's to propose
    assert {d.pk for d in waiting} <= _dossier_links(pm_html)
    # The PM proposes it: now it is the President's.
    approval_services.decision_propose(
        actor=World().user("pm"), decision=batch, number="12/TTr-TTg"
    )
    html = _html(president.get("/"))
    assert f'href="/decisions/{batch.pk}/"' in html
    assert {d.pk for d in waiting} <= _dossier_links(html)


def test_a_unit_sees_the_decisions_on_its_dossiers():
    signed = Decision.objects.filter(state="signed", dossiers__organization__code="HLHPN").first()
    client = _client("head-HLHPN")
    html = _html(client.get("/en/"))
    section = _section(html, "unit-decisions")
    assert f'href="/en/decisions/{signed.pk}/"' in section
    own = signed.dossiers.get(organization__code="HLHPN")
    assert own.reference in section
    assert client.get(f"/decisions/{signed.pk}/").status_code == 200
    assert f'href="/decisions/{signed.pk}/"' in _html(client.get("/decisions/"))
    # Not a batch still being prepared, and not another unit's decision.
    draft = Decision.objects.filter(state="draft", dossiers__organization__code="HND").first()
    assert _client("proposer-HND").get(f"/decisions/{draft.pk}/").status_code == 404
    stranger = Decision.objects.filter(state="signed").exclude(dossiers__organization__code="VUFO")
    assert _client("proposer-VUFO").get(f"/decisions/{stranger.first().pk}/").status_code == 404


def test_each_row_offers_the_next_step_the_policy_allows():
    draft = Dossier.objects.filter(organization__code="HLHPN", state="draft").first()
    head = _html(_client("head-HLHPN").get("/en/"))
    proposer = _html(_client("proposer-HLHPN").get("/en/"))
    row = re.compile(rf'href="/en/dossiers/{draft.pk}/".*?</tr>', re.S)
    assert "Sign and submit" in row.search(head).group(0)  # the unit head submits
    assert "Sign and submit" not in proposer  # the proposer completes it, never submits
    assert "Complete the dossier" in row.search(proposer).group(0)
    assert "New dossier" in proposer and "Prepare a submission" not in proposer
    assert "Open a ballot" not in proposer


def test_ballots_on_the_home_page_offer_vote_or_close_by_role():
    session = BallotSession.objects.filter(state="open", bloc__code="KHOI-CTXH-TW").first()
    close = f'href="/en/ballots/{session.pk}/close/"'
    voter = _section(_html(_client("voter-VUFO").get("/en/")), "ballots")
    assert f'href="/en/ballots/{session.pk}/"' in voter and close not in voter
    assert f"{session.casts.count()} of {session.roll.count()} have voted" in voter
    leader = _section(_html(_client("voter-MTTQ").get("/en/")), "ballots")
    assert close in leader


# --- ballots ---------------------------------------------------------------------------------


def _open_session() -> BallotSession:
    return BallotSession.objects.filter(state="open", bloc__code="KHOI-CTXH-TW").first()


def test_the_ballot_page_states_the_rule_quorum_deadline_and_turnout():
    session = _open_session()
    session.deadline = timezone.now() + datetime.timedelta(days=2)
    session.save(update_fields=["deadline"])
    item = session.items.select_related("dossier__award_form").first()
    rule = ballots.vote_rule(session, item.dossier.award_form)
    roll, voted = session.roll.count(), session.casts.count()
    html = _html(_client("voter-VUFO").get(f"/en/ballots/{session.pk}/"))
    facts = _section(html, "ballot-facts") or html
    assert f"at least {rule['threshold_percent']}%" in facts
    assert str(DENOMINATOR_LABELS[rule["denominator"]]) in facts
    assert f"Quorum: at least {rule['quorum_percent']}%" in facts
    assert f"({votes_needed(rule['quorum_percent'], roll)} of {roll})" in facts
    assert f"{roll} members may vote" in facts
    assert f"{voted} of {roll} have voted" in facts
    assert timezone.localtime(session.deadline).strftime("%d/%m/%Y %H:%M") in facts
    assert 'name="choice_' in html  # the rule comes before the ballot form
    assert html.index("ballot-facts") < html.index('name="choice_')


def test_a_ballot_without_a_deadline_says_who_closes_it():
    session = _open_session()
    assert session.deadline is None
    html = _html(_client("voter-VUFO").get(f"/en/ballots/{session.pk}/"))
    assert "stays open until the bloc's leader" in html


def test_closing_needs_a_confirmation():
    session = _open_session()
    leader = _client("voter-MTTQ")
    detail = f"/ballots/{session.pk}/"
    url = f"/ballots/{session.pk}/close/"
    # The ballot page's button leads to the confirmation; a single POST closes nothing.
    assert f'action="{url}"' in _html(leader.get(detail))
    answer = leader.post(detail, {"op": "close"})
    assert (answer.status_code, answer["Location"]) == (302, url)
    for body in ({}, {"confirm": "no"}, {"confirm": ""}):
        refused = leader.post(url, body)
        assert refused.status_code == 400
        assert BallotSession.objects.get(pk=session.pk).state == "open"
    # The confirmation states the rule and the turnout, never a choice.
    page = leader.get(f"/en{url}")
    html = _html(page)
    roll, voted = session.roll.count(), session.casts.count()
    assert f"{voted} of {roll} have voted" in html and "Quorum: at least" in html
    assert 'id="confirm-close-form"' in html and 'name="confirm" value="yes"' in html
    assert 'name="choice_' not in html and "Yes</th>" not in html
    # Another member may read the ballot but not close it; a stranger does not see it.
    assert _client("voter-VUFO").get(url).status_code == 403
    assert _client("voter-VUFO").post(url, {"confirm": "yes"}).status_code == 403
    assert _client("proposer-VUFO").get(url).status_code == 404
    assert BallotSession.objects.get(pk=session.pk).state == "open"
    done = leader.post(url, {"confirm": "yes"})
    assert (done.status_code, done["Location"]) == (302, detail)
    assert BallotSession.objects.get(pk=session.pk).state == "closed"
    again = leader.get(url)  # closed: back to the ballot, nothing to confirm
    assert (again.status_code, again["Location"]) == (302, detail)


def test_an_absent_council_member_votes_in_writing_and_the_secretary_calls_the_roll():
    """The ballot page of the first province's open council ballot: a member not yet called
    ticks "absent: my written vote"; the secretary's roll call (its page only) records the
    others; a member recorded present is not offered the written vote and is refused one."""
    session = BallotSession.objects.get(state="open", council__code="T-HDTDKT")
    nominees = list(session.items.values_list("nominee_id", flat=True))
    url = f"/en/ballots/{session.pk}/"
    ballot = {f"choice_{n}": "yes" for n in nominees}
    writer = _client("t-council-member-3")
    html = _html(writer.get(url))
    assert 'id="in-writing"' in html and 'id="attendance-form"' not in html
    done = writer.post(url, {**ballot, "in_writing": "yes"})
    assert "Your ballot is counted" in _html(done)
    assert "written vote" in _html(_client("inspector").get(url))
    member = _client("t-council-member-1")
    refused = member.post(url, {"op": "attendance", "present": ["t-council-member-1"]})
    assert refused.status_code == 403
    secretary = _client("t-council-secretary")
    assert 'id="attendance-form"' in _html(secretary.get(url))
    called = secretary.post(url, {"op": "attendance", "present": ["t-council-member-1"]})
    assert (called.status_code, called["Location"]) == (302, url)
    roll = dict(session.roll.values_list("user__username", "attendance"))
    assert roll == {
        "t-council-member-1": "present", "t-council-member-2": "absent",
        "t-council-member-3": "absent",
    }  # fmt: skip
    wrong = secretary.post(url, {"op": "attendance", "present": ["t-council-member-3"]})
    assert wrong.status_code == 302  # the writer cannot be made present: a message, no change
    assert session.roll.get(user__username="t-council-member-3").attendance == "absent"
    html = _html(member.get(url))
    assert 'id="in-writing"' not in html and 'id="written-vote"' not in html
    member.post(url, {**ballot, "in_writing": "yes"})  # present: refused, nothing cast
    assert not session.casts.filter(voter__user__username="t-council-member-1").exists()
    assert 'id="written-vote"' in _html(_client("t-council-member-2").get(url))
    assert session.casts.get().voter.user.username == "t-council-member-3"


def test_the_confirmation_warns_when_the_quorum_is_not_reached():
    session = _open_session()
    html = _html(_client("voter-MTTQ").get(f"/en/ballots/{session.pk}/close/"))
    item = session.items.select_related("dossier__award_form").first()
    quorum = ballots.vote_rule(session, item.dossier.award_form)["quorum_percent"]
    short = session.casts.count() < votes_needed(quorum, session.roll.count())
    assert ('id="quorum-warning"' in html) is short


def _offered(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'name="nominees" value="(\d+)"', html)}


def _waiting_dossier(api, org: str = "HLHPN") -> Dossier:
    nominee = {"kind": "collective", "name": f"Tập thể {org} thử", "organization": org}
    dossier = create(api, org, "BK-TTG", [nominee], year=2023)
    upload_required(api, org, dossier, ["to_trinh", "bao_cao_thanh_tich"])
    assert act(api, f"head-{org}", dossier, "submit")["state"] == "bloc_voting"
    return Dossier.objects.get(pk=dossier["id"])


def test_the_open_page_offers_only_nominees_on_no_open_ballot_and_ticks_none(api):
    busy = _open_session().items.values_list("nominee_id", flat=True)
    fresh = _waiting_dossier(api)
    leader = _client("voter-MTTQ")
    html = _html(leader.get("/ballots/new/"))
    offered = _offered(html)
    assert set(busy).isdisjoint(offered)
    assert set(fresh.nominees.values_list("pk", flat=True)) <= offered
    assert " checked" not in html
    # The rule the nominees would be counted by, and the roll, before opening.
    bloc = fresh.bloc
    target = next(t for t in leader.get("/ballots/new/").context["waiting"] if t.year == 2023)
    rule = ballots.vote_rule(BallotSession(body="bloc", bloc=bloc), fresh.award_form)
    assert [(r.threshold_percent, r.quorum_percent) for r in target.rules] == [
        (rule["threshold_percent"], rule["quorum_percent"])
    ]
    assert target.roll == len(ballots.ballot_roll(bloc=bloc, year=2023))
    # Opened with a deadline: it is no longer offered.
    deadline = timezone.localtime() + datetime.timedelta(days=3)
    answer = leader.post(
        "/ballots/new/",
        {
            "target": target.key,
            "nominees": [n.pk for n in fresh.nominees.all()],
            "deadline": deadline.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert answer.status_code == 302
    session = BallotSession.objects.latest("pk")
    assert timezone.localtime(session.deadline).strftime("%Y-%m-%dT%H:%M") == deadline.strftime(
        "%Y-%m-%dT%H:%M"
    )
    assert _offered(_html(leader.get("/ballots/new/"))).isdisjoint(
        fresh.nominees.values_list("pk", flat=True)
    )


def test_a_deadline_in_the_past_opens_nothing(api):
    fresh = _waiting_dossier(api)
    leader = _client("voter-MTTQ")
    target = next(t for t in leader.get("/ballots/new/").context["waiting"] if t.year == 2023)
    before = BallotSession.objects.count()
    answer = leader.post(
        "/ballots/new/",
        {"target": target.key, "nominees": [n.pk for n in fresh.nominees.all()],
         "deadline": "2020-01-01T09:00"},
    )  # fmt: skip
    assert answer.status_code == 400 and BallotSession.objects.count() == before
    # The ticks the leader made are kept; nothing else is ticked.
    ticked = set(re.findall(r'value="(\d+)" id="nominee-\d+" checked', answer.content.decode()))
    assert ticked == {str(n.pk) for n in fresh.nominees.all()}


def test_the_council_page_leaves_out_the_dossier_already_on_the_councils_ballot():
    session = BallotSession.objects.get(state="open", council__code="HDTDKT-TW")
    on_it = set(session.items.values_list("nominee_id", flat=True))
    html = _html(_client("council-secretary").get("/ballots/new/"))
    assert on_it and on_it.isdisjoint(_offered(html))
    assert " checked" not in html


# --- the dossier list ------------------------------------------------------------------------


def _listed(client, query: str) -> list[Dossier]:
    response = client.get(f"/dossiers/?{query}")
    assert response.status_code == 200
    return list(response.context["page"].object_list)


def _all(client, query: str) -> set[int]:
    """Every dossier the list gives for `query`, across its pages (following its own links)."""
    url, seen = f"/dossiers/?{query}", set()
    while url:
        response = client.get(url)
        seen |= {d.pk for d in response.context["page"].object_list}
        nxt = re.search(r'href="(\?page=\d+[^"]*)" rel="next"', response.content.decode())
        url = f"/dossiers/{nxt.group(1).replace('&amp;', '&')}" if nxt else None
    return seen


@pytest.fixture
def inspector():
    return _client("inspector")


def test_search_by_reference_title_and_nominee_name(inspector):
    dossier = Dossier.objects.filter(organization__code="HLHPN").order_by("pk").first()
    nominee = Nominee.objects.filter(dossier=dossier).first()
    by_reference = _listed(inspector, f"q={dossier.reference.lower()}")
    assert [d.pk for d in by_reference] == [dossier.pk]
    assert dossier.pk in {d.pk for d in _listed(inspector, f"q={dossier.title[:12]}")}
    by_name = _all(inspector, f"q={nominee.name}")
    assert dossier.pk in by_name
    assert by_name == set(
        Dossier.objects.filter(nominees__name__icontains=nominee.name).values_list("pk", flat=True)
    ) | set(
        Dossier.objects.filter(title__icontains=nominee.name).values_list("pk", flat=True)
    )  # fmt: skip
    too_long = inspector.get("/dossiers/?q=" + "x" * 101)  # bounded: ignored with a message
    assert too_long.status_code == 200 and too_long.context["values"] == {}
    assert str(FILTER_IGNORED) in [str(m) for m in too_long.context["messages"]]


@pytest.mark.parametrize(
    ("query", "check"),
    [
        ("year=2024", lambda d: d.year == 2024),
        ("award_form=BK-TTG", lambda d: d.award_form.code == "BK-TTG"),
        ("organization=HLHPN", lambda d: d.organization.code == "HLHPN"),
        ("state=draft", lambda d: d.state == "draft"),
        ("state=bloc_voting&year=2023&award_form=BK-TTG",
         lambda d: (d.state, d.year, d.award_form.code) == ("bloc_voting", 2023, "BK-TTG")),
    ],
)  # fmt: skip
def test_each_filter_and_combined(inspector, query, check):
    shown = _all(inspector, query)
    assert shown
    expected = {
        d.pk for d in Dossier.objects.select_related("award_form", "organization") if check(d)
    }
    assert shown == expected


def _organisations_offered(client: Client) -> set[str]:
    """The codes the list's organisation filter offers."""
    select = re.search(
        r'<select name="organization".*?</select>', _html(client.get("/dossiers/")), re.S
    )
    return set(re.findall(r'<option value="([^"]+)"', select.group(0)))


def test_the_organisation_filter_offers_the_users_own_levels_only(inspector):
    """A province's people are offered that province's units, never another province's; the
    central level's and the inspector, every unit that has proposed."""
    proposed = set(Dossier.objects.values_list("organization__code", flat=True))
    assert {"T-HND", "T2-HND", "HLHPN"} <= proposed
    first_province = _organisations_offered(_client("t-board-officer"))
    assert "T-HND" in first_province and "T2-HND" not in first_province
    assert first_province <= {code for code in proposed if code.startswith("T-")}
    assert "T2-HND" not in _organisations_offered(_client("proposer-T-HND"))
    assert "T-HND" not in _organisations_offered(_client("t2-board-officer"))
    assert (
        _organisations_offered(inspector)
        == proposed
        == _organisations_offered(_client("board-officer"))
    )


def test_overdue_and_assignee_filters(inspector):
    officer = World().user("board-officer")
    seen = selectors.dossier_list_visible_to(officer).exclude(state__in=lifecycle.TERMINAL)
    late, assigned = seen.filter(assignee__isnull=True).order_by("pk")[:2]
    Dossier.objects.filter(pk=late.pk).update(due_date=datetime.date(2020, 1, 2))
    Dossier.objects.filter(pk=assigned.pk).update(assignee=officer)
    today = calendar.today()
    overdue = set(
        Dossier.objects.filter(due_date__lt=today)
        .exclude(state__in=lifecycle.TERMINAL)
        .values_list("pk", flat=True)
    )
    assert late.pk in overdue and _all(inspector, "overdue=true") == overdue
    assert _all(inspector, "overdue=false") == set(
        Dossier.objects.exclude(pk__in=overdue).values_list("pk", flat=True)
    )
    mine = set(Dossier.objects.filter(assignee=officer).values_list("pk", flat=True))
    assert assigned.pk in mine and _all(inspector, "assignee=board-officer") == mine
    assert _all(_client("board-officer"), "assignee=me") == mine
    both = _all(inspector, "assignee=board-officer&overdue=true")
    assert both == mine & overdue


def test_filters_are_kept_in_the_pagination_and_column_links(inspector):
    world = World()
    for i in range(27):
        wf.dossier_start(
            actor=world.user("proposer-MTTQ"), organization=world.org("MTTQ"),
            award_form=world.form("BK-TTG"), year=2023, title=f"Trang {i}",
            nominees=[{"kind": "collective", "name": f"Tập thể {i}", "organization": "MTTQ"}],
        )  # fmt: skip
    query = "q=Trang&organization=MTTQ&state=draft&ordering=-reference"
    response = inspector.get(f"/dossiers/?{query}")
    html = response.content.decode()
    assert response.context["page"].paginator.count == 27
    nxt = re.search(r'href="\?page=2([^"]*)" rel="next"', html).group(1).replace("&amp;", "&")
    assert parse_qs(nxt.lstrip("&")) == {
        "q": ["Trang"], "organization": ["MTTQ"], "state": ["draft"], "ordering": ["-reference"]
    }  # fmt: skip
    assert len(_all(inspector, query)) == 27
    refs = [d.reference for d in response.context["page"].object_list]
    assert refs == sorted(refs, reverse=True)
    # Column links keep the filters and sort by that column (the current one reversed).
    heads = re.findall(r'<th scope="col"[^>]*><a href="\?([^"]*)">', html)
    links = [parse_qs(unquote(q.replace("&amp;", "&"))) for q in heads]
    orderings = [params["ordering"][0] for params in links]
    assert orderings == ["reference", "title", "award_form", "organization", "year", "state", "due"]
    for params in links:  # "reference" is descending now: its link sorts ascending
        assert params["q"] == ["Trang"] and params["state"] == ["draft"]
        assert params["organization"] == ["MTTQ"] and "page" not in params
    # The form shows the chosen values again.
    assert 'value="Trang"' in html and 'value="draft" selected' in html


@pytest.mark.parametrize("ordering", ["year", "-year", "due", "-due", "state", "organization"])
def test_ordering_sorts_by_the_whitelisted_column(inspector, ordering):
    rows = _listed(inspector, f"ordering={ordering}")
    name = ordering.lstrip("-")
    key = {
        "year": lambda d: d.year,
        "due": lambda d: d.due_date or datetime.date.max,
        "state": lambda d: d.state,
        "organization": lambda d: d.organization.code,
    }[name]
    values = [key(d) for d in rows]
    if name == "due" and ordering.startswith("-"):
        dated = [v for v in values if v != datetime.date.max]
        assert dated == sorted(dated, reverse=True) and values[: len(dated)] == dated
    else:
        assert values == sorted(values, reverse=ordering.startswith("-"))


@pytest.mark.parametrize("ordering", ["password", "-created_by__password", "year;drop", "%00"])
def test_an_unknown_ordering_is_ignored_not_an_error(inspector, ordering):
    response = inspector.get(f"/dossiers/?ordering={ordering}&state=draft")
    assert response.status_code == 200
    assert str(FILTER_IGNORED) in [str(m) for m in response.context["messages"]]
    assert {d.state for d in response.context["page"].object_list} == {"draft"}  # kept
    assert "ordering" not in response.context["values"]


def test_the_api_gains_the_filters(api):
    client = api("inspector")
    answer = client.get("/api/v1/dossiers/?q=HLHPN&ordering=-year&overdue=false")
    assert answer.status_code == 200
    years = [row["year"] for row in answer.json()["results"]]
    assert years and years == sorted(years, reverse=True)
    refused = client.get("/api/v1/dossiers/?ordering=password")
    assert refused.status_code == 400 and refused.json()["code"] == "invalid"


# --- query counts ----------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context.captured_queries)


def _grow() -> None:
    """More dossiers (some overdue, some in a signed decision of the unit), and another open
    ballot of the central bloc."""
    world = World()
    made = []
    for i in range(8):
        made.append(
            wf.dossier_start(
                actor=world.user("proposer-HCCB"),
                organization=world.org("HCCB"),
                award_form=world.form("BK-TTG"),
                year=2023,
                title=f"Thêm {i}",
                nominees=[
                    {"kind": "collective", "name": f"Tập thể thêm {i}", "organization": "HCCB"}
                    for _ in range(2)
                ],
            )  # fmt: skip
        )
    Dossier.objects.filter(pk__in=[d.pk for d in made[:4]]).update(
        due_date=datetime.date(2020, 1, 1)
    )
    extra = made[4:7]
    Dossier.objects.filter(pk__in=[d.pk for d in extra]).update(
        state=DossierState.BLOC_VOTING, bloc_id=_open_session().bloc_id
    )
    bloc_ballot(world, "voter-MTTQ", "KHOI-CTXH-TW", 2023,
                list(Dossier.objects.filter(pk__in=[d.pk for d in extra])), ["HLHPN"],
                close=False)  # fmt: skip
    signed = Decision.objects.filter(state="signed", decider="TTG").first()
    for dossier in made[:3]:
        DecisionEntry.objects.create(decision=signed, dossier=dossier)
    extra_signed = Decision.objects.create(
        decider="TTG", state="signed", number="77/QĐ-TTg", year=2023, created_by=world.user("pm")
    )
    DecisionEntry.objects.create(decision=extra_signed, dossier=made[7])


@pytest.mark.parametrize(
    ("username", "url"),
    [
        ("inspector", "/"),
        ("president", "/"),
        ("pm", "/"),
        ("board-head", "/"),
        ("voter-MTTQ", "/"),
        ("head-HCCB", "/"),
        ("proposer-HCCB", "/"),
        ("inspector", "/dossiers/?q=Th&ordering=-due&overdue=true&year=2023"),
        ("board-officer", "/dossiers/?assignee=me&award_form=BK-TTG&ordering=state"),
        ("head-HCCB", "/dossiers/?organization=HCCB&state=draft&page=1"),
    ],
)
def test_home_and_list_queries_are_constant(username, url):
    client = _client(username)
    client.get(url)  # warm the organisation tree
    before = _queries(client, url)
    _grow()
    client.get(url)
    assert _queries(client, url) == before
