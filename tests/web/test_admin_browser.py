"""The administrator manages organisations, accounts and roles in the Django admin, in
Vietnamese, in a real browser (headless Chromium from Debian), every step a click or a
keystroke after signing in with the authenticator code: the menu's "Administration" → a new
provincial unit under the province's People's Committee → an account for its emulation officer,
with the officer's full name → the officer's role for the new unit. Each page is read in
Vietnamese: the admin's own words (Django's catalogue) and the project's models, fields and
choices (ours), no English message id of the project and no raw role code.
Screenshots: artifacts/screenshots/admin/."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation
from selenium.webdriver.support.ui import Select

from dossiers.models import Organization, Role, RoleGrant
from tests.browser import Walk, needs_browser
from tests.web.test_wording import codes, english_msgids, offenders

pytestmark = [
    pytest.mark.django_db(transaction=True),
    needs_browser,  # skips without Chromium, fails instead when CI requires it
]
CODE, NAME, SHORT = "T-HCTD", "Hội Chữ thập đỏ tỉnh", "Hội CTĐ tỉnh"
USERNAME = "proposer-T-HCTD"


def in_vietnamese(walk: Walk, *labels: str) -> None:
    """The page is in Vietnamese, shows `labels`, and no English message id of the project nor
    any raw code."""
    assert walk.find("html").get_attribute("lang") == "vi"
    text = " ".join(walk.find("body").get_attribute("textContent").split())  # as written
    for label in labels:
        assert label in text, (label, walk.driver.current_url)
    assert offenders(walk.driver.page_source, codes(), english_msgids()) == []


def test_the_administrator_adds_a_unit_its_officer_and_the_role(
    browser, live_server, demo_world, tmp_path
):
    walk = Walk(browser, live_server.url, "admin", tmp_path)

    # The menu's "Administration": the admin's home, its sections in Vietnamese.
    walk.as_("admin")
    walk.click("header nav a[href='/admin/']")
    in_vietnamese(walk, "Cơ quan, đơn vị", "Phân công vai trò", "Người sử dụng")
    walk.shot("admin-home")

    # A new unit of the province, under its People's Committee.
    walk.click("a[href='/admin/dossiers/organization/']")
    in_vietnamese(walk, "Mã", "Tên viết tắt", "Cấp")
    walk.shot("organisations")
    walk.click("a[href='/admin/dossiers/organization/add/']")
    in_vietnamese(walk, "Mã:", "Tên:", "Tên viết tắt:", "Cấp:", "Loại:", "Đơn vị cấp trên:")
    walk.find("#id_code").send_keys(CODE)
    walk.find("#id_name").send_keys(NAME)
    walk.find("#id_short_name").send_keys(SHORT)
    Select(walk.find("#id_level")).select_by_value("province")
    Select(walk.find("#id_kind")).select_by_value("unit")
    parent = Organization.objects.get(code="T-UBND")
    Select(walk.find("#id_parent")).select_by_value(str(parent.pk))
    walk.shot("organisation-new")
    walk.click("input[name=_save]")
    walk.find("ul.messagelist li.success")
    in_vietnamese(walk, SHORT)
    unit = Organization.objects.get(code=CODE)
    assert (unit.name, unit.parent_id) == (NAME, parent.pk)
    walk.shot("organisation-added")

    # Its emulation officer's account, with the officer's full name.
    walk.click("a[href='/admin/']")
    walk.click("a[href='/admin/auth/user/add/']")
    in_vietnamese(walk, "Mật khẩu")
    walk.find("#id_username").send_keys(USERNAME)
    for field in ("#id_password1", "#id_password2"):
        walk.find(field).send_keys("Chu-thap-do-2026!")
    walk.shot("account-new")
    walk.click("input[name=_continue]")
    walk.find("ul.messagelist li.success")
    walk.find("#id_last_name").send_keys("Nguyễn Thị")
    walk.find("#id_first_name").send_keys("Hồng")
    in_vietnamese(walk, "Họ", "Tên")
    walk.shot("account-names")
    walk.click("input[name=_save]")
    walk.find("ul.messagelist li.success")
    officer = get_user_model().objects.get(username=USERNAME)
    assert (officer.last_name, officer.first_name) == ("Nguyễn Thị", "Hồng")

    # The officer's role for the new unit.
    walk.click("a[href='/admin/']")
    walk.click("a[href='/admin/dossiers/rolegrant/add/']")
    in_vietnamese(walk, "Người dùng:", "Vai trò:", "Cơ quan, đơn vị:")
    Select(walk.find("#id_user")).select_by_value(str(officer.pk))
    Select(walk.find("#id_role")).select_by_value(Role.UNIT_OFFICER)
    Select(walk.find("#id_organization")).select_by_value(str(unit.pk))
    walk.shot("role-new")
    walk.click("input[name=_save]")
    message = walk.find("ul.messagelist li.success").text
    assert RoleGrant.objects.filter(
        user=officer, role=Role.UNIT_OFFICER, organization=unit
    ).exists()
    with translation.override("vi"):
        role = str(Role.UNIT_OFFICER.label)
    assert "unit_officer" not in message and role in message and NAME in message
    in_vietnamese(walk, role)
    walk.shot("role-granted")
    assert walk.problems() == []
