"""The header's menu offers only what the user may open: the audit search to inspectors (and
administrators), the administration and the API's documentation to staff; every entry offered
answers 200."""

import re

import pytest
from django.test import Client

from tests.signin import signin

pytestmark = pytest.mark.django_db

# persona → (audit offered, API offered, administration offered)
MENU = {
    "proposer-HLHPN": (False, False, False),
    "board-officer": (False, False, False),
    "pm": (False, False, False),
    "inspector": (True, False, False),
    "admin": (True, True, True),
}


@pytest.mark.parametrize(("username", "expected"), MENU.items())
def test_the_menu_offers_only_what_opens(username, expected):
    client = Client()
    assert signin(client, username)
    html = client.get("/").content.decode()
    nav = re.search(r'<nav aria-label="[^"]*">.*?</nav>', html, re.S).group(0)
    offered = ('href="/audit/' in nav, 'href="/api/docs/"' in nav, 'href="/admin/"' in nav)
    assert offered == expected
    for link in re.findall(r'href="([^"]+)"', nav):
        assert client.get(link).status_code == 200, (username, link)
