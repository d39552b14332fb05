"""The yearly statistics of awards (GET /api/v1/reports/awards.xlsx): the totals are the counts
this test seeded, the money is coefficient × the base salary in force (2,340,000 đồng since
1/7/2024), scoped to what the reader may see, and bad parameters are a 400."""

import datetime

import pytest

from reports import rewards

SALARY = 2_340_000
FLAG, PM_CERT, PROV_CERT = 12 * SALARY, int(1.5 * SALARY), 1 * SALARY


def _rows(sheet) -> dict[str, list]:
    """Rows by their form or organisation code (column C), or by their label (column B)."""
    rows = {}
    for row in sheet.iter_rows(values_only=True):
        if len(row) > 2 and (row[2] or row[1]):
            rows[row[2] or row[1]] = list(row)
    return rows


def test_rewards_are_the_coefficient_times_the_base_salary_in_force():
    assert rewards.base_salary_on(datetime.date(2024, 6, 30)) == 1_800_000
    assert rewards.base_salary_on(datetime.date(2024, 7, 1)) == SALARY
    assert rewards.reward_amount("CO-TD-CP", "collective", datetime.date(2031, 1, 1)) == FLAG
    assert rewards.reward_amount("BK-TTG", "collective", datetime.date(2031, 1, 1)) == 2 * PM_CERT
    assert rewards.reward_amount("CO-TD-CP", "individual", datetime.date(2031, 1, 1)) is None
    assert rewards.reward_amount("BK-TTG", "individual", None) is None


def test_one_year_totals_equal_the_seeded_counts(api, seeded_awards, workbook):
    response = api("inspector").get("/api/v1/reports/awards.xlsx?year=2031")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = workbook(response.content)
    assert book.sheetnames == ["Theo hình thức", "Theo đơn vị", "Ghi chú"]
    forms = _rows(book["Theo hình thức"])
    # STT, form, code, total, collectives, individuals, households, money
    assert forms["CO-TD-CP"][3:] == [2, 2, 0, 0, 2 * FLAG]
    assert forms["BK-TTG"][3:] == [4, 1, 3, 0, 3 * PM_CERT + 2 * PM_CERT]
    assert "BK-TINH" not in forms  # signed in 2032
    assert forms["Khen thưởng cấp Nhà nước"][3:] == [6, 3, 3, 0, 2 * FLAG + 5 * PM_CERT]
    assert forms["TỔNG CỘNG"][3:] == [6, 3, 3, 0, 2 * FLAG + 5 * PM_CERT]
    orgs = _rows(book["Theo đơn vị"])
    assert orgs["HCCB"][3:] == [4, 1, 3, 0, 5 * PM_CERT]
    assert orgs["HLHPN"][3:6] == [1, 1, 0]


def test_a_range_has_each_year_then_the_whole_period(api, seeded_awards, workbook):
    response = api("inspector").get("/api/v1/reports/awards.xlsx?from=2031&to=2032")
    assert response.status_code == 200
    sheet = workbook(response.content)["Theo hình thức"]
    forms = _rows(sheet)
    # per year (2031, 2032): total, collectives, individuals, households, money; then the period
    assert forms["BK-TINH"][3:] == [0, 0, 0, 0, 0, 2, 0, 2, 0, 2 * PROV_CERT, 2, 0, 2, 0,
                                    2 * PROV_CERT]  # fmt: skip
    assert forms["TỔNG CỘNG"][3] == 6 and forms["TỔNG CỘNG"][8] == 2
    assert forms["TỔNG CỘNG"][13] == 8
    assert forms["TỔNG CỘNG"][17] == 2 * FLAG + 5 * PM_CERT + 2 * PROV_CERT


def test_the_statistics_count_only_what_the_reader_may_see(api, seeded_awards, workbook):
    response = api("t-board-officer").get("/api/v1/reports/awards.xlsx?from=2031&to=2032")
    assert response.status_code == 200
    assert _rows(workbook(response.content)["Theo hình thức"])["TỔNG CỘNG"][-1] == 0


@pytest.mark.parametrize(
    "query",
    ["year=abc", "year=1800", "from=2032&to=2031", "year=2031&from=2031", "from=1990&to=2030",
     "year=%00", "from=²"],
)  # fmt: skip
def test_bad_parameters_are_a_400(api, query):
    response = api("inspector").get(f"/api/v1/reports/awards.xlsx?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize("persona", ["proposer-HLHPN", "voter-MTTQ", "head-HCCB"])
def test_a_proposing_unit_may_not_read_the_statistics(api, persona):
    response = api(persona).get("/api/v1/reports/awards.xlsx?year=2031")
    assert response.status_code == 403
    assert "boards" in response.json()["detail"] or "Ban" in response.json()["detail"]
