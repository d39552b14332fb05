"""The board's daily work between intake and the decision, in one dossier, over the HTTP API:
assignment and reassignment, public notice with two comments, a two-body consultation with one
answer late, the council, then the PM's decision (issue #12's route).

The issue names a PM certificate; the PM's certificate (BK-TTG) has no public notice in its
route, so this runs the PM-decided form that has one: the National Emulation Fighter (CSTD-TQ)."""

import datetime

import time_machine
from rest_framework.test import APIClient

from audit.verify import verify
from dossiers.models import Dossier
from tests.signin import fresh_code
from tests.workflows.helpers import act, create, upload_required

DOCS = ["to_trinh", "bao_cao_thanh_tich", "bien_ban_hoi_dong", "chung_nhan_sang_kien"]


def _at(day: datetime.date) -> time_machine.travel:
    return time_machine.travel(datetime.datetime.combine(day, datetime.time(2), datetime.UTC))


def test_assignment_notice_comments_consultation_and_decision(api):
    with _at(datetime.date(2026, 6, 1)):
        dossier = create(api, "HND", "CSTD-TQ")
        upload_required(api, "HND", dossier, DOCS)
        act(api, "head-HND", dossier, "submit")
        # The board's head shares it out, then reassigns it.
        assert act(api, "board-head", dossier, "assign", officer="board-officer")["assignee"] == (
            "board-officer"
        )
        moved = act(api, "board-head", dossier, "assign", officer="board-officer-2")
        assert moved["assignee"] == "board-officer-2"
        notice = act(api, "board-officer-2", dossier, "accept")
        assert notice["state"] == "public_notice" and notice["assignee"] == "board-officer-2"
        # Anyone may comment on the nominee under notice, without signing in.
        nominee = dossier["nominees"][0]["id"]
        url = f"/api/v1/public/notices/{nominee}/comments/"
        public = APIClient()
        for text in ("Đề nghị làm rõ sáng kiến năm 2025.", "Ủng hộ, đồng chí rất tận tụy."):
            sent = public.post(url, {"text": text, "contact": "0912 000 000"}, format="json")
            assert sent.status_code == 201, sent.json()
        queue = api("board-officer-2").get(f"/api/v1/dossiers/{dossier['id']}/comments/").json()
        first, second = (c["id"] for c in queue)
        handle = "/api/v1/comments/{}/handle/"
        done = api("board-officer-2").post(
            handle.format(first), {"note": "Đã xác minh với đơn vị."}, format="json"
        )
        assert done.status_code == 200, done.json()
    with _at(datetime.date(2026, 6, 16)):  # the ten working days have run
        refused = act(api, "board-officer-2", dossier, "close_notice", expect=409)
        assert refused["code"] == "comments_open"
        api("board-officer-2").post(handle.format(second), {"note": "Ghi nhận."}, format="json")
        assert act(api, "board-officer-2", dossier, "close_notice")["state"] == "council_review"
        nominees = [nominee]
        body = {"council": "HDTDKT-TW", "year": 2023, "nominees": nominees}
        opened = api("council-secretary").post("/api/v1/ballots/", body, format="json").json()
        for i in range(1, 6):
            api(f"council-member-{i}").post(
                f"/api/v1/ballots/{opened['id']}/votes/",
                {"choices": {str(nominee): "yes"}},
                format="json",
            )
        api("council-secretary").post(f"/api/v1/ballots/{opened['id']}/close/", {}, format="json")
        assert Dossier.objects.get(pk=dossier["id"]).state == "appraisal"
        # Consultation: two bodies, ten working days; one answers, the other stays silent.
        asked = api("board-officer-2").post(
            f"/api/v1/dossiers/{dossier['id']}/consultations/",
            {"bodies": ["HY-BHXH", "HY-THUE"], "due_in_days": 10},
            format="json",
        )
        assert asked.status_code == 201, asked.json()
        bhxh = next(r["id"] for r in asked.json() if r["body"] == "HY-BHXH")
        answer = api("consult-BHXH").post(
            f"/api/v1/consultations/{bhxh}/answer/", {"agree": True, "reason": ""}, format="json"
        )
        assert answer.status_code == 200, answer.json()
        assert act(api, "board-head", dossier, "forward", expect=409)["code"] == (
            "consultation_pending"
        )
    with _at(datetime.date(2026, 7, 3)):  # the deadline has passed: silence counts as agreement
        assert act(api, "board-head", dossier, "forward")["state"] == "awaiting_decision"
        made = api("board-head").post(
            "/api/v1/decisions/", {"decider": "TTG", "dossiers": [dossier["id"]]}, format="json"
        )
        sign = {"number": "777/QĐ-TTg", "signed_on": "2026-07-03", "otp": fresh_code("pm")}
        signed = api("pm").post(f"/api/v1/decisions/{made.json()['id']}/sign/", sign, format="json")
        assert signed.status_code == 200, signed.json()
    assert Dossier.objects.get(pk=dossier["id"]).state == "decided"
    assert verify().ok
