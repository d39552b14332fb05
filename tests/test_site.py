"""The admin, the API schema and docs, and the flow chart answer."""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.test import Client

from dossiers.models import Dossier
from tests.signin import signin

pytestmark = pytest.mark.django_db


ADMIN_PAGES = ["", "dossiers/dossier/", "dossiers/awardform/", "dossiers/bloc/"]
ADMIN_PAGES += [
    "dossiers/organization/",
    "dossiers/rolegrant/",
    "dossiers/person/",
    "dossiers/historyentry/",
]
ADMIN_PAGES += ["audit/ledgerevent/", "approvals/decision/", "approvals/ballotsession/"]


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admin_pages(page):
    client = Client()
    signin(client, "admin")
    response = client.get(f"/admin/{page}")
    assert response.status_code == 200
    assert 'lang="vi"' in response.content.decode()


def test_admin_dossier_change_page_and_history():
    client = Client()
    signin(client, "admin")
    dossier = Dossier.objects.get(award_form__code="CO-TD-CP", state="decided")
    assert client.get(f"/admin/dossiers/dossier/{dossier.pk}/change/").status_code == 200
    history = client.get(f"/admin/dossiers/dossier/{dossier.pk}/history/")
    assert history.status_code == 200
    page = history.content.decode()
    assert "dossier.decided 301/QĐ-TTg" in page and "voter-MTTQ" in page


@pytest.mark.parametrize("page", ["auth/user/{user}/change/", "auth/group/{group}/change/"])
def test_the_user_and_group_pages_name_the_permissions_in_vietnamese(page):
    """Django stores the permissions' names in English at migrate time; the pickers show them
    from the action and the model's Vietnamese name, the stored rows untouched."""
    client = Client()
    signin(client, "admin")
    user = User.objects.get(username="board-officer")
    group = Group.objects.order_by("pk").first()
    response = client.get(f"/admin/{page.format(user=user.pk, group=group.pk)}")
    text = response.content.decode()
    assert response.status_code == 200
    dossier = "hồ sơ đề nghị khen thưởng"
    assert f"Hồ sơ | {dossier} | Có thể thêm {dossier}</option>" in text
    assert f"Có thể sửa {dossier}</option>" in text and f"Có thể xóa {dossier}</option>" in text
    assert f"Có thể xem lịch sử của {dossier}</option>" in text
    assert "Can add " not in text and "Can view " not in text and "historical" not in text
    assert Permission.objects.filter(codename="add_dossier", name="Can add dossier").exists()


def test_schema_and_docs(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in (
        "/api/v1/dossiers/{id}/actions/{action}/",
        "/api/v1/decisions/{id}/sign/",
        "/api/v1/auth/token/",
    ):
        assert path in text
    assert client.get("/api/docs/").status_code == 200


def test_flow_chart_draws_the_route_and_a_dossiers_path():
    client = Client()
    signin(client, "inspector")
    svg = client.get("/flow.svg")
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    text = svg.content.decode()
    # The states by their (Vietnamese) labels; no path is marked.
    assert "Dự thảo" in text and "Thẩm định" in text and "Đã quyết định" in text
    assert "data-current" not in text and "data-visited" not in text
    dossier = Dossier.objects.filter(state="decided").first()
    marked = client.get(f"/flow.svg?dossier={dossier.pk}")
    assert marked.status_code == 200
    text = marked.content.decode()
    assert '<g data-state="decided" data-current="true" data-visited="true">' in text
    assert '<g data-state="draft" data-visited="true">' in text
    assert 'stroke="#1c64f2" stroke-width="3"' in text  # the edges walked
    outsider = Client()
    signin(outsider, "proposer-VUFO")
    assert outsider.get(f"/flow.svg?dossier={dossier.pk}").status_code == 403


def test_ui_language_switch():
    client = Client()
    signin(client, "inspector")
    assert "Việc cần xử lý" in client.get("/").content.decode()
    assert "Inbox" in client.get("/en/").content.decode()
