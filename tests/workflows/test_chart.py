"""The lifecycle chart is drawn from the declaration, CSP-clean, and marks a dossier's path."""

import re

from django.utils import translation

from dossiers.models import Dossier, DossierState
from tests.workflows.helpers import act, create, upload_required
from workflows.chart import LABELS, lifecycle_svg
from workflows.lifecycle import transitions
from workflows.selectors import state_path

EDGE = re.compile(r'<path [^>]*data-source="(\w+)" data-target="(\w+)" data-action="(\w+)"')


def _edges(svg: str) -> set[tuple[str, str, str]]:
    return set(EDGE.findall(svg))


def test_every_declared_move_is_an_edge():
    declared = {
        (source, str(target), action)
        for source, action, transition in transitions()
        for target in transition.declared_targets()
    }
    assert len(declared) > 14  # a route-chosen target contributes each state it may choose
    assert _edges(lifecycle_svg()) == declared


def test_every_state_is_a_box_named_by_its_label():
    with translation.override("vi"):
        svg = lifecycle_svg()
    for state in DossierState:
        assert f'<g data-state="{state.value}">' in svg
    assert "Dự thảo" in svg and "Chờ quyết định" in svg and "Đã rút hồ sơ" in svg
    with translation.override("en"):
        svg = lifecycle_svg()
    assert "Awaiting decision" in svg and ">Sign and submit<" in svg  # a move by its label


def test_the_chart_renders_under_the_csp():
    svg = lifecycle_svg(["draft", "intake"])
    assert svg.startswith("<svg ") and svg.endswith("</svg>")
    assert not re.search(r"<style|\sstyle\s*=|<script|\son[a-z]+\s*=|javascript:", svg, re.I)
    assert not re.search(r'(href|src)\s*=\s*"(?!#)', svg)  # no external reference
    assert "<foreignObject" not in svg


def test_labels_are_escaped(monkeypatch):
    monkeypatch.setitem(LABELS, "return", "<b>&'\"")
    svg = lifecycle_svg()
    assert "<b>" not in svg and "&lt;b&gt;&amp;" in svg


def test_the_path_and_the_current_state_are_marked():
    svg = lifecycle_svg(["draft", "intake", "returned", "intake", "appraisal"])
    assert '<g data-state="appraisal" data-current="true" data-visited="true">' in svg
    assert '<g data-state="returned" data-visited="true">' in svg
    assert '<g data-state="decided">' in svg
    walked = {
        (s, t)
        for s, t in re.findall(r'stroke-width="3"[^>]*data-source="(\w+)" data-target="(\w+)"', svg)
    }
    assert walked == {
        ("draft", "intake"),
        ("intake", "returned"),
        ("returned", "intake"),
        ("intake", "appraisal"),
    }


def test_state_path_follows_the_ledger(api, django_assert_num_queries):
    dossier = create(api, "TLDLD", "HCLD-3")
    upload_required(api, "TLDLD", dossier, ["to_trinh", "bao_cao_thanh_tich", "bien_ban_hoi_dong"])
    act(api, "head-TLDLD", dossier, "submit")
    act(api, "board-officer", dossier, "return", reason="Thiếu biên bản")
    act(api, "head-TLDLD", dossier, "submit")
    act(api, "board-officer", dossier, "accept")
    act(api, "head-TLDLD", dossier, "withdraw", reason="Rút để bổ sung thành tích")
    record = Dossier.objects.get(pk=dossier["id"])
    with django_assert_num_queries(1):
        path = state_path(record)
    assert path == ["draft", "intake", "returned", "intake", "public_notice", "withdrawn"]
    assert '<g data-state="withdrawn" data-current="true"' in lifecycle_svg(path)


def test_state_path_of_a_new_or_unrecorded_dossier(world, django_assert_num_queries):
    draft = Dossier.objects.filter(state=DossierState.DRAFT).order_by("pk").first()
    assert state_path(draft) == ["draft"]  # its creation event: from nothing to draft
    with django_assert_num_queries(0):
        assert state_path(Dossier(state=DossierState.INTAKE)) == ["intake"]
