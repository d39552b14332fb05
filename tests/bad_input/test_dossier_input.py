"""Bad input to the dossier list filters, to dossier create and edit (API and UI form), the
dossier limits and whose nominees a unit may name: each a clear 4xx with its code, and nothing
written. The UI create form is validated by the API's own serializer and service."""

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape
from django.utils.translation import gettext

from dossiers import errors
from dossiers.errors import DossierError, Forbidden
from dossiers.models import Dossier, DossierState, Nominee, Organization
from web.lists import FILTER_IGNORED
from workflows import services as wf

LIST = "/api/v1/dossiers/"
BLOCS = "/api/v1/blocs/"
CREATE_PAGE = "/dossiers/new/"
PROPOSER = "proposer-HLHPN"
PYTHON_TEXT = ("invalid literal", "ValueError", "Traceback", "DoesNotExist", "NUL (0x00)")


def person(name: str = "Nguyễn Thị Hoa", org: str | None = "HLHPN", **extra) -> dict:
    return {"kind": "individual", "name": name, "organization": org, **extra}


def body(**changes) -> dict:
    return {
        "award_form": "BK-TTG",
        "year": 2024,
        "title": "Đề nghị Bằng khen Thủ tướng",
        "organization": "HLHPN",
        "nominees": [person()],
        **changes,
    }


def page_client(world, username: str = PROPOSER) -> Client:
    client = Client()
    client.force_login(world.user(username))
    return client


def shows(response, message) -> bool:
    return escape(str(message)) in response.content.decode()


def no_python_text(response) -> bool:
    text = response.content.decode()
    return not any(marker in text for marker in PYTHON_TEXT)


def draft_of_hlhpn(world) -> Dossier:
    return wf.dossier_start(
        actor=world.user(PROPOSER),
        organization=world.org("HLHPN"),
        award_form=world.form("BK-TTG"),
        year=2024,
        title="Hồ sơ để sửa",
        nominees=[person()],
    )


# --- the list filters: API ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "query,field",
    [
        ("year=%C2%B2", "year"),  # "²": isdigit() but not int()
        ("year=%00", "year"),
        ("year=2023.5", "year"),
        ("year=99999999999999999999999", "year"),
        ("state=%00", "state"),
        ("state=not-a-state", "state"),
        ("organization=a%00b", "organization"),
        ("organization=(", "organization"),
        ("award_form=BK-TTG%00", "award_form"),
        ("award_form=" + "x" * 40, "award_form"),
    ],
)
def test_dossier_list_refuses_bad_filters(api, nothing_written, query, field):
    with nothing_written():
        response = api("inspector").get(f"{LIST}?{query}")
    assert response.status_code == 400, response.content
    answer = response.json()
    assert answer["code"] == "invalid"
    assert answer["detail"].startswith(f"{field}: ")
    assert list(answer["errors"]) == [field]


def test_dossier_list_filters_still_filter(api):
    rows = api("inspector").get(f"{LIST}?year=2023&organization=HLHPN&state=decided").json()
    assert rows["count"] >= 1
    for row in rows["results"]:
        assert (row["year"], row["organization"], row["state"]) == (2023, "HLHPN", "decided")
    forms = api("inspector").get(f"{LIST}?award_form=BK-TTG").json()["results"]
    assert forms and {row["award_form"] for row in forms} == {"BK-TTG"}
    assert api("inspector").get(f"{LIST}?state=&year=").status_code == 200  # empty: no filter


@pytest.mark.parametrize("size,expected", [("%C2%B2", 50), ("%00", 50), ("0", 50), ("5", 5)])
def test_page_size_is_parsed_and_bounded(api, size, expected):
    answer = api("inspector").get(f"{LIST}?page_size={size}")
    assert answer.status_code == 200
    assert len(answer.json()["results"]) == min(expected, answer.json()["count"])


@pytest.mark.parametrize("page", ["%C2%B2", "%00", "99999"])
def test_a_page_that_is_not_there_is_404_on_the_api_and_the_first_page_on_the_ui(api, world, page):
    answer = api("inspector").get(f"{LIST}?page={page}")
    assert answer.status_code == 404 and answer.json()["code"] == "not_found"
    shown = page_client(world, "inspector").get(f"/dossiers/?page={page}")
    assert shown.status_code == 200
    assert shown.context["page"].number in (1, shown.context["page"].paginator.num_pages)


@override_settings(API_MAX_PAGE_SIZE=7)
def test_page_size_has_a_ceiling(api):
    answer = api("inspector").get(f"{LIST}?page_size=100000").json()
    assert answer["count"] > 7 and len(answer["results"]) == 7


@pytest.mark.parametrize("query", ["year=%C2%B2", "year=%00", "year=abc", "year=1"])
def test_bloc_year_refused(api, nothing_written, query):
    with nothing_written():
        response = api("inspector").get(f"{BLOCS}?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["errors"]) == ["year"]


def test_bloc_year_still_selects_members(api):
    blocs = {b["code"]: b for b in api("inspector").get(f"{BLOCS}?year=2023").json()["results"]}
    assert blocs["KHOI-CTXH-TW"]["year"] == 2023
    assert "HLHPN" in blocs["KHOI-CTXH-TW"]["members"]
    assert blocs["KHOI-CTXH-TW"]["leader"] == "MTTQ"
    plain = api("inspector").get(BLOCS).json()["results"]
    assert all(b["members"] == [] and b["year"] is None for b in plain)


# --- the list filters: the page ----------------------------------------------------------------


@pytest.mark.parametrize("query", ["state=%00", "state=%C2%B2", "state=nope", "year=%C2%B2"])
def test_dossier_list_page_ignores_bad_filter_with_a_message(world, nothing_written, query):
    client = page_client(world, "inspector")
    with nothing_written():
        response = client.get(f"/dossiers/?{query}")
    assert response.status_code == 200
    assert shows(response, gettext(str(FILTER_IGNORED)))
    everything = client.get("/dossiers/").context["page"].paginator.count
    assert response.context["page"].paginator.count == everything
    assert response.context["state"] == ""


def test_dossier_list_page_filters_by_state(world):
    response = page_client(world, "inspector").get("/dossiers/?state=draft")
    assert response.status_code == 200
    assert response.context["state"] == "draft"
    assert {d.state for d in response.context["page"]} == {DossierState.DRAFT}
    assert not shows(response, gettext(str(FILTER_IGNORED)))


# --- create through the API ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"nominees": [person(name="")]}, "nominees"),
        ({"nominees": [person(name="   ")]}, "nominees"),
        ({"nominees": [person(name="Ê" * 300)]}, "nominees"),
        ({"nominees": [person(achievements="x" * 20_001)]}, "nominees"),
        ({"nominees": [person(name="Nguyễn\x00Hoa")]}, "nominees"),
        ({"nominees": []}, "nominees"),
        ({"title": "T" * 1_000_000}, "title"),
        ({"title": "Tiêu đề\x00"}, "title"),
        ({"title": ""}, "title"),
        ({"year": "²"}, "year"),
        ({"year": "\x00"}, "year"),
        ({"year": 1800}, "year"),
        ({"award_form": "KHONG-CO"}, "award_form"),
        ({"award_form": "BK\x00TTG"}, "award_form"),
        ({"organization": "a\x00b"}, "organization"),
        ({"organization": "KHONG-CO"}, "organization"),
    ],
)
def test_create_refuses_bad_fields(api, nothing_written, changes, field):
    with nothing_written():
        response = api(PROPOSER).post(LIST, body(**changes), format="json")
    assert response.status_code == 400, response.content
    answer = response.json()
    assert answer["code"] == "invalid"
    assert list(answer["errors"]) == [field]
    assert answer["detail"].startswith(f"{field}: ")
    assert not any(marker in answer["detail"] for marker in PYTHON_TEXT)


def test_create_refuses_more_nominees_than_the_limit(api, nothing_written, settings):
    many = [person(name=f"Hội viên {i}") for i in range(settings.DOSSIER_MAX_NOMINEES + 1)]
    with nothing_written():
        response = api(PROPOSER).post(LIST, body(nominees=many), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "too_many_nominees"
    assert str(settings.DOSSIER_MAX_NOMINEES) in response.json()["detail"]


def test_create_refuses_a_nominee_of_another_organisation(api, nothing_written):
    with nothing_written():
        response = api(PROPOSER).post(LIST, body(nominees=[person(org="MTTQ")]), format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden_organization"
    assert "MTTQ" in response.json()["detail"]


def test_create_refuses_an_unknown_nominee_organisation(api, nothing_written):
    with nothing_written():
        response = api(PROPOSER).post(LIST, body(nominees=[person(org="KHONG-CO")]), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_organization"


def test_create_accepts_units_under_the_organisation_and_stores_text_whole(api):
    branch = Organization.objects.create(
        code="HLHPN-BTG",
        name="Ban Tuyên giáo TƯ Hội LHPN",
        level="central",
        parent=Organization.objects.get(code="HLHPN"),
    )
    Organization.objects.create(code="HLHPN-BTG-1", name="Tổ 1", level="central", parent=branch)
    name, achievements = "Ê" * 255, "Thành tích " * 2_000  # 22,000 characters → refused
    response = api(PROPOSER).post(
        LIST,
        body(nominees=[person(name=name, org="HLHPN-BTG-1", achievements=achievements)]),
        format="json",
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    achievements = achievements[:20_000]
    response = api(PROPOSER).post(
        LIST,
        body(
            title="T" * 255,
            nominees=[
                person(name=name, org="HLHPN-BTG-1", achievements=achievements),
                person(org="HLHPN-BTG"),
                person(org=None),
            ],
        ),
        format="json",
    )
    assert response.status_code == 201, response.content
    stored = Dossier.objects.get(pk=response.json()["id"])
    assert stored.title == "T" * 255
    first = stored.nominees.order_by("id").first()
    assert (first.name, first.achievements, first.organization.code) == (
        name,
        achievements,
        "HLHPN-BTG-1",
    )
    assert response.json()["nominee_count"] == 3
    assert response.json()["nominees_truncated"] is False


# --- edit through the API ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "patch,status,code",
    [
        ({"nominees": [person(org="MTTQ")]}, 403, "forbidden_organization"),
        ({"nominees": [person(org="HLHPN"), person(org="T-HLHPN")]}, 403, "forbidden_organization"),
        ({"nominees": [person(name="")]}, 400, "invalid"),
        ({"nominees": [person(name="Ê" * 256)]}, 400, "invalid"),
        ({"title": "T" * 256}, 400, "invalid"),
        ({"title": "  "}, 400, "invalid"),
        ({"title": "\x00"}, 400, "invalid"),
        ({"nominees": [person(name=f"N{i}") for i in range(501)]}, 400, "too_many_nominees"),
    ],
)
def test_patch_refuses(api, world, nothing_written, patch, status, code):
    draft = draft_of_hlhpn(world)
    with nothing_written():
        response = api(PROPOSER).patch(f"{LIST}{draft.pk}/", patch, format="json")
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    draft.refresh_from_db()
    assert draft.title == "Hồ sơ để sửa"
    assert [n.organization.code for n in draft.nominees.all()] == ["HLHPN"]


# --- the service: the same rules for every caller -----------------------------------------------


@pytest.mark.parametrize(
    "changes,kind,code",
    [
        ({"nominees": [person(org="MTTQ")]}, Forbidden, "forbidden_organization"),
        ({"nominees": [person(name=" ")]}, DossierError, "text_required"),
        ({"nominees": [person(name="N" * 256)]}, DossierError, "text_too_long"),
        ({"nominees": [person(name="A\x00")]}, DossierError, "nul_character"),
        ({"nominees": [person(achievements="x" * 20_001)]}, DossierError, "text_too_long"),
        ({"nominees": [person()] * 501}, DossierError, "too_many_nominees"),
        ({"title": "T" * 256}, DossierError, "text_too_long"),
        ({"year": "²"}, DossierError, "year_invalid"),
    ],
)
def test_service_enforces_the_limits(world, nothing_written, changes, kind, code):
    values = {"title": "Tiêu đề", "year": 2024, "nominees": [person()], **changes}
    with nothing_written(), pytest.raises(kind) as refused:
        wf.dossier_start(
            actor=world.user(PROPOSER),
            organization=world.org("HLHPN"),
            award_form=world.form("BK-TTG"),
            **values,
        )
    assert refused.value.code == code
    assert refused.value.status == (403 if kind is Forbidden else 400)


@override_settings(DOSSIER_MAX_NOMINEES=3, DOSSIER_MAX_ACHIEVEMENTS_CHARS=10)
def test_limits_come_from_settings(world, nothing_written):
    with nothing_written(), pytest.raises(DossierError) as refused:
        wf.dossier_start(
            actor=world.user(PROPOSER), organization=world.org("HLHPN"),
            award_form=world.form("BK-TTG"), year=2024, title="T", nominees=[person()] * 4,
        )  # fmt: skip
    assert refused.value.code == "too_many_nominees"
    assert str(refused.value) == str(errors.TOO_MANY_NOMINEES) % {"limit": 3, "count": 4}
    with nothing_written(), pytest.raises(DossierError) as refused:
        wf.dossier_start(
            actor=world.user(PROPOSER), organization=world.org("HLHPN"),
            award_form=world.form("BK-TTG"), year=2024, title="T",
            nominees=[person(achievements="x" * 11)],
        )  # fmt: skip
    assert refused.value.code == "text_too_long"


# --- create through the UI form: the API's validation, shown on the form -------------------------


def form(**changes) -> dict:
    return {
        "award_form": "BK-TTG",
        "year": "2024",
        "title": "Đề nghị Bằng khen Thủ tướng",
        "nominee_kind": "individual",
        "nominee_name": "Nguyễn Thị Hoa",
        "achievements": "",
        **changes,
    }


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"nominee_name": ""}, "nominee_name"),
        ({"nominee_name": "Ê" * 300}, "nominee_name"),
        ({"nominee_name": "Hoa\x00"}, "nominee_name"),
        ({"achievements": "x" * 20_001}, "achievements"),
        ({"title": "T" * 1_000_000}, "title"),
        ({"title": "Tiêu đề\x00"}, "title"),
        ({"year": "²"}, "year"),
        ({"year": "\x00"}, "year"),
        ({"year": ""}, "year"),
        ({"award_form": "KHONG-CO"}, "award_form"),
        ({"award_form": "BK\x00TTG"}, "award_form"),
        ({"nominee_kind": "robot"}, "nominee_kind"),
    ],
)
def test_ui_create_refuses_with_a_form_error(world, nothing_written, changes, field):
    client = page_client(world)
    with nothing_written():
        response = client.post(CREATE_PAGE, form(**changes))
    assert response.status_code == 400
    assert response.context["errors"].get(field), dict(response.context["errors"])
    assert list(response.context["errors"]) == [field]
    for message in response.context["errors"][field]:
        assert shows(response, message)
    assert no_python_text(response)


def test_ui_and_api_give_the_same_message(world, api):
    """One serializer: the message under the UI's field is the API's message for that field."""
    name = "Ê" * 300
    page = page_client(world).post(CREATE_PAGE, form(nominee_name=name))
    answer = api(PROPOSER).post(LIST, body(nominees=[person(name=name)]), format="json")
    api_message = answer.json()["errors"]["nominees"]["0"]["name"]
    assert page.context["errors"]["nominee_name"] == api_message


def test_ui_create_shows_a_domain_refusal_on_the_form(world, nothing_written):
    """The serializer lets 2099 through; the service refuses a year after next: same as the API."""
    client = page_client(world)
    with nothing_written():
        response = client.post(CREATE_PAGE, form(year="2099"))
    assert response.status_code == 400
    assert response.context["errors"] == {"form": [str(errors.YEAR_INVALID) % {"year": 2099}]}
    assert shows(response, response.context["errors"]["form"][0])
    assert no_python_text(response)


def test_ui_create_stores_what_was_typed_and_names_its_own_unit(world):
    client = page_client(world)
    title, name = "T" * 255, "Ê" * 255
    response = client.post(
        CREATE_PAGE, form(title=title, nominee_name=name, organization="MTTQ", nominee_org="MTTQ")
    )
    assert response.status_code == 302
    dossier = Dossier.objects.get(pk=int(response.url.rstrip("/").rsplit("/", 1)[1]))
    assert dossier.title == title and dossier.organization.code == "HLHPN"
    nominee = dossier.nominees.get()
    assert (nominee.name, nominee.organization.code) == (name, "HLHPN")


def test_ui_create_needs_a_unit(world, nothing_written):
    with nothing_written():
        response = page_client(world, "inspector").post(CREATE_PAGE, form())
    assert response.status_code == 403


# --- list size: a dossier with 500 nominees ------------------------------------------------------


def test_list_items_carry_at_most_20_nominees_and_details_all(api, world, settings):
    assert settings.DOSSIER_MAX_NOMINEES == 500 and settings.DOSSIER_LIST_NOMINEES == 20
    client = api(PROPOSER)
    url = f"{LIST}?organization=HLHPN&page_size=200"

    def measure():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return response, len(queries.captured_queries)

    small_response, small_queries = measure()
    many = [person(name=f"Hội viên {i:03d}") for i in range(500)]
    response = client.post(LIST, body(title="Năm trăm", nominees=many), format="json")
    assert response.status_code == 201, response.content
    big = response.json()["id"]
    assert len(response.json()["nominees"]) == 500
    listing, queries = measure()
    assert queries == small_queries  # the list's query count does not grow
    item = next(row for row in listing.json()["results"] if row["id"] == big)
    assert len(item["nominees"]) == 20
    assert [n["name"] for n in item["nominees"]] == [f"Hội viên {i:03d}" for i in range(20)]
    assert item["nominee_count"] == 500 and item["nominees_truncated"] is True
    others = [row for row in listing.json()["results"] if row["id"] != big]
    assert others and all(not row["nominees_truncated"] for row in others)
    assert all(row["nominee_count"] == len(row["nominees"]) for row in others)
    # Every list item is small: its size no longer grows with the dossier's nominees.
    assert len(listing.content) - len(small_response.content) < 20 * 1024
    detail = client.get(f"{LIST}{big}/").json()
    assert len(detail["nominees"]) == 500
    assert detail["nominee_count"] == 500 and detail["nominees_truncated"] is False
    assert Nominee.objects.filter(dossier_id=big).count() == 500
