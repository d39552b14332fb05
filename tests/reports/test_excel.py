"""Excel files, opened with openpyxl: the dossier list as filtered (web page and API, the same
FilterSet), a decision's annex (awarded and declined, with the reward), formulas neutralised."""

import pytest
from django.test import Client

from approvals.models import Decision
from tests.signin import signin

OLD_SALARY = 1_490_000  # in force from 1/7/2019 to 30/6/2023 (the demo's 301/QĐ-TTg: 6/3/2023)


def _values(sheet):
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_api_list_export_keeps_the_filters(api, seeded_awards, workbook):
    response = api("inspector").get("/api/v1/dossiers/export.xlsx?year=2031&award_form=CO-TD-CP")
    assert response.status_code == 200
    rows = _values(workbook(response.content).active)
    header, body = rows[0], rows[1:]
    assert header[0] == "Số hiệu"  # the list's "Reference", in Vietnamese
    assert sorted(r[0] for r in body) == ["TEST-2031-0001", "TEST-2031-0002"]
    # the title began with "=": neutralised as the CSV export does, shown as text
    assert all(r[1].startswith("'=HYPERLINK") for r in body)
    assert {r[3] for r in body} == {
        "Trung ương Hội Liên hiệp Phụ nữ Việt Nam",
        "Trung ương Đoàn Thanh niên Cộng sản Hồ Chí Minh",
    }


def test_the_api_list_export_refuses_a_bad_filter(api):
    response = api("inspector").get("/api/v1/dossiers/export.xlsx?state=nonsense")
    assert response.status_code == 400


def test_the_api_list_export_has_only_what_the_user_sees(api, seeded_awards, workbook):
    response = api("proposer-HLHPN").get("/api/v1/dossiers/export.xlsx?year=2031")
    assert response.status_code == 200
    assert _values(workbook(response.content).active)[1:] == []


@pytest.fixture
def inspector_client(db):
    client = Client()
    assert signin(client, "inspector")
    return client


def test_the_list_page_offers_the_export_with_its_filters(
    inspector_client, seeded_awards, workbook
):
    page = inspector_client.get("/dossiers/?year=2031&award_form=BK-TTG")
    assert b"/dossiers/export.xlsx?year=2031&amp;award_form=BK-TTG" in page.content
    response = inspector_client.get("/dossiers/export.xlsx?year=2031&award_form=BK-TTG")
    assert response.status_code == 200
    rows = _values(workbook(response.content).active)
    assert [r[0] for r in rows[1:]] == ["TEST-2031-0003"]
    assert rows[1][9] == 6  # nominees
    assert inspector_client.get("/dossiers/export.xlsx?year=abc").status_code == 400


def test_the_annex_of_a_signed_decision_lists_awarded_and_declined(api, seeded_awards, workbook):
    decision = seeded_awards[2]  # BK-TTG for HCCB: 3 individuals + 1 collective, 1 declined
    response = api("inspector").get(f"/api/v1/decisions/{decision.pk}/annex.xlsx")
    assert response.status_code == 200
    rows = _values(workbook(response.content).active)
    text = [r[0] for r in rows if r and r[0]]
    assert "PHỤ LỤC" in text
    assert (
        f"(Kèm theo Quyết định số {decision.number} ngày 10/03/2031 của Thủ tướng Chính phủ)"
        in (text)
    )
    awarded_at = text.index("I. Được khen thưởng")
    declined_at = text.index("II. Không được khen thưởng")
    assert awarded_at < declined_at
    names = [r[1] for r in rows if r and isinstance(r[0], int)]
    assert names == [
        "Đối tượng 3.1",
        "Đối tượng 3.2",
        "Đối tượng 3.3",
        "Đối tượng 3.4",
        "Đối tượng 3.5",
    ]  # fmt: skip  (3.6 was revoked: not in the annex)
    by_name = {r[1]: r for r in rows if r and isinstance(r[0], int)}
    assert by_name["Đối tượng 3.1"][6:8] == [1.5, 3_510_000]
    assert by_name["Đối tượng 3.4"][6:8] == [3.0, 7_020_000]
    assert by_name["Đối tượng 3.5"][6] == "Chưa đủ tiêu chuẩn"
    total = next(r for r in rows if r and r[1] == "Cộng: 4")
    assert total[7] == 3 * 3_510_000 + 7_020_000


def test_the_annex_of_the_demo_decision_uses_the_base_salary_of_its_day(api, workbook):
    decision = Decision.objects.get(number="301/QĐ-TTg")
    response = api("pm").get(f"/api/v1/decisions/{decision.pk}/annex.xlsx")
    assert response.status_code == 200
    rows = _values(workbook(response.content).active)
    money = {r[4]: r[7] for r in rows if r and isinstance(r[0], int)}
    assert money["Cờ thi đua của Chính phủ"] == 12 * OLD_SALARY
    assert money["Bằng khen của Thủ tướng Chính phủ"] == 3 * OLD_SALARY


def test_the_annex_of_a_decision_not_seen_is_a_404(api):
    decision = Decision.objects.get(number="301/QĐ-TTg")
    assert api("t-chair").get(f"/api/v1/decisions/{decision.pk}/annex.xlsx").status_code == 404
    assert api("pm").get("/api/v1/decisions/999999/annex.xlsx").status_code == 404
