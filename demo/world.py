"""The demo world of shared/demo-data.md, built through the same services a user's actions use."""

from __future__ import annotations

import base64
import datetime
import hashlib
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import time_machine
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.names import full_name, split_name
from approvals import ballots
from approvals import services as approval_services
from audit import ledger
from consultations import rules as consultation_rules
from consultations.services import consultation_answer, consultation_request
from documents import services as documents
from dossiers import registry
from dossiers.catalogue import catalogue_load, upsert
from dossiers.models import (
    AwardForm,
    Bloc,
    BlocLeadership,
    BlocMembership,
    Dossier,
    DossierState,
    EntrySource,
    HistoryEntry,
    Nominee,
    Organization,
    Person,
    RestrictionKind,
    Role,
    RoleGrant,
    Sex,
    TitleKind,
)
from dossiers.services import role_grant
from workflows import services as wf

PASSWORD = "demo"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")

CENTRAL_UNITS = [
    ("MTTQ", "Ủy ban Trung ương Mặt trận Tổ quốc Việt Nam", "UBTƯ MTTQ VN"),
    ("HCCB", "Trung ương Hội Cựu chiến binh Việt Nam", "TƯ Hội CCB"),
    ("TLDLD", "Tổng Liên đoàn Lao động Việt Nam", "Tổng LĐLĐ VN"),
    ("HND", "Trung ương Hội Nông dân Việt Nam", "TƯ Hội ND"),
    ("DOAN", "Trung ương Đoàn Thanh niên Cộng sản Hồ Chí Minh", "TƯ Đoàn"),
    ("HLHPN", "Trung ương Hội Liên hiệp Phụ nữ Việt Nam", "TƯ Hội LHPN"),
    ("VHNT", "Liên hiệp các Hội Văn học nghệ thuật Việt Nam", "LH các Hội VHNT"),
    ("VUSTA", "Liên hiệp các Hội Khoa học và Kỹ thuật Việt Nam", "LH các Hội KH&KT"),
    ("VUFO", "Liên hiệp các tổ chức hữu nghị Việt Nam", "LH các TCHN"),
]
PROVINCE_UNITS = [
    ("T-MTTQ", "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh", "UBMTTQ tỉnh"),
    ("T-HND", "Hội Nông dân tỉnh", "Hội ND tỉnh"),
    ("T-LDLD", "Liên đoàn Lao động tỉnh", "LĐLĐ tỉnh"),
    ("T-HCCB", "Hội Cựu chiến binh tỉnh", "Hội CCB tỉnh"),
    ("T-HLHPN", "Hội Liên hiệp Phụ nữ tỉnh", "Hội LHPN tỉnh"),
    ("T-DOAN", "Tỉnh đoàn", "Tỉnh đoàn"),
]
UNIT_CODES = [c for c, _, _ in CENTRAL_UNITS + PROVINCE_UNITS]
# More levels (demo-data.md): units of a second province and of a ministry, under the level's
# authority (code, name, short name, level, parent). Their personas exist; their dossiers come
# with the route through a level's own board and council, so they are not in UNIT_CODES (whose
# units all get demo dossiers) yet.
LEVEL_UNITS = [
    ("T2-HND", "Hội Nông dân tỉnh thứ hai", "Hội ND tỉnh thứ hai", "province", "T2-UBND"),
    ("T2-LDLD", "Liên đoàn Lao động tỉnh thứ hai", "LĐLĐ tỉnh thứ hai", "province", "T2-UBND"),
    (
        "T2-HLHPN",
        "Hội Liên hiệp Phụ nữ tỉnh thứ hai",
        "Hội LHPN tỉnh thứ hai",
        "province",
        "T2-UBND",
    ),
    ("BTP-THADS", "Cục Quản lý thi hành án dân sự", "Cục QLTHADS", "ministry", "BTP"),
    ("BTP-TGPL", "Cục Trợ giúp pháp lý", "Cục TGPL", "ministry", "BTP"),
]
LEVEL_UNIT_CODES = [c for c, *_ in LEVEL_UNITS]
PROVINCE2_CODES = [c for c in LEVEL_UNIT_CODES if c.startswith("T2-")]

STAFF = [
    ("board-officer", [(Role.BOARD_OFFICER, "BTDKT-TW")]),
    ("board-head", [(Role.BOARD_HEAD, "BTDKT-TW"), (Role.BOARD_OFFICER, "BTDKT-TW")]),
    ("council-secretary", [(Role.COUNCIL_SECRETARY, "HDTDKT-TW")]),
    *[(f"council-member-{i}", [(Role.COUNCIL_MEMBER, "HDTDKT-TW")]) for i in range(1, 6)],
    ("pm", [(Role.DECIDER, "TTG")]),
    ("president", [(Role.DECIDER, "CTN")]),
    ("t-board-officer", [(Role.BOARD_OFFICER, "T-BTDKT"), (Role.BOARD_HEAD, "T-BTDKT")]),
    ("t-chair", [(Role.DECIDER, "T-UBND"), (Role.CONSULTED, "T-UBND")]),
    ("inspector", [(Role.INSPECTOR, None)]),
]
# The councils of the first province, the second province and the ministry, and the boards and
# heads of the last two (demo-data.md "More levels"); kept apart from STAFF like LEVEL_UNITS.
LEVEL_STAFF = [
    ("t-council-secretary", [(Role.COUNCIL_SECRETARY, "T-HDTDKT")]),
    *[(f"t-council-member-{i}", [(Role.COUNCIL_MEMBER, "T-HDTDKT")]) for i in range(1, 4)],
    ("t2-board-officer", [(Role.BOARD_OFFICER, "T2-BTDKT"), (Role.BOARD_HEAD, "T2-BTDKT")]),
    ("t2-council-secretary", [(Role.COUNCIL_SECRETARY, "T2-HDTDKT")]),
    *[(f"t2-council-member-{i}", [(Role.COUNCIL_MEMBER, "T2-HDTDKT")]) for i in range(1, 4)],
    ("t2-chair", [(Role.DECIDER, "T2-UBND"), (Role.CONSULTED, "T2-UBND")]),
    ("m-board-officer", [(Role.BOARD_OFFICER, "BTP-VTDKT"), (Role.BOARD_HEAD, "BTP-VTDKT")]),
    ("m-council-secretary", [(Role.COUNCIL_SECRETARY, "BTP-HDTDKT")]),
    *[(f"m-council-member-{i}", [(Role.COUNCIL_MEMBER, "BTP-HDTDKT")]) for i in range(1, 4)],
    ("minister", [(Role.DECIDER, "BTP")]),
]

# Consulted bodies (demo-data.md "Consulted bodies and second officers"): central organisations
# of kind "unit" that no route passes through, each answering through its persona.
CONSULTED_BODIES = [
    ("HY-BHXH", "Bảo hiểm xã hội Việt Nam", "BHXH VN"),
    ("HY-THUE", "Cục Thuế", "Cục Thuế"),
]
CONSULTED_STAFF = [
    ("consult-BHXH", [(Role.CONSULTED, "HY-BHXH")]),
    ("consult-THUE", [(Role.CONSULTED, "HY-THUE")]),
]

# A second officer per board, for assignment (demo-data.md "Consulted bodies and second officers").
SECOND_OFFICERS = [
    ("board-officer-2", [(Role.BOARD_OFFICER, "BTDKT-TW")]),
    ("t-board-officer-2", [(Role.BOARD_OFFICER, "T-BTDKT")]),
    ("t2-board-officer-2", [(Role.BOARD_OFFICER, "T2-BTDKT")]),
    ("m-board-officer-2", [(Role.BOARD_OFFICER, "BTP-VTDKT")]),
]

# A real one-page PDF (uploads are parsed with pypdf): objects, cross-reference table, trailer.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n"
    b"0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\nstartxref\n164\n%%EOF\n"
)


def demo_pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def _at(year: int, month: int, day: int) -> datetime.datetime:
    return datetime.datetime(year, month, day, 9, 0, tzinfo=TZ)


class World:
    """Looks up the demo's users, organisations and forms by their contract names."""

    def __init__(self) -> None:
        self.users = {u.username: u for u in get_user_model().objects.all()}

    def user(self, username: str):
        user = self.users[username]
        user.__dict__.pop("_kt_roles", None)  # roles may have changed; read them again
        return user

    def org(self, code: str) -> Organization:
        return Organization.objects.get(code=code)

    def form(self, code: str) -> AwardForm:
        return AwardForm.objects.get(code=code)


def build_organisations() -> None:
    catalogue_load()
    for code, name, short in CENTRAL_UNITS:
        upsert(
            Organization, {"code": code}, {"name": name, "short_name": short, "level": "central"}
        )
    for code, name, short in CONSULTED_BODIES:
        upsert(
            Organization, {"code": code}, {"name": name, "short_name": short, "level": "central"}
        )
    first_province = Organization.objects.get(code="T-UBND")
    for code, name, short in PROVINCE_UNITS:
        upsert(
            Organization,
            {"code": code},
            {"name": name, "short_name": short, "level": "province", "parent": first_province},
        )
    for code, name, short, level, parent in LEVEL_UNITS:
        upsert(
            Organization,
            {"code": code},
            {
                "name": name,
                "short_name": short,
                "level": level,
                "parent": Organization.objects.get(code=parent),
            },
        )
    central = upsert(
        Bloc,
        {"code": "KHOI-CTXH-TW"},
        {
            "name": "Khối thi đua các tổ chức chính trị - xã hội và các tổ chức Liên hiệp",
            "kind": "khoi",
            "level": "central",
            "organizer": Organization.objects.get(code="HDTDKT-TW"),
        },
    )
    province = upsert(
        Bloc,
        {"code": "CUM-CTXH-T"},
        {
            "name": "Cụm thi đua Khối các tổ chức chính trị - xã hội (tỉnh)",
            "kind": "cum",
            "level": "province",
            "organizer": Organization.objects.get(code="T-HDTDKT"),
        },
    )
    province2 = upsert(
        Bloc,
        {"code": "CUM-CTXH-T2"},
        {
            "name": "Cụm thi đua Khối các tổ chức chính trị - xã hội (tỉnh thứ hai)",
            "kind": "cum",
            "level": "province",
            "organizer": Organization.objects.get(code="T2-HDTDKT"),
        },
    )
    for year in (2023, 2024):
        for code, _, _ in CENTRAL_UNITS:
            upsert(
                BlocMembership,
                {
                    "bloc": central,
                    "organization": Organization.objects.get(code=code),
                    "year": year,
                },
                {},
            )
        for code, _, _ in PROVINCE_UNITS:
            upsert(
                BlocMembership,
                {
                    "bloc": province,
                    "organization": Organization.objects.get(code=code),
                    "year": year,
                },
                {},
            )
        for code in PROVINCE2_CODES:
            upsert(
                BlocMembership,
                {
                    "bloc": province2,
                    "organization": Organization.objects.get(code=code),
                    "year": year,
                },
                {},
            )
    org = Organization.objects.get
    for year in (2023, 2024):  # 2024: a second year, whose Government flag is still open
        upsert(
            BlocLeadership,
            {"bloc": central, "year": year},
            {"leader": org(code="MTTQ"), "deputy": None},
        )
    leaderships = [  # (bloc, year, leader, deputy)
        (province, 2023, "T-HND", "T-MTTQ"),
        (province, 2024, "T-MTTQ", "T-LDLD"),
        (province2, 2023, "T2-HND", "T2-LDLD"),
        (province2, 2024, "T2-LDLD", "T2-HLHPN"),
    ]
    for bloc, year, leader, deputy in leaderships:
        upsert(
            BlocLeadership,
            {"bloc": bloc, "year": year},
            {"leader": org(code=leader), "deputy": org(code=deputy)},
        )


# The demo's TOTP secret (base32) for every persona that needs a second factor (README).
DEMO_TOTP_SECRET = "KHENTHUONGDEMO23"
SECOND_FACTOR_PERSONAS = [
    "admin", "board-head", "t-board-officer", "pm", "president", "t-chair",
    "t2-board-officer", "t2-chair", "m-board-officer", "minister",
]  # fmt: skip


def demo_totp_key() -> str:
    return base64.b32decode(DEMO_TOTP_SECRET).hex()


def build_devices() -> None:
    for username in SECOND_FACTOR_PERSONAS:
        user = get_user_model().objects.get(username=username)
        if TOTPDevice.objects.filter(user=user, name="demo").exists():
            continue
        device = TOTPDevice(user=user, name="demo", key=demo_totp_key(), confirmed=True)
        with ledger.recording(
            actor=None, action="otp.device_added", object_type="auth.user", object_id=user.pk,
            data={"user": username, "device": "totp"},
        ):  # fmt: skip
            device.save()


# The personas' full names (fictional), so that pages, ledger rows and signatures name people
# ("Cán bộ Ban TĐKT Nguyễn Thị Thu Hà"), not sign-in names. The usernames stay the contract of
# demo-data.md; the units' officers, heads and voters are named by `unit_persona_names`.
PERSONA_NAMES = {
    "admin": "Phạm Quốc Khánh",
    "board-officer": "Nguyễn Thị Thu Hà",
    "board-officer-2": "Lê Minh Tuấn",
    "board-head": "Trần Quốc Hưng",
    "council-secretary": "Lê Thị Minh Nguyệt",
    "council-member-1": "Phạm Văn Đức",
    "council-member-2": "Hoàng Thị Lan",
    "council-member-3": "Vũ Đình Khôi",
    "council-member-4": "Đặng Thị Hồng Nhung",
    "council-member-5": "Bùi Quang Vinh",
    "pm": "Đỗ Minh Trí",
    "president": "Ngô Đức Thuận",
    "inspector": "Dương Thị Thanh Tâm",
    "t-board-officer": "Phan Thị Mai",
    "t-board-officer-2": "Đinh Văn Lộc",
    "t-chair": "Hồ Văn Sơn",
    "t-council-secretary": "Trương Thị Bích Ngọc",
    "t-council-member-1": "Lương Văn Hòa",
    "t-council-member-2": "Tạ Thị Thu Thủy",
    "t-council-member-3": "Kiều Minh Quân",
    "t2-board-officer": "Mai Thị Hạnh",
    "t2-board-officer-2": "Cao Văn Kiên",
    "t2-chair": "Tô Văn Thành",
    "t2-council-secretary": "Lâm Thị Diệu Linh",
    "t2-council-member-1": "Châu Văn Phúc",
    "t2-council-member-2": "Triệu Thị Hảo",
    "t2-council-member-3": "Quách Đức Toàn",
    "m-board-officer": "Hà Thị Thanh Vân",
    "m-board-officer-2": "Doãn Minh Khoa",
    "minister": "Nghiêm Xuân Bách",
    "m-council-secretary": "Khúc Thị Ngân",
    "m-council-member-1": "Lại Văn Tín",
    "m-council-member-2": "Vi Thị Lệ",
    "m-council-member-3": "Mạc Đăng Khoa",
    "consult-BHXH": "Phùng Thị Hải Yến",
    "consult-THUE": "Ông Văn Thuận",
}
FAMILY_NAMES = [
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
    "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trương", "Lương", "Tạ", "Kiều", "Mai", "Cao",
]  # fmt: skip
MEN = (["Văn", "Đức", "Minh", "Quốc", "Hữu", "Xuân", "Quang"],
       ["An", "Bình", "Cường", "Dũng", "Hải", "Hiếu", "Huy", "Khải", "Long", "Nam", "Phong",
        "Sơn", "Thắng", "Trung", "Tuấn", "Vinh", "Thịnh"])  # fmt: skip
WOMEN = (["Thị", "Thu", "Ngọc", "Thanh", "Hồng", "Kim", "Phương"],
         ["Anh", "Chi", "Dung", "Giang", "Hà", "Hằng", "Hoa", "Hương", "Lan", "Linh", "Mai",
          "Nga", "Oanh", "Thảo", "Trang", "Yến", "Vân"])  # fmt: skip


def unit_persona_names(usernames: list[str]) -> dict[str, str]:
    """A distinct name for each unit persona, the same on every run (its place in the list)."""
    taken = set(PERSONA_NAMES.values())
    names: dict[str, str] = {}
    for i, username in enumerate(usernames):
        middles, givens = WOMEN if i % 2 else MEN
        for shift in range(len(FAMILY_NAMES)):
            name = " ".join(
                (
                    FAMILY_NAMES[(i + shift) % len(FAMILY_NAMES)],
                    middles[(i // 2) % len(middles)],
                    givens[(i * 5) % len(givens)],
                )
            )
            if name not in taken:
                break
        taken.add(name)
        names[username] = name
    return names


def build_users() -> None:
    User = get_user_model()
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser("admin", "admin@example.invalid", PASSWORD)
    people: list[tuple[str, list[tuple[str, str | None]]]] = list(STAFF) + LEVEL_STAFF
    people += CONSULTED_STAFF + SECOND_OFFICERS
    for code in UNIT_CODES + LEVEL_UNIT_CODES:
        people += [
            (f"proposer-{code}", [(Role.UNIT_OFFICER, code)]),
            (f"head-{code}", [(Role.UNIT_HEAD, code)]),
            (f"voter-{code}", [(Role.BLOC_VOTER, code)]),
        ]
    names = PERSONA_NAMES | unit_persona_names(
        [u for u, _grants in people if u not in PERSONA_NAMES]
    )
    for username, grants in [("admin", []), *people]:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username)
            user.set_password(PASSWORD)
            user.save()
        first, last = split_name(names[username])
        if (user.first_name, user.last_name) != (first, last):  # once: re-runs change nothing
            user.first_name, user.last_name = first, last
            user.save(update_fields=["first_name", "last_name"])
        for role, code in grants:
            organization = Organization.objects.get(code=code) if code else None
            role_grant(actor=None, user=user, role=role, organization=organization)


# --- dossiers ---------------------------------------------------------------------------------


# The criterion each individual form's demo nominees claim (Law Arts. 73(1)(b), 44(1)(e),
# 74(1)(d)): the ones the rules check from the registry's history.
CRITERIA = {"BK-TTG": "73.1.b", "HCLD-3": "44.1.e", "BK-TINH": "74.1.d", "BK-BO": "74.1.d"}


def start(
    world: World, org: str, form: str, title: str, nominees: list[dict], year: int
) -> Dossier:
    proposer = world.user(f"proposer-{org}")
    claimed = CRITERIA.get(form, "")  # the alternative criterion the unit claims
    nominees = [
        {**n, "criterion": n.get("criterion") or (claimed if n["kind"] == "individual" else "")}
        for n in nominees
    ]
    dossier = wf.dossier_start(
        actor=proposer,
        organization=world.org(org),
        award_form=world.form(form),
        year=year,
        title=title,
        nominees=nominees,
    )
    for kind in world.form(form).required_documents.all():
        wf.attachment_add(
            actor=proposer,
            dossier=dossier,
            kind_code=kind.code,
            upload=demo_pdf(f"{kind.code}.pdf"),
        )
    return dossier


def act(world: World, username: str, dossier: Dossier, action: str, **payload) -> Dossier:
    return wf.dossier_act(
        actor=world.user(username), dossier=dossier, action=action, payload=payload
    )


def consult(world: World, officer: str, dossier: Dossier) -> None:
    """The board asks the bodies the award form's data names (Decree 98/2023 Art. 31: no
    forward without them) and each agrees; a form that names none is left as it is."""
    codes = consultation_rules.for_form(dossier.award_form.code).bodies
    if not codes:
        return
    asked = consultation_request(
        actor=world.user(officer), dossier=dossier, bodies=codes, due_in_days=10
    )
    answerer = {code: name for name, grants in CONSULTED_STAFF for _role, code in grants}
    for row in asked:
        consultation_answer(
            actor=world.user(answerer[row.body.code]),
            consultation=row,
            agree=True,
            reason="Đơn vị chấp hành tốt chính sách, pháp luật",
        )


def collective(code: str) -> dict:
    org = Organization.objects.get(code=code)
    return {"kind": "collective", "name": org.name, "organization": code, "achievements": ""}


def identity_for(name: str, birth_date: datetime.date, sex: str) -> str:
    """A well-formed CCCD for a demo person (Hà Nội's code 001; century and sex; the birth
    year; six digits from the name and organisation), the same on every run."""
    digit = (birth_date.year - 1900) // 100 * 2 + (1 if sex == Sex.FEMALE else 0)
    tail = int(hashlib.sha256(name.encode()).hexdigest(), 16) % 1_000_000
    return f"001{digit}{birth_date.year % 100:02d}{tail:06d}"


# A career that meets every individual form's prerequisites for the year after it (domain.md
# §6.4 rules 2–5): years before the proposal year → titles. The Prime Minister's certificate
# comes after a province's certificate and 5 years rated "hoàn thành tốt" or better with three
# grassroots fighter titles; the Labour Order after the PM's certificate likewise; the national
# fighter after two consecutive province fighter titles and an initiative of national reach.
CAREER = {
    12: ["BK-TINH"],
    11: ["HTXSNV", "CSTD-CS"],
    10: ["HTXSNV"],
    9: ["HTXSNV", "CSTD-CS"],
    8: ["HTXSNV"],
    7: ["HTXSNV", "CSTD-CS"],
    6: ["BK-TTG", "HTXSNV"],
    5: ["HTXSNV", "CSTD-CS"],
    4: ["HTXSNV"],
    3: ["HTXSNV", "CSTD-CS"],
    2: ["HTXSNV", "CSTD-CS", "CSTD-TINH", "SK-CS"],
    1: ["HTXSNV", "CSTD-CS", "CSTD-TINH", "SK-TQ", "SK-CS", "SK-CS"],
}


def record_career(person_row: Person, year: int) -> None:
    """The person's history before `year`, recorded as from earlier decisions (once)."""
    if person_row.entries.exists():
        return
    kinds = {k.code: k for k in TitleKind.objects.all()}
    for back, codes in CAREER.items():
        for code in codes:
            HistoryEntry.objects.create(
                person=person_row,
                kind=kinds[code],
                year=year - back,
                decision_number=f"{100 + back}/QĐ-DEMO",
                source=EntrySource.RECORDED,
            )


def person(
    name: str,
    org: str,
    achievements: str = "",
    *,
    year: int = 2023,
    sex: str = Sex.FEMALE,
    career: bool = True,
    criterion: str = "",
) -> dict:
    """An individual nominee with a CCCD; with `career`, registered with a history that meets
    the prerequisites of the forms proposed for `year`."""
    birth_date = datetime.date(1978, 5, 17)
    identity = identity_for(f"{org}:{name}", birth_date, sex)
    if career:
        row = Person.objects.filter(identity=identity).first() or Person.objects.create(
            identity=identity,
            full_name=name,
            birth_date=birth_date,
            sex=sex,
            organization=Organization.objects.get(code=org),
        )
        record_career(row, year)
    return {
        "kind": "individual",
        "name": name,
        "organization": org,
        "achievements": achievements,
        "identity": identity,
        "birth_date": birth_date,
        "sex": sex,
        "criterion": criterion,
    }


CENTRAL_CODES = [c for c, _, _ in CENTRAL_UNITS]
PROVINCE_CODES = [c for c, _, _ in PROVINCE_UNITS]


def bloc_ballot(
    world: World, leader: str, bloc: str, year: int, dossiers: list[Dossier], voters: list[str],
    close: bool = True,
):  # fmt: skip
    """The bloc's secret ballot: members vote yes for the others' nominees and declare a
    conflict for their own; the leader closes it and the dossiers move on."""
    # A bloc votes on its members' collectives; a dossier of individuals went past it.
    for dossier in dossiers:
        dossier.refresh_from_db(fields=["state"])
    waiting = [d for d in dossiers if d.state == DossierState.BLOC_VOTING]
    nominees = [n for d in waiting for n in d.nominees.all() if n.kind == "collective"]
    if not nominees:
        return None
    session = ballots.ballot_open(
        actor=world.user(leader), bloc_code=bloc, year=year, nominee_ids=[n.pk for n in nominees]
    )
    for code in voters:
        own = [n.pk for n in nominees if n.dossier.organization.code == code]
        choices = {str(n.pk): "yes" for n in nominees if n.pk not in own}
        ballots.ballot_cast(
            actor=world.user(f"voter-{code}"), session=session, choices=choices, conflicts=own
        )
    if close:
        ballots.ballot_close(actor=world.user(leader), session=session)
    return session


def seeded(title: str) -> bool:
    return Dossier.objects.filter(title=title).exists()


@dataclass(frozen=True)
class RealCase:
    """A finished case of the seed articles: one flag and certificates, voted by the bloc,
    taken in and forwarded by the board, signed in one decision."""

    title: str
    started: datetime.datetime
    flag: tuple[str, str]  # (organisation, award form)
    certificates: tuple[tuple[str, ...], str]  # (organisations, award form)
    certificate_title: str
    bloc: str
    leader: str
    members: list[str]
    officer: str
    head: str
    decider: str
    signer: str
    number: str
    signed_on: datetime.date


REAL_CASES = [
    RealCase(  # seed 000: the central bloc's 2022 results, decided in 2023
        title="Đề nghị tặng Cờ thi đua của Chính phủ năm 2022 (Khối CT-XH TƯ)",
        started=_at(2023, 1, 9), flag=("HLHPN", "CO-TD-CP"),
        certificates=(("HCCB", "DOAN"), "BK-TTG"),
        certificate_title="Đề nghị tặng Bằng khen của Thủ tướng Chính phủ năm 2022 ({code})",
        bloc="KHOI-CTXH-TW", leader="voter-MTTQ", members=CENTRAL_CODES,
        officer="board-officer", head="board-head", decider="TTG", signer="pm",
        number="301/QĐ-TTg", signed_on=datetime.date(2023, 3, 6),
    ),
    RealCase(  # seed 001: the provincial cluster's 2023 results
        title="Đề nghị tặng Cờ thi đua của UBND tỉnh năm 2023 (Cụm CT-XH tỉnh)",
        started=_at(2023, 12, 4), flag=("T-HND", "CO-TD-TINH"),
        certificates=(("T-LDLD", "T-HCCB"), "BK-TINH"),
        certificate_title="Đề nghị tặng Bằng khen của Chủ tịch UBND tỉnh năm 2023 ({code})",
        bloc="CUM-CTXH-T", leader="voter-T-HND", members=PROVINCE_CODES,
        officer="t-board-officer", head="t-board-officer", decider="T-UBND", signer="t-chair",
        number="3101/QĐ-UBND", signed_on=datetime.date(2023, 12, 22),
    ),
]  # fmt: skip


def real_case(world: World, case: RealCase) -> None:
    if seeded(case.title):
        return
    with time_machine.travel(case.started, tick=False) as clock:
        org, form = case.flag
        dossiers = [start(world, org, form, case.title, [collective(org)], 2023)]
        codes, cert_form = case.certificates
        dossiers += [
            start(world, code, cert_form, case.certificate_title.format(code=code),
                  [collective(code)], 2023)
            for code in codes
        ]  # fmt: skip
        clock.shift(datetime.timedelta(days=1))
        for dossier in dossiers:
            act(world, f"head-{dossier.organization.code}", dossier, "submit")
        clock.shift(datetime.timedelta(days=7))
        bloc_ballot(world, case.leader, case.bloc, 2023, dossiers, case.members)
        clock.shift(datetime.timedelta(days=14))
        for dossier in dossiers:
            act(world, case.officer, dossier, "accept", reason="Hồ sơ đầy đủ")
            consult(world, case.officer, dossier)
            act(world, case.head, dossier, "forward", reason="Đủ tiêu chuẩn")
        batch = approval_services.decision_create(
            actor=world.user(case.head), decider=case.decider, dossier_ids=[d.pk for d in dossiers]
        )
        clock.shift(datetime.timedelta(days=10))
        approval_services.decision_sign(
            actor=world.user(case.signer), decision=batch, number=case.number,
            signed_on=case.signed_on,
        )  # fmt: skip


def open_dossiers(world: World) -> None:
    """Open dossiers in every other state, so every persona's inbox has work."""
    if seeded("[demo] Bằng khen TTg — đang bỏ phiếu khối (VUSTA)"):
        return
    central_form = {code: "BK-TTG" for code, _, _ in CENTRAL_UNITS}
    for code in UNIT_CODES:
        form = central_form.get(code, "BK-TINH")
        start(
            world,
            code,
            form,
            f"[demo] Dự thảo đề nghị khen thưởng ({code})",
            [
                person(
                    f"Cán bộ minh họa {code}", code, "Hoàn thành xuất sắc nhiệm vụ 5 năm liên tục"
                )
            ],
            2024 if code.startswith("T-") else 2023,
        )

    def through_bloc(
        org: str, form: str, title: str, nominees: list[dict], year: int = 2023
    ) -> Dossier:
        dossier = start(world, org, form, title, nominees, year)
        act(world, f"head-{org}", dossier, "submit")
        if org.startswith("T-"):
            leader = "voter-T-HND" if year == 2023 else "voter-T-MTTQ"
            bloc_ballot(world, leader, "CUM-CTXH-T", year, [dossier], PROVINCE_CODES)
        else:
            bloc_ballot(world, "voter-MTTQ", "KHOI-CTXH-TW", year, [dossier], CENTRAL_CODES)
        dossier.refresh_from_db()
        return dossier

    with time_machine.travel(_at(2026, 10, 1), tick=False) as clock:
        # Dossiers that need a notice period behind them start a few weeks back.
        cstd = start(
            world,
            "HND",
            "CSTD-TQ",
            "[demo] Chiến sĩ thi đua toàn quốc — Hội đồng xét (HND)",
            [person("Nông dân minh họa HND", "HND", "Sáng kiến áp dụng toàn quốc")],
            2023,
        )
        act(world, "head-HND", cstd, "submit")
        act(world, "board-officer", cstd, "accept")
        hcld = start(
            world,
            "TLDLD",
            "HCLD-3",
            "[demo] Huân chương Lao động hạng Ba — chờ Thủ tướng trình (TLDLD)",
            [person("Công nhân minh họa TLDLD", "TLDLD")],
            2023,
        )
        hcld2 = start(
            world,
            "DOAN",
            "HCLD-3",
            "[demo] Huân chương Lao động hạng Ba — chờ Chủ tịch nước (DOAN)",
            [collective("DOAN")],
            2023,
        )
        for dossier in (hcld, hcld2):
            act(world, f"head-{dossier.organization.code}", dossier, "submit")
            act(world, "board-officer", dossier, "accept")
        clock.shift(datetime.timedelta(days=21))
        act(
            world,
            "board-officer",
            cstd,
            "close_notice",
            reason="Hết thời hạn đăng tải, không có ý kiến",
        )
        for dossier in (hcld, hcld2):
            act(world, "board-officer", dossier, "close_notice")
            consult(world, "board-officer", dossier)
            act(world, "board-head", dossier, "forward")
        approval_services.decision_create(
            actor=world.user("board-head"), decider="CTN", dossier_ids=[hcld.pk]
        )
        proposed = approval_services.decision_create(
            actor=world.user("board-head"), decider="CTN", dossier_ids=[hcld2.pk]
        )
        approval_services.decision_propose(
            actor=world.user("pm"), decision=proposed, number="1402/TTr-TTg"
        )

    start_bloc = start(
        world,
        "VUSTA",
        "BK-TTG",
        "[demo] Bằng khen TTg — đang bỏ phiếu khối (VUSTA)",
        [collective("VUSTA")],
        2023,
    )
    act(world, "head-VUSTA", start_bloc, "submit")
    t_bloc = start(
        world,
        "T-DOAN",
        "BK-TINH",
        "[demo] Bằng khen Chủ tịch UBND tỉnh — đang bỏ phiếu cụm (T-DOAN)",
        [collective("T-DOAN")],
        2024,
    )
    act(world, "head-T-DOAN", t_bloc, "submit")
    # Ballots still open: some members have voted, the others find the ballot in their inbox.
    bloc_ballot(
        world, "voter-MTTQ", "KHOI-CTXH-TW", 2023, [start_bloc], ["HCCB", "DOAN", "VUSTA"],
        close=False,
    )  # fmt: skip
    bloc_ballot(
        world, "voter-T-MTTQ", "CUM-CTXH-T", 2024, [t_bloc], ["T-HND", "T-DOAN"], close=False
    )
    council = ballots.ballot_open(
        actor=world.user("council-secretary"), council_code="HDTDKT-TW", year=2023,
        nominee_ids=[n.pk for n in cstd.nominees.all()],
    )  # fmt: skip
    for i in (1, 2):
        ballots.ballot_cast(
            actor=world.user(f"council-member-{i}"), session=council,
            choices={str(n.pk): "yes" for n in cstd.nominees.all()}, conflicts=[],
        )  # fmt: skip

    returned = through_bloc(
        "VHNT",
        "BK-TTG",
        "[demo] Bằng khen TTg — trả lại bổ sung (VHNT)",
        [collective("VHNT")],  # the bloc voted on it: a collective
    )
    act(
        world,
        "board-officer",
        returned,
        "return",
        reason="Thiếu xác nhận của cấp trình về báo cáo thành tích",
    )
    through_bloc(
        "VUFO", "BK-TTG", "[demo] Bằng khen TTg — chờ tiếp nhận (VUFO)", [collective("VUFO")]
    )
    public = start(
        world,
        "TLDLD",
        "CSTD-TQ",
        "[demo] Chiến sĩ thi đua toàn quốc — đang đăng tải (TLDLD)",
        [person("Kỹ sư minh họa TLDLD", "TLDLD", "Sáng kiến cải tiến kỹ thuật")],
        2023,
    )
    act(world, "head-TLDLD", public, "submit")
    act(world, "board-officer", public, "accept")
    appraisal = through_bloc(
        "MTTQ",
        "BK-TTG",
        "[demo] Bằng khen TTg — đang thẩm định (MTTQ)",
        [person("Cán bộ Mặt trận minh họa", "MTTQ")],
    )
    act(world, "board-officer", appraisal, "accept")
    held = through_bloc(
        "DOAN",
        "BK-TTG",
        "[demo] Bằng khen TTg — tạm dừng do khiếu nại (DOAN)",
        [person("Cán bộ Đoàn minh họa", "DOAN")],
    )
    act(world, "board-officer", held, "accept")
    act(
        world,
        "board-officer",
        held,
        "hold",
        reason_code="complaint",
        reason="Đang xác minh đơn khiếu nại",
    )
    waiting = through_bloc(
        "HLHPN",
        "BK-TTG",
        "[demo] Bằng khen TTg — chờ lập tờ trình (HLHPN)",
        [person("Cán bộ Hội minh họa", "HLHPN")],
    )
    act(world, "board-officer", waiting, "accept")
    consult(world, "board-officer", waiting)
    act(world, "board-head", waiting, "forward")
    batched = through_bloc(
        "HND",
        "BK-TTG",
        "[demo] Bằng khen TTg — chờ Thủ tướng ký (HND)",
        [collective("HND"), person("Hội viên minh họa HND", "HND")],
    )
    act(world, "board-officer", batched, "accept")
    consult(world, "board-officer", batched)
    act(world, "board-head", batched, "forward")
    approval_services.decision_create(
        actor=world.user("board-head"), decider="TTG", dossier_ids=[batched.pk]
    )
    rejected = through_bloc(
        "VUSTA",
        "BK-TTG",
        "[demo] Bằng khen TTg — không đủ tiêu chuẩn (VUSTA)",
        [person("Nhà khoa học minh họa", "VUSTA")],
    )
    act(world, "board-officer", rejected, "accept")
    act(
        world,
        "board-officer",
        rejected,
        "reject",
        reason_code="criteria_not_met",
        reason="Chưa đủ 5 năm hoàn thành tốt nhiệm vụ",
    )
    withdrawn = through_bloc(
        "VHNT", "BK-TTG", "[demo] Bằng khen TTg — đơn vị rút hồ sơ (VHNT)", [collective("VHNT")]
    )
    act(world, "head-VHNT", withdrawn, "withdraw", reason="Đơn vị đề nghị hình thức khác")
    revoked = through_bloc(
        "HCCB",
        "BK-TTG",
        "[demo] Bằng khen TTg — đã hủy quyết định (HCCB)",
        [person("Hội viên minh họa HCCB", "HCCB")],
    )
    act(world, "board-officer", revoked, "accept")
    consult(world, "board-officer", revoked)
    act(world, "board-head", revoked, "forward")
    batch = approval_services.decision_create(
        actor=world.user("board-head"), decider="TTG", dossier_ids=[revoked.pk]
    )
    approval_services.decision_sign(
        actor=world.user("pm"),
        decision=batch,
        number="1501/QĐ-TTg",
        signed_on=datetime.date(2026, 11, 2),
    )
    act(
        world,
        "pm",
        revoked,
        "revoke",
        reason_code="false_declaration",
        reason="Kết luận thanh tra: kê khai thành tích không trung thực",
    )

    # Provincial board and chair.
    p_intake = through_bloc(
        "T-HLHPN",
        "BK-TINH",
        "[demo] Bằng khen tỉnh — chờ tiếp nhận (T-HLHPN)",
        [person("Hội viên minh họa T-HLHPN", "T-HLHPN")],
        2024,
    )
    p_appraisal = through_bloc(
        "T-MTTQ",
        "BK-TINH",
        "[demo] Bằng khen tỉnh — đang thẩm định (T-MTTQ)",
        [person("Cán bộ minh họa T-MTTQ", "T-MTTQ")],
        2024,
    )
    act(world, "t-board-officer", p_appraisal, "accept")
    p_decision = through_bloc(
        "T-HCCB",
        "BK-TINH",
        "[demo] Bằng khen tỉnh — chờ Chủ tịch UBND ký (T-HCCB)",
        [person("Hội viên minh họa T-HCCB", "T-HCCB")],
        2024,
    )
    act(world, "t-board-officer", p_decision, "accept")
    act(world, "t-board-officer", p_decision, "forward")
    approval_services.decision_create(
        actor=world.user("t-board-officer"), decider="T-UBND", dossier_ids=[p_decision.pk]
    )
    assert p_intake.pk


def submitted(
    world: World, org: str, form: str, title: str, nominees: list[dict], year: int = 2024
) -> Dossier:
    """A dossier signed and submitted by its unit head (the bloc's vote, if any, still to come)."""
    dossier = start(world, org, form, title, nominees, year)
    return act(world, f"head-{org}", dossier, "submit")


def council_ballot(
    world: World, council: str, prefix: str, dossiers: list[Dossier], votes: int,
    close: bool = True,
):  # fmt: skip
    """A level's council: its secretary opens the secret ballot, its first `votes` members vote
    yes, the secretary closes it (the minutes are stored on each dossier) and the dossiers move
    on; left open, the members who have not voted find it in their inbox."""
    nominees = [n for d in dossiers for n in d.nominees.all()]
    session = ballots.ballot_open(
        actor=world.user(f"{prefix}council-secretary"), council_code=council, year=2024,
        nominee_ids=[n.pk for n in nominees],
    )  # fmt: skip
    for i in range(1, votes + 1):
        ballots.ballot_cast(
            actor=world.user(f"{prefix}council-member-{i}"), session=session,
            choices={str(n.pk): "yes" for n in nominees}, conflicts=[],
        )  # fmt: skip
    if close:
        ballots.ballot_close(actor=world.user(f"{prefix}council-secretary"), session=session)
    return session


LEVEL_FIRST_TITLE = "[demo] Bằng khen TTg — chờ Chủ tịch UBND tỉnh ký tờ trình (T-LDLD)"


def level_dossiers(world: World) -> None:
    """Dossiers on the routes through a ministry's or a province's own board, council and head
    (demo-data.md "More levels"), so each of their personas has work."""
    if seeded(LEVEL_FIRST_TITLE):
        return
    # First province: PM's certificates pass the cluster, the province's board and council,
    # then wait for the chair's submission (or for the council's ballot).
    to_sign = submitted(
        world, "T-LDLD", "BK-TTG", LEVEL_FIRST_TITLE,
        [collective("T-LDLD")],  # a collective: the cluster votes on it
    )  # fmt: skip
    in_council = submitted(
        world, "T-HCCB", "BK-TTG", "[demo] Bằng khen TTg — Hội đồng tỉnh đang xét (T-HCCB)",
        [collective("T-HCCB")],
    )  # fmt: skip
    bloc_ballot(world, "voter-T-MTTQ", "CUM-CTXH-T", 2024, [to_sign, in_council], PROVINCE_CODES)
    for dossier in (to_sign, in_council):
        act(world, "t-board-officer", dossier, "accept", reason="Hồ sơ đầy đủ")
    council_ballot(world, "T-HDTDKT", "t-", [to_sign], votes=3)
    council_ballot(world, "T-HDTDKT", "t-", [in_council], votes=0, close=False)

    # Second province: the cluster voted a flag and a certificate on to the province's board;
    # the certificate waits for the chair's signature; a Labour Order, its notice run, waits for
    # the province's council; a second cluster ballot is open. (A PM's certificate could not
    # pass this three-member cluster: with its own member conflicted, 2 of 3 is under 80 %.)
    flag = submitted(
        world, "T2-HND", "CO-TD-TINH",
        "[demo] Cờ thi đua UBND tỉnh thứ hai — chờ tiếp nhận (T2-HND)", [collective("T2-HND")],
    )  # fmt: skip
    t2_decision = submitted(
        world, "T2-HLHPN", "BK-TINH",
        "[demo] Bằng khen Chủ tịch UBND tỉnh thứ hai — chờ ký (T2-HLHPN)",
        [person("Hội viên minh họa T2-HLHPN", "T2-HLHPN")],
    )  # fmt: skip
    bloc_ballot(world, "voter-T2-LDLD", "CUM-CTXH-T2", 2024, [flag, t2_decision], PROVINCE2_CODES)
    act(world, "t2-board-officer", t2_decision, "accept", reason="Hồ sơ đầy đủ")
    act(world, "t2-board-officer", t2_decision, "forward", reason="Đủ tiêu chuẩn")
    approval_services.decision_create(
        actor=world.user("t2-board-officer"), decider="T2-UBND", dossier_ids=[t2_decision.pk]
    )
    with time_machine.travel(_at(2026, 10, 1), tick=False) as clock:
        t2_council = submitted(
            world, "T2-LDLD", "HCLD-3",
            "[demo] Huân chương Lao động hạng Ba — Hội đồng tỉnh thứ hai xét (T2-LDLD)",
            [person("Công nhân minh họa T2-LDLD", "T2-LDLD")],
        )  # fmt: skip
        act(world, "t2-board-officer", t2_council, "accept", reason="Hồ sơ đầy đủ")
        clock.shift(datetime.timedelta(days=21))
        act(
            world, "t2-board-officer", t2_council, "close_notice",
            reason="Hết thời hạn đăng tải, không có ý kiến",
        )  # fmt: skip
    council_ballot(world, "T2-HDTDKT", "t2-", [t2_council], votes=0, close=False)
    t2_bloc = submitted(
        world, "T2-LDLD", "BK-TINH",
        "[demo] Bằng khen Chủ tịch UBND tỉnh thứ hai — đang bỏ phiếu cụm (T2-LDLD)",
        [collective("T2-LDLD")],
    )  # fmt: skip
    bloc_ballot(world, "voter-T2-LDLD", "CUM-CTXH-T2", 2024, [t2_bloc], ["T2-HND"], close=False)

    # The ministry: a Labour Order and the minister's certificates at its board's intake, a
    # PM's certificate before its council, a minister's certificate waiting for the minister.
    submitted(
        world, "BTP-THADS", "HCLD-3",
        "[demo] Huân chương Lao động hạng Ba — chờ Vụ TĐKT Bộ tiếp nhận (BTP-THADS)",
        [person("Chấp hành viên minh họa BTP-THADS", "BTP-THADS")],
    )  # fmt: skip
    submitted(
        world, "BTP-TGPL", "BK-BO", "[demo] Bằng khen Bộ trưởng — chờ tiếp nhận (BTP-TGPL)",
        [person("Trợ giúp viên minh họa BTP-TGPL", "BTP-TGPL")],
    )  # fmt: skip
    m_council = submitted(
        world, "BTP-TGPL", "BK-TTG", "[demo] Bằng khen TTg — Hội đồng Bộ xét (BTP-TGPL)",
        [collective("BTP-TGPL")],
    )  # fmt: skip
    act(world, "m-board-officer", m_council, "accept", reason="Hồ sơ đầy đủ")
    council_ballot(world, "BTP-HDTDKT", "m-", [m_council], votes=0, close=False)
    m_decision = submitted(
        world, "BTP-THADS", "BK-BO", "[demo] Bằng khen Bộ trưởng — chờ Bộ trưởng ký (BTP-THADS)",
        [collective("BTP-THADS")],
    )  # fmt: skip
    act(world, "m-board-officer", m_decision, "accept", reason="Hồ sơ đầy đủ")
    act(world, "m-board-officer", m_decision, "forward", reason="Đủ tiêu chuẩn")
    approval_services.decision_create(
        actor=world.user("m-board-officer"), decider="BTP", dossier_ids=[m_decision.pk]
    )

    # Drafts, so every unit of the new levels has one to finish.
    for code in LEVEL_UNIT_CODES:
        start(
            world, code, "BK-BO" if code.startswith("BTP-") else "BK-TINH",
            f"[demo] Dự thảo đề nghị khen thưởng ({code})",
            [person(f"Cán bộ minh họa {code}", code, "Hoàn thành xuất sắc nhiệm vụ")], 2024,
        )  # fmt: skip


def consulted_dossiers(world: World) -> None:
    """The PM's certificate at appraisal (MTTQ) waits for both consulted bodies' answers, so
    their personas have a request to answer."""
    dossier = Dossier.objects.get(title="[demo] Bằng khen TTg — đang thẩm định (MTTQ)")
    if dossier.consultations.exists():
        return
    consultation_request(
        actor=world.user("board-officer"),
        dossier=dossier,
        bodies=[code for code, _, _ in CONSULTED_BODIES],
        due_in_days=10,
    )


def complaint_under_appraisal(world: World) -> None:
    """The central board's register holds a complaint about a nominee under appraisal: the
    dossier's checks show the failing `restriction` rule to the board (Decree 98 Art. 4)."""
    nominee = Nominee.objects.filter(
        name="Cán bộ Mặt trận minh họa", dossier__state=DossierState.APPRAISAL
    ).first()
    if nominee is None or nominee.person is None or nominee.person.restrictions.exists():
        return
    registry.restriction_open(
        actor=world.user("board-officer"),
        person=nominee.person,
        kind=RestrictionKind.COMPLAINT,
        opened_on=datetime.date(2026, 11, 2),
        note="[demo] Đơn khiếu nại về kết quả đánh giá năm 2022 đang được xác minh",
    )


def build_signing_keys() -> None:
    """The demo CA and a certificate for each decider and each deciding body (documents/pki.py):
    made on the first run, outside the database and git, and reused by every later one."""
    grants = RoleGrant.objects.filter(role=Role.DECIDER).select_related("user", "organization")
    people = sorted(
        {
            (g.user.username, full_name(g.user), g.organization.name)
            for g in grants
            if g.organization_id
        }
    )
    bodies = [(o.code, o.name) for o in Organization.objects.filter(kind="decider")]
    documents.demo_keys_ensure(people=people, bodies=bodies)


def seed_demo() -> None:
    build_organisations()
    build_users()
    build_devices()
    world = World()
    build_signing_keys()  # before the first decision is signed
    for case in REAL_CASES:
        real_case(world, case)
    # The levels' dossiers first: a test that takes the newest dossier in a state (the default
    # order) still finds one of the central board's.
    level_dossiers(world)
    open_dossiers(world)
    consulted_dossiers(world)
    complaint_under_appraisal(world)
    documents.documents_backfill()  # decisions signed before their keys existed
