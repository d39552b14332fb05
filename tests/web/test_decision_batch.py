"""The board head builds a decision batch (tờ trình) on its own page, and the decider reviews
each nominee's checks and signs it, declining one with a reason: Django's test client through
the real sign-in (TOTP included), on the demo world."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.html import escape

from approvals import errors
from approvals.models import Decision
from demo.world import World, act, consult
from dossiers import access, levels, lifecycle
from dossiers import services as dossier_services
from dossiers.models import Dossier, DossierState, Nominee, Stage
from tests.signin import fresh_code, signin
from web.decisions import DECIDER_REQUIRED, DECLINE_REASON_NEEDED, FILTER_IGNORED, decider_label

pytestmark = pytest.mark.django_db

URL = "/decisions/new/"
WAITING = "[demo] Bằng khen TTg — chờ lập tờ trình (HLHPN)"  # forwarded, in no batch
AT_INTAKE = "[demo] Bằng khen TTg — chờ tiếp nhận (VUFO)"


def _free_for_the_pm() -> list[Dossier]:
    """The demo's dossiers awaiting the PM's decision at the central level, in no open batch."""
    return list(
        Dossier.objects.filter(state=DossierState.AWAITING_DECISION, holder__code="TTG")
        .exclude(decision_entries__decision__state__in=["draft", "proposed"])
        .order_by("pk")
    )


@pytest.fixture
def awaiting(world) -> list[Dossier]:
    """Two dossiers awaiting the PM's decision in no batch: HLHPN's, which the demo leaves
    there, and VUFO's, which the central board takes on from intake (accepted, consulted,
    forwarded by its head) through the services."""
    vufo = Dossier.objects.get(title=AT_INTAKE)
    act(world, "board-officer", vufo, "accept")
    consult(world, "board-officer", vufo)
    act(world, "board-head", vufo, "forward")
    dossiers = _free_for_the_pm()
    assert sorted(d.title for d in dossiers) == sorted([WAITING, AT_INTAKE])
    return dossiers


def _client(username: str, **kwargs) -> Client:
    client = Client(**kwargs)
    assert signin(client, username)
    return client


@pytest.fixture
def head() -> Client:
    return _client("board-head")


def _ticked(page: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'name="dossiers" value="(\d+)"[^>]*checked', page)}


def _listed(page: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'name="dossiers" value="(\d+)"', page)}


def test_board_head_prepares_a_batch_from_two_awaiting_dossiers(head, awaiting):
    for url in ("/", "/decisions/"):
        assert f'href="{URL}"' in head.get(url).content.decode(), url
    page = head.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert _listed(html) == {d.pk for d in awaiting}  # not the dossiers already batched
    assert "csrfmiddlewaretoken" in html and 'name="request_key"' in html
    assert escape(decider_label("TTG")) in html  # the decider in words
    before = Decision.objects.count()
    answer = head.post(
        URL, {"decider": "TTG", "dossiers": [d.pk for d in awaiting], "request_key": "batch-1"}
    )
    assert answer.status_code == 302
    decision = Decision.objects.latest("pk")
    assert answer["Location"] == f"/decisions/{decision.pk}/"
    assert Decision.objects.count() == before + 1
    assert decision.state == "draft" and decision.decider == "TTG"
    assert decision.created_by.username == "board-head"
    assert sorted(decision.dossiers.values_list("pk", flat=True)) == [d.pk for d in awaiting]
    # The batch waits for the PM: in the PM's inbox, no longer on the head's page.
    assert _listed(head.get(URL).content.decode()) == set()
    assert f'href="/decisions/{decision.pk}/"' in _client("pm").get("/").content.decode()


@pytest.mark.parametrize("persona", ["proposer-HLHPN", "board-officer", "pm", "inspector"])
def test_others_cannot_prepare_a_batch(persona, awaiting):
    client = _client(persona)
    before = Decision.objects.count()
    assert client.get(URL).status_code == 403
    body = {"decider": "TTG", "dossiers": [d.pk for d in awaiting], "request_key": "k"}
    assert client.post(URL, body).status_code == 403
    assert Decision.objects.count() == before
    for url in ("/", "/decisions/"):
        assert f'href="{URL}"' not in client.get(url).content.decode(), (persona, url)


def test_a_provincial_board_head_cannot_batch_central_dossiers(awaiting):
    """Another level's board head is not offered the central board's dossiers, and naming one
    is refused by the service as a dossier it does not know (it may not see it)."""
    client = _client("t-board-officer")
    page = client.get(URL).content.decode()
    assert not _listed(page) & {d.pk for d in awaiting}
    before = Decision.objects.count()
    body = {"decider": "TTG", "dossiers": [awaiting[0].pk], "request_key": "t-1"}
    answer = client.post(URL, body)
    assert answer.status_code == 400
    with translation.override("vi"):
        expected = errors.UNKNOWN_DOSSIER % {"value": awaiting[0].pk}
    assert escape(expected) in answer.content.decode()
    assert Decision.objects.count() == before


def test_a_bad_decider_is_a_form_error_and_creates_nothing(head, awaiting):
    ids = [d.pk for d in awaiting]
    before = Decision.objects.count()
    wrong = head.post(URL, {"decider": "CTN", "dossiers": ids, "request_key": "w-1"})
    assert wrong.status_code == 400
    html = wrong.content.decode()
    with translation.override("vi"):
        expected = errors.WRONG_DECIDER % {
            "ref": awaiting[0].reference,
            "expected": decider_label("TTG"),
            "decider": decider_label("CTN"),
        }
    assert 'id="batch-errors"' in html and escape(expected) in html
    assert "không phải" in html  # in Vietnamese
    assert _ticked(html) == set(ids)  # the ticked boxes stay ticked
    unknown = head.post(URL, {"decider": "XYZ", "dossiers": ids, "request_key": "w-2"})
    assert unknown.status_code == 400 and 'id="batch-errors"' in unknown.content.decode()
    missing = head.post(URL, {"dossiers": ids, "request_key": "w-3"})
    assert missing.status_code == 400
    with translation.override("vi"):
        assert escape(str(DECIDER_REQUIRED)) in missing.content.decode()
    nothing = head.post(URL, {"decider": "TTG", "request_key": "w-4"})
    assert nothing.status_code == 400
    bad_id = head.post(URL, {"decider": "TTG", "dossiers": ["1²"], "request_key": "w-5"})
    assert bad_id.status_code == 400
    assert Decision.objects.count() == before
    # Nothing consumed: the same dossiers go into a batch with the right decider.
    done = head.post(URL, {"decider": "TTG", "dossiers": ids, "request_key": "w-6"})
    assert done.status_code == 302 and Decision.objects.count() == before + 1


def test_the_same_form_sent_twice_creates_one_batch(head, awaiting):
    body = {"decider": "TTG", "dossiers": [d.pk for d in awaiting], "request_key": "twice"}
    before = Decision.objects.count()
    first = head.post(URL, body)
    again = head.post(URL, body)
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert Decision.objects.count() == before + 1
    # The same key for another batch is refused, not answered with the first one.
    other = head.post(URL, {**body, "decider": "CTN"})
    assert other.status_code == 422 and Decision.objects.count() == before + 1


def test_csrf_is_required(awaiting):
    client = _client("board-head")
    client.handler.enforce_csrf_checks = True  # after signing in: the page's forms carry it
    before = Decision.objects.count()
    body = {"decider": "TTG", "dossiers": [d.pk for d in awaiting], "request_key": "csrf"}
    assert client.post(URL, body).status_code == 403
    assert Decision.objects.count() == before


def test_filters_are_kept_in_the_url(head, awaiting):
    hlhpn, vufo = sorted(awaiting, key=lambda d: d.title != WAITING)
    by_org = head.get(URL, {"organization": "VUFO"}).content.decode()
    assert _listed(by_org) == {vufo.pk}
    assert 'value="VUFO" selected' in by_org
    by_year = head.get(URL, {"year": vufo.year, "award_form": "BK-TTG"}).content.decode()
    assert _listed(by_year) == {hlhpn.pk, vufo.pk}
    not_offered = head.get(URL, {"decider": "CTN"}).content.decode()  # no dossier for CTN
    assert _listed(not_offered) == {hlhpn.pk, vufo.pk}
    with translation.override("vi"):
        assert escape(str(FILTER_IGNORED)) in not_offered
    assert _listed(head.get(URL, {"decider": "TTG"}).content.decode()) == {hlhpn.pk, vufo.pk}
    assert _listed(head.get(URL, {"year": 1990}).content.decode()) == set()
    ignored = head.get(URL, {"year": "²"})
    assert ignored.status_code == 200 and _listed(ignored.content.decode()) == {hlhpn.pk, vufo.pk}
    # A POST from a filtered page goes back to it with the filters (the form has no action).
    form = re.search(r'<form method="post" id="batch-form"[^>]*>', by_org).group(0)
    assert "action=" not in form


def _more_awaiting(count: int) -> list[Dossier]:
    """`count` more dossiers awaiting the PM's decision, each with three nominees (written
    directly: the route to them is not what is measured)."""
    world = World()
    made = []
    for i in range(count):
        dossier = dossier_services.dossier_create(
            actor=world.user("admin"), organization=world.org("MTTQ"),
            award_form=world.form("BK-TTG"), year=2023, title=f"Chờ lập tờ trình {i}",
            nominees=[{"kind": "collective", "name": f"Tập thể {i}-{j}"} for j in range(3)],
        )  # fmt: skip
        steps = lifecycle.route(dossier)
        dossier.state = DossierState.AWAITING_DECISION
        dossier.route_step = next(
            n for n, (stage, _at) in enumerate(steps) if stage == Stage.DECISION
        )
        dossier.holder_id = levels.id_of(steps[dossier.route_step][1])
        dossier.save(update_fields=["state", "route_step", "holder"])
        access.on_held(dossier, levels.CENTRAL)
        made.append(dossier)
    return made


def _queries(client: Client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries), response.content.decode()


@pytest.mark.parametrize("url", [URL, f"{URL}?organization=MTTQ&year=2023&decider=TTG"])
def test_the_page_costs_the_same_queries_as_dossiers_grow(head, url):
    first = _more_awaiting(1)
    head.get(url)  # warm: the organisation tree is read once per change
    before, page = _queries(head, url)
    assert {d.pk for d in first} <= _listed(page)
    more = _more_awaiting(8)
    after, page = _queries(head, url)
    assert {d.pk for d in more} <= _listed(page)  # measured on rows actually shown
    assert after == before


# --- the decider's review and signature ------------------------------------------------------


@pytest.fixture
def batch(head, awaiting) -> Decision:
    answer = head.post(
        URL, {"decider": "TTG", "dossiers": [d.pk for d in awaiting], "request_key": "b"}
    )
    assert answer.status_code == 302
    return Decision.objects.latest("pk")


def test_the_decider_reads_each_nominees_checks(batch):
    nominee = Nominee.objects.filter(dossier__decisions=batch).order_by("pk").first()
    warning = {
        "rule": "women_maternity", "outcome": "warning", "message": "Cần xác minh thời gian nghỉ",
        "citation": "Nghị định 98/2023/NĐ-CP Điều 4", "blocking": False, "overridable": True,
    }  # fmt: skip
    passed = [c for c in nominee.checks if c["outcome"] == "pass"]
    Nominee.objects.filter(pk=nominee.pk).update(checks=[*passed, warning])
    page = _client("pm").get(f"/decisions/{batch.pk}/").content.decode()
    for dossier in batch.dossiers.all():
        assert dossier.reference in page
        for each in dossier.nominees.all():
            assert escape(each.name) in page and f'name="decline_{each.pk}"' in page
            assert f'name="decline" value="{each.pk}"' in page
    assert "Cần xác minh thời gian nghỉ" in page and "Nghị định 98/2023/NĐ-CP Điều 4" in page
    assert "women_maternity" not in page  # the rule is named by its message, not its code
    assert 'name="signed_on"' in page and 'name="otp"' in page


def test_the_decider_declines_one_nominee_and_a_used_code_keeps_the_form(batch):
    from django.contrib.auth import get_user_model

    from accounts.auth import verify_code

    pm = _client("pm")
    url = f"/decisions/{batch.pk}/"
    first, second = batch.dossiers.order_by("pk")
    declined = first.nominees.get()
    body = {
        "number": "321/QĐ-TTg", "signed_on": "2026-11-20", "decline": [declined.pk],
        f"decline_{declined.pk}": "Chưa đủ thời gian công tác",
    }  # fmt: skip
    # A box ticked without a reason is a form error: nothing is consumed.
    no_reason = pm.post(url, {**body, f"decline_{declined.pk}": "", "otp": "123456"})
    assert no_reason.status_code == 400
    with translation.override("vi"):
        message = DECLINE_REASON_NEEDED % {"name": declined.name}
    assert escape(message) in no_reason.content.decode()
    # A code already used (at sign-in, say): 403, the form as typed, the code field empty.
    used = fresh_code("pm")
    assert verify_code(get_user_model().objects.get(username="pm"), used)
    refused = pm.post(url, {**body, "otp": used})
    assert refused.status_code == 403
    html = refused.content.decode()
    for kept in ('value="321/QĐ-TTg"', 'value="2026-11-20"', 'value="Chưa đủ thời gian công tác"'):
        assert kept in html, kept
    assert re.search(rf'name="decline" value="{declined.pk}"[^>]*checked', html)
    otp = re.search(r"<input[^>]*name=\"otp\"[^>]*>", html).group(0)
    assert "value=" not in otp and "autofocus" in otp  # ask for the next code there
    assert Decision.objects.get(pk=batch.pk).state == "draft"
    # The next code signs: one nominee declined with its reason, the others awarded.
    signed = pm.post(url, {**body, "otp": fresh_code("pm")})
    assert signed.status_code == 302
    batch.refresh_from_db()
    assert batch.state == "signed" and batch.number == "321/QĐ-TTg"
    declined.refresh_from_db()
    assert (
        declined.outcome == "declined" and declined.outcome_reason == "Chưa đủ thời gian công tác"
    )
    assert {n.outcome for n in second.nominees.all()} == {"awarded"}


def test_declines_belong_to_the_batchs_nominees(batch):
    pm = _client("pm")
    url = f"/decisions/{batch.pk}/"
    body = {"number": "322/QĐ-TTg", "signed_on": "2026-11-20", "otp": "123456"}
    for bad in ("999999999", "abc", "1²"):
        answer = pm.post(url, {**body, "decline": [bad]})
        assert answer.status_code == 400, bad
    assert Decision.objects.get(pk=batch.pk).state == "draft"


def test_the_decision_page_costs_the_same_queries_with_a_bigger_batch(head, batch):
    """The review reads the dossiers and nominees its selector prefetched: a batch of ten
    dossiers of three nominees costs what a batch of two costs."""
    more = _more_awaiting(10)
    answer = head.post(
        URL, {"decider": "TTG", "dossiers": [d.pk for d in more], "request_key": "big"}
    )
    assert answer.status_code == 302
    bigger = Decision.objects.latest("pk")
    pm = _client("pm")
    pm.get(f"/decisions/{batch.pk}/")  # warm
    small, _page = _queries(pm, f"/decisions/{batch.pk}/")
    big, page = _queries(pm, f"/decisions/{bigger.pk}/")
    assert all(f'name="decline_{n.pk}"' in page for d in more for n in d.nominees.all())
    assert big == small
