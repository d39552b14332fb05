"""Words, not codes (issue #14, item 3 and "What it must show").

Every page is rendered as the personas who use it, in Vietnamese, and its visible text (text
nodes, not <script>/<style>, not the values of form fields) must hold no raw code: no dossier
state value (`bloc_voting`), no lifecycle action (`record_bloc_vote`), no reason code
(`wrong_subject`), no eligibility rule (`double_reward`), no ledger action (`decision.signed`),
no role code (`unit_officer@VHNT`), no object label (`dossiers.dossier:41`), and no text node
may be an English message id of the project that has its own Vietnamese translation
(locale/vi/LC_MESSAGES/django.po). Then: every message id has a Vietnamese translation, none
fuzzy; the history reads as sentences; the language switch works both ways; the error pages
are the site's own in both languages; the pages this file covers cost the same number of
queries with more events.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.names import full_name
from audit.models import LedgerEvent
from demo.world import World
from dossiers import eligibility
from dossiers import lifecycle as domain
from dossiers.models import Dossier, DossierState, Role
from dossiers.services import HOLD_REASONS, REJECT_REASONS, REVOKE_REASONS
from tests.pages import PERSONAS, client_for, pages_for
from workflows import lifecycle, policy, wording
from workflows import services as wf

pytestmark = pytest.mark.django_db

PO = Path(settings.BASE_DIR) / "locale" / "vi" / "LC_MESSAGES" / "django.po"


# --- the .po file, read without polib (not a dependency of the project) ----------------------


def _unquote(lines: list[str]) -> str:
    text = "".join(line.strip()[1:-1] for line in lines)
    return re.sub(r'\\(["\\nt])', lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), text)


def po_entries(path: Path = PO) -> list[dict]:
    """Each entry of a .po file: msgid, msgid_plural, msgstr (a list: one per plural form),
    flags, and whether it is obsolete (#~)."""
    entries: list[dict] = []
    entry: dict = {}
    key = None
    parts: dict[str, list[str]] = {}

    def close() -> None:
        nonlocal entry, parts, key
        if parts:
            entry["msgid"] = _unquote(parts.get("msgid", []))
            entry["msgid_plural"] = (
                _unquote(parts["msgid_plural"]) if "msgid_plural" in parts else None
            )
            forms = sorted(k for k in parts if k.startswith("msgstr"))
            entry["msgstr"] = [_unquote(parts[k]) for k in forms]
            entries.append(entry)
        entry, parts, key = {"flags": set(), "obsolete": False}, {}, None

    close()
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            close()
            continue
        if line.startswith("#~"):
            entry["obsolete"] = True
            continue
        if line.startswith("#,"):
            if parts:
                close()
            entry["flags"] |= {f.strip() for f in line[2:].split(",")}
            continue
        if line.startswith("#"):
            if parts and key and not key.startswith("msgctxt"):
                close()
            continue
        found = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(\".*\")$", line)
        if found:
            if found[1] in ("msgid", "msgctxt") and key and key.startswith("msgstr"):
                close()
            key = found[1]
            parts[key] = [found[2]]
        elif line.startswith('"') and key:
            parts[key].append(line)
    close()
    return entries


def english_msgids() -> set[str]:
    """The project's message ids whose Vietnamese differs: seen on a Vietnamese page, they
    mean a text was not translated."""
    ids = set()
    for e in po_entries():
        if e["obsolete"] or not e["msgid"] or "fuzzy" in e["flags"]:
            continue
        if e["msgstr"] and e["msgstr"][0] and e["msgstr"][0] != e["msgid"]:
            ids.add(e["msgid"])
            if e["msgid_plural"]:
                ids.add(e["msgid_plural"])
    return ids


def test_every_message_has_a_vietnamese_translation():
    entries = [e for e in po_entries() if not e["obsolete"] and e["msgid"]]
    assert len(entries) > 500  # the parser read the file
    untranslated = [e["msgid"] for e in entries if not all(s.strip() for s in e["msgstr"])]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert not untranslated, f"{len(untranslated)} without Vietnamese: {untranslated[:20]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy: {fuzzy[:20]}"


def test_no_module_hides_its_messages_from_makemessages():
    """makemessages extracts gettext's own names only: a message behind an alias such as
    `L = gettext_lazy` never reaches the catalogue and stays English on a Vietnamese page."""
    root = Path(__file__).resolve().parents[2]
    alias = re.compile(r"^\s*\w+\s*=\s*(?:n|p)?gettext(?:_lazy)?\s*$", re.M)
    hiding = [
        path.relative_to(root).as_posix()
        for path in root.glob("*/**/*.py")
        if not path.relative_to(root).as_posix().startswith((".venv", "tests/"))
        and alias.search(path.read_text(encoding="utf-8"))
    ]
    assert not hiding


def test_the_po_reader_reads_plurals_flags_and_continuations(tmp_path):
    po = tmp_path / "x.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: vi\\n"\n\n'
        '#: a.py:1\n#, python-format\nmsgid "Hello %(name)s"\nmsgstr "Chào %(name)s"\n\n'
        '#, fuzzy\nmsgid "Long "\n"text"\nmsgstr ""\n\n'
        'msgid "one"\nmsgid_plural "many"\nmsgstr[0] "nhiều"\n\n'
        '#~ msgid "gone"\n#~ msgstr "đã bỏ"\n',
        encoding="utf-8",
    )
    entries = {e["msgid"]: e for e in po_entries(po)}
    assert entries["Hello %(name)s"]["msgstr"] == ["Chào %(name)s"]
    assert entries["Hello %(name)s"]["flags"] == {"python-format"}
    assert entries["Long text"]["flags"] == {"fuzzy"} and entries["Long text"]["msgstr"] == [""]
    assert entries["one"]["msgid_plural"] == "many" and entries["one"]["msgstr"] == ["nhiều"]


# --- visible text -----------------------------------------------------------------------------


class _Text(HTMLParser):
    """Text nodes a person reads: not inside <script>, <style> or <template>; form fields'
    values are attributes, so never read."""

    HIDDEN = {"script", "style", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.nodes: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        text = " ".join(data.split())
        if text and not self.hidden:
            self.nodes.append(text)


def visible_text(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return parser.nodes


def codes() -> set[str]:
    """Every raw code a person must not read."""
    ledger = set(LedgerEvent.objects.values_list("action", flat=True).distinct())
    return (
        {s.value for s in DossierState}
        | set(lifecycle.ACTIONS)
        | set(domain.DOSSIER_ACTIONS)
        | set(policy.ASSIGNMENT_LABELS)
        | set(REJECT_REASONS + HOLD_REASONS + REVOKE_REASONS)
        | set(wording.ACTION_PHRASES)
        | ledger
        | {r.value for r in Role if "_" in r.value}
        | set(eligibility.CHECK_CODES)
        | {"identity"}
        | {f.attname for f in Dossier._meta.concrete_fields if "_" in f.attname}
    ) - wording.PSEUDO_ACTIONS


PUNCTUATION = "·.,;:()[]{}«»\"'“”!?–—…"
ROLE_AT_ORG = re.compile(r"^[a-z_]+@[A-Z0-9-]+$")
OBJECT_LABEL = re.compile(r"^[a-z_]+\.[a-z_]+:\d+$")


# Where a text puts values side by side: "Đã quyết định · complaint", "draft → intake", "Lý do: x".
SEPARATORS = re.compile(r"\s*(?:[·—→|;,()]|:\s)\s*")


def offenders(html: str, raw: set[str], english: set[str]) -> list[str]:
    """The text nodes that are an English message id; the words shaped like a code
    (`bloc_voting`, `decision.signed`, `unit_officer@VHNT`, `dossiers.dossier:41`) that are one;
    and the codes that are plain words (`draft`, `complaint`) where they stand alone, a whole
    node or a value between separators (not inside a sentence, where "hold" is a word)."""
    found = []
    for node in visible_text(html):
        if node in english:
            found.append(f"English: {node!r}")
        for word in node.split():
            token = word.strip(PUNCTUATION)
            shaped = re.search(r"[_.]", token) and token in raw
            if shaped or ROLE_AT_ORG.match(token) or OBJECT_LABEL.match(token):
                found.append(f"code {token!r} in {node[:120]!r}")
        for segment in SEPARATORS.split(node):
            value = segment.strip(PUNCTUATION + " ")
            if value in raw and not re.search(r"[_.]", value):
                found.append(f"code {value!r} in {node[:120]!r}")
    return found


def test_visible_text_skips_scripts_styles_and_field_values():
    html = (
        '<p>Hồ sơ <b>bloc_voting</b></p><script>var s = "draft";</script>'
        '<style>.draft{}</style><input name="state" value="draft"><option value="hold">Tạm dừng'
        "</option><textarea>ghi chú</textarea>"
    )
    assert visible_text(html) == ["Hồ sơ", "bloc_voting", "Tạm dừng", "ghi chú"]
    raw = {"bloc_voting", "draft", "hold"}
    assert offenders(html, raw, {"Inbox"}) == ["code 'bloc_voting' in 'bloc_voting'"]
    assert offenders("<td>unit_officer@VHNT</td><td>Inbox</td>", raw, {"Inbox"}) == [
        "code 'unit_officer@VHNT' in 'unit_officer@VHNT'",
        "English: 'Inbox'",
    ]
    assert offenders("<a>dossiers.dossier:41</a>", raw, set())
    # A plain-word code alone between separators, not a word of a sentence.
    assert offenders("<p>Đã quyết định · hold</p>", raw, set()) == [
        "code 'hold' in 'Đã quyết định · hold'"
    ]
    assert offenders("<p>Put a dossier on hold</p><p>18:08</p>", raw, set()) == []


# --- every page, as the personas who use it ---------------------------------------------------


@pytest.mark.parametrize("username", PERSONAS)
def test_no_page_shows_a_code_or_english_in_vietnamese(username):
    client = client_for(username)
    raw, english = codes(), english_msgids()
    problems: dict[str, list[str]] = {}
    statuses = {}
    for url in pages_for(username):
        response = client.get(url)
        statuses[url] = response.status_code
        assert response.status_code in (200, 403, 404), (url, response.status_code)
        if response.status_code == 200:
            assert response.headers["Content-Language"] == "vi", url
        found = offenders(response.content.decode(), raw, english)
        if found:
            problems[url] = sorted(set(found))
    assert sum(1 for s in statuses.values() if s == 200) >= 5, statuses  # really read pages
    assert not problems, "\n".join(f"{url}: {found}" for url, found in problems.items())


def test_public_pages_and_error_pages_in_vietnamese():
    raw, english = codes(), english_msgids()
    visitor = client_for(None)
    for url, status in (("/public/notices/", 200), ("/accounts/login/", 200)):
        response = visitor.get(url)
        assert response.status_code == status
        assert not offenders(response.content.decode(), raw, english), url
    proposer = client_for("proposer-VHNT")
    denied = proposer.get("/audit/")
    missing = proposer.get("/dossiers/999999999/")
    assert denied.status_code == 403 and missing.status_code == 404
    assert "Không có quyền truy cập" in denied.content.decode()
    assert "Không tìm thấy trang" in missing.content.decode()
    for response in (denied, missing):
        assert "<header>" in response.content.decode()  # the site's own page, its menu
        assert not offenders(response.content.decode(), raw, english)


def test_error_pages_are_the_sites_own_in_english_too():
    client = client_for("proposer-VHNT")
    denied = client.get("/en/audit/").content.decode()
    missing = client.get("/en/dossiers/999999999/").content.decode()
    assert "Access denied" in denied and '<html lang="en" ' in denied
    assert "Page not found" in missing and '<html lang="en" ' in missing


def test_a_refused_form_says_so_in_vietnamese():
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="vi")
    response = client.post("/accounts/login/", {"username": "inspector", "password": "demo"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "Biểu mẫu đã hết hạn" in page or "The form has expired" in page
    assert "<header>" in page and "CSRF verification failed" not in page


def test_the_language_switch_works_both_ways():
    client = client_for("inspector")
    to_english = client.post("/i18n/setlang/", {"language": "en", "next": "/dossiers/?state=draft"})
    assert to_english.status_code == 302 and to_english["Location"] == "/en/dossiers/?state=draft"
    assert '<html lang="en" ' in client.get(to_english["Location"]).content.decode()
    back = client.post("/i18n/setlang/", {"language": "vi", "next": "/en/dossiers/?state=draft"})
    assert back.status_code == 302 and back["Location"] == "/dossiers/?state=draft"
    page = client.get(back["Location"]).content.decode()
    assert '<html lang="vi" ' in page and "Hồ sơ" in page
    # The switch on an English dossier page leads to the same dossier in Vietnamese.
    dossier = Dossier.objects.first()
    back = client.post("/i18n/setlang/", {"language": "vi", "next": f"/en/dossiers/{dossier.pk}/"})
    assert back["Location"] == f"/dossiers/{dossier.pk}/"


# --- the ledger in words ------------------------------------------------------------------------


def test_every_action_of_the_demo_ledger_has_its_words():
    actions = set(LedgerEvent.objects.values_list("action", flat=True).distinct())
    catalogue = {a for a in actions if a.endswith((".created", ".updated"))}
    assert actions - catalogue - set(wording.ACTION_PHRASES) == set()


def test_a_return_reads_as_a_sentence():
    event = LedgerEvent.objects.filter(action="return").select_related("dossier").first()
    with translation.override("en"):
        [line] = wording.describe([event])
    assert line.sentence == (
        f"Officer of Ban TĐKT TƯ {full_name(event.actor)} returned dossier"
        f" {event.dossier.reference} for supplement (version {event.version}): {event.reason}"
    )
    assert line.change == "Intake → Returned for supplement"
    assert line.roles == ["Board officer — Ban Thi đua - Khen thưởng Trung ương"]
    with translation.override("vi"):
        [line] = wording.describe([event])
    assert event.dossier.reference in line.sentence and event.reason in line.sentence
    assert "return" not in line.sentence.split() and "board_officer" not in line.sentence


def test_reason_codes_and_coded_reasons_read_as_words():
    label = wording.reason_label
    with translation.override("en"):
        assert label("wrong_subject") == "Not an eligible subject for this award"
        assert label("bloc_vote: below_threshold") == "Bloc vote: below the threshold"
        assert label("dossier.accept") == "Accepted a dossier as complete"
        assert label("record_bloc_vote.passed", action="record_bloc_vote") == "Passed"
        assert label("record_bloc_vote.passed") == "Recorded the bloc's vote on a dossier: Passed"
        assert label("dossier.submitted", action="submit") == ""
        assert label("Thiếu xác nhận") == "Thiếu xác nhận"
        assert label("false_declaration: Kết luận thanh tra") == (
            f"{label('false_declaration')}: Kết luận thanh tra"
        )
        assert label("false_declaration") != "false_declaration"
        assert [c for c, _label in wording.reason_choices("hold")] == list(HOLD_REASONS)
        assert wording.action_label("decision.signed") == "Signed a submission"


def test_the_inspector_reads_the_versions_in_words():
    dossier = Dossier.objects.filter(state="on_hold").first()
    with translation.override("en"):
        rows = wording.dossier_changes(dossier)
    diffs = [d for row in rows for d in row["diffs"]]
    fields = {name for name, _old, _new in diffs}
    assert "State" in fields and "state" not in fields and "due_date" not in fields
    states = [(old, new) for name, old, new in diffs if name == "State"]
    assert ("Appraisal", "On hold") in states
    assert ("Appraisal", "") not in [(o, n) for name, o, n in diffs if name == "Held from state"]
    assert any(n == "A complaint is pending" for name, _o, n in diffs if name == "Reason code")
    dates = [n for name, _o, n in diffs if name == "Due date" and n]
    with translation.override("vi"):
        rows = wording.dossier_changes(dossier)
    vi_dates = [n for row in rows for name, _o, n in row["diffs"] if n and "/" in n]
    assert vi_dates and all(re.fullmatch(r"\d\d/\d\d/\d{4}( \d\d:\d\d)?", d) for d in vi_dates)
    assert dates  # the due date changed and is shown


def test_the_dossier_page_tells_its_history_in_sentences():
    dossier = Dossier.objects.filter(state="returned").first()
    client = client_for("inspector")
    page = client.get(f"/dossiers/{dossier.pk}/").content.decode()
    history = page.split('<table class="history">', 1)[1].split("</table>", 1)[0]
    event = LedgerEvent.objects.filter(dossier=dossier, action="return").first()
    row = re.search(rf'<tr id="event-{event.seq}">(.*?)</tr>', history, re.S)[1]
    assert dossier.reference in row and event.reason in row
    assert full_name(event.actor) in row and "board-officer" not in row  # by name
    assert ">return<" not in row
    assert '<img src="/flow.svg?dossier=' in page and "<object" not in page


# --- the flow chart -------------------------------------------------------------------------


def test_the_chart_shows_the_dossiers_route_ahead_in_its_language():
    dossier = Dossier.objects.filter(state="intake", organization__code="MTTQ").first() or (
        Dossier.objects.filter(state="intake").first()
    )
    client = client_for("inspector")
    svg = client.get(f"/flow.svg?dossier={dossier.pk}").content.decode()
    assert re.match(r'<svg [^>]*width="\d+" height="\d+"', svg)  # its own size, for an <img>
    assert f'<g data-state="{dossier.state}" data-current="true"' in svg
    ahead = re.findall(r'<g data-state="(\w+)" data-route="true">', svg)
    assert "decided" in ahead and "draft" not in ahead
    assert 'data-legend="true"' in svg
    with translation.override("vi"):
        label = str(DossierState.DECIDED.label)
    assert label in svg
    english = client.get(f"/en/flow.svg?dossier={dossier.pk}").content.decode()
    assert "Decided" in english and "The rest of its route" in english


def test_the_chart_has_no_route_ahead_once_ended():
    dossier = Dossier.objects.filter(state="decided").first()
    svg = client_for("inspector").get(f"/flow.svg?dossier={dossier.pk}").content.decode()
    assert 'data-route="true"' not in svg and 'data-legend="true"' in svg


def test_the_chart_is_an_image_the_dossier_page_may_show():
    """An <img> is not a frame: the site's frame-ancestors 'none' and X-Frame-Options DENY do
    not apply to it, and img-src 'self' allows it."""
    client = client_for("inspector")
    dossier = Dossier.objects.first()
    page = client.get(f"/dossiers/{dossier.pk}/")
    assert "img-src 'self'" in page["Content-Security-Policy"]
    chart = client.get(f"/flow.svg?dossier={dossier.pk}")
    assert chart.status_code == 200 and chart["Content-Type"] == "image/svg+xml"


# --- constant queries -----------------------------------------------------------------------


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context.captured_queries)


def _more_events(dossier: Dossier, rounds: int) -> None:
    """Real work on the dossier: two officers take it and give it back, in turn (ledger
    events by different actors and roles, and saved versions with changed fields)."""
    world = World()
    for i in range(rounds):
        officer = world.user("board-officer" if i % 2 else "board-officer-2")
        wf.dossier_assignment(actor=officer, dossier=dossier.pk, action="claim")
        wf.dossier_assignment(actor=officer, dossier=dossier.pk, action="release")


def test_history_pages_cost_the_same_with_more_events():
    dossier = Dossier.objects.filter(state="intake", holder__code="TTG").first()  # central
    client = client_for("inspector")
    # One round first: the versions' changed values are then read in one query per related
    # model (the officers); more rounds must add none.
    _more_events(dossier, 1)
    urls = [f"/dossiers/{dossier.pk}/", f"/audit/?dossier={dossier.pk}", "/audit/"]
    for url in urls:
        client.get(url)  # warm: the organisation tree is read once per process
    before = {url: _queries(client, url) for url in urls}
    events = LedgerEvent.objects.filter(dossier=dossier).count()
    _more_events(dossier, 4)
    assert LedgerEvent.objects.filter(dossier=dossier).count() == events + 8
    after = {url: _queries(client, url) for url in urls}
    assert after == before
    page = client.get(f"/dossiers/{dossier.pk}/").content.decode()
    second = get_user_model().objects.get(username="board-officer-2")
    assert full_name(second) in page  # the versions' officers, by name
