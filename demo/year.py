"""A national year of award dossiers at a scale, driven through the whole route by the same
service functions the API calls (workflows, approvals, consultations, notices): `bench_year`.

The plan (`year_plan`) is data made from the scale and a seed, so two runs at one scale make the
same year. At scale 1: 34 provinces and 30 ministries, each a level with its board, council, head,
units and a bloc of its units; the state-level volume of 2023 (domain.md §4: 103,600 nominees in
1,900 decisions of the PM and the President) proposed by those levels, and beside it each level's
own awards: 13,000 nominees a year per province (one province's 2020–2025 figures, domain.md §4:
86 % certificates, 9 % excellent collectives, 3.4 % fighters, 1.5 % flags) and, an assumption
no source gives, half that per ministry. At scale S every volume is multiplied by S and the
number of provinces and ministries too (at least one of each).

A dossier carries many nominees, as a unit's tờ trình does (NOMINEES: the mean per award form;
sizes drawn from an exponential distribution, at most 4× the mean, the last one taking what is
left of the form's quota), and a decision batches the dossiers of one proposing level. What
happens on the way is drawn per dossier at realistic rates (RATES): returned once for supplement
at intake, not approved at appraisal, withdrawn by its unit; about one nominee in fifty fails
its first ballot; a tenth of the dossiers under public notice receive comments the board
handles; every state-level dossier is consulted (hiệp y) before its central forward, as the
guard requires.

Each level is driven by one process (`drive_level`), pass after pass: every open dossier moves
on by one step per pass, as the people of its route would, on a clock that runs from some months
ago (time-machine), a few days a pass and the notice's working days where one runs. Levels share
nothing but the central board, the PM and the President, whose batches are per level, so
processes never wait on each other's rows; they all take the ledger's head, which serialises
the appends (audit/ledger.py) and is what bounds the gain of more processes.

The organisations' codes start with "Y" and the users' names with "y-": the demo world is left
as it is. Names are generated ("tỉnh mô phỏng 01") except where shared/ has real ones (the
provincial socio-political organisations of demo.world)."""

from __future__ import annotations

import datetime
import math
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import time_machine
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q

from approvals import ballots
from approvals import services as approvals
from consultations import rules as consultation_rules
from consultations.services import consultation_answer, consultation_request
from demo.world import CENTRAL_UNITS, CONSULTED_BODIES, PROVINCE_UNITS, demo_pdf
from dossiers import calendar
from dossiers.catalogue import catalogue_load, upsert
from dossiers.lifecycle import TERMINAL
from dossiers.models import (
    AwardForm,
    Bloc,
    BlocLeadership,
    BlocMembership,
    Dossier,
    DossierState,
    Nominee,
    NomineeKind,
    NomineeOutcome,
    Organization,
    Role,
    Sex,
)
from dossiers.services import role_grant
from notices.services import comment_handle, comment_post
from workflows import services as wf

S = DossierState
TZ = datetime.UTC

# --- the year's figures (domain.md §4) -------------------------------------------------------

PROVINCES, MINISTRIES = 34, 30
STATE_NOMINEES, STATE_DECISIONS = 103_600, 1_900
PROVINCE_NOMINEES = 13_000  # a province's own awards a year (Vĩnh Long 2020–2025 ÷ 5)
MINISTRY_NOMINEES = 6_500  # assumed: half a province's (no source gives a ministry's)
# Nominees per decision of a level's own head (no source: a list of about a hundred).
OWN_DECISION_NOMINEES = 100

# Forms and their shares of each stream's nominees.
STATE_FORMS = {"BK-TTG": 0.8, "HCLD-3": 0.2}
PROVINCE_FORMS = {"BK-TINH": 0.863, "TTLDXS-TINH": 0.088, "CSTD-TINH": 0.034, "CO-TD-TINH": 0.015}
MINISTRY_FORMS = {"BK-BO": 0.863, "TTLDXS-BO": 0.088, "CSTD-BO": 0.034, "CO-TD-BO": 0.015}
# Mean nominees per dossier, and the share of collectives among them.
NOMINEES = {
    "BK-TTG": 12, "HCLD-3": 6, "BK-TINH": 30, "BK-BO": 30, "TTLDXS-TINH": 12, "TTLDXS-BO": 12,
    "CSTD-TINH": 8, "CSTD-BO": 8, "CO-TD-TINH": 2, "CO-TD-BO": 2,
}  # fmt: skip
COLLECTIVES = {
    "BK-TTG": 0.3, "HCLD-3": 0.2, "BK-TINH": 0.35, "BK-BO": 0.3, "TTLDXS-TINH": 1.0,
    "TTLDXS-BO": 1.0, "CSTD-TINH": 0.0, "CSTD-BO": 0.0, "CO-TD-TINH": 1.0, "CO-TD-BO": 1.0,
}  # fmt: skip
# What happens to a dossier on the way (fractions of dossiers).
RATES = {"return": 0.06, "reject": 0.01, "withdraw": 0.005, "comments": 0.10}
VOTE_FAILS_ONE_IN = 50  # nominees (by id) voted down at their first ballot
BALLOT_MAX_NOMINEES = 300  # one ballot paper of a bloc's or a council's meeting
UNITS = {"province": 8, "ministry": 6}
COUNCIL_MEMBERS = 7
DAYS_PER_PASS = 3
START_DAYS_AGO = 150  # the clock of the year's proposals starts this many days before today


def scaled(count: float, scale: float, least: int = 0) -> int:
    return max(least, round(count * scale))


# --- the plan ----------------------------------------------------------------------------------


@dataclass
class DossierPlan:
    form: str
    individuals: int
    collectives: int
    fate: str  # "award", "return", "reject", "withdraw"
    comments: int  # public comments on its nominees while under notice
    batch: tuple[str, int]  # (decider, batch number): the decision it goes into

    @property
    def nominees(self) -> int:
        return self.individuals + self.collectives


@dataclass
class LevelPlan:
    """One province or ministry: its codes, its dossiers, and where its numbers start."""

    code: str
    kind: str  # "province" or "ministry"
    index: int
    units: list[str]
    dossiers: list[DossierPlan] = field(default_factory=list)
    first_person: int = 0  # the index of its first individual among the year's (CCCD)
    year: int = 0
    run: int = 0  # the run's number: in collectives' names and decision numbers

    @property
    def board(self) -> str:
        return f"{self.code}-BTDKT"

    @property
    def council(self) -> str:
        return f"{self.code}-HDTDKT"

    @property
    def bloc(self) -> str:
        return f"{self.code}-KHOI"

    @property
    def nominees(self) -> int:
        return sum(d.nominees for d in self.dossiers)


def _sizes(rng: random.Random, total: int, mean: int) -> list[int]:
    """Dossier sizes summing to `total`: exponential around `mean`, at most 4× it."""
    sizes: list[int] = []
    while total > 0:
        size = min(total, 4 * mean, max(1, round(rng.expovariate(1 / mean))))
        sizes.append(size)
        total -= size
    return sizes


def _split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def _fate(rng: random.Random) -> str:
    draw = rng.random()
    for fate in ("return", "reject", "withdraw"):
        if draw < RATES[fate]:
            return fate
        draw -= RATES[fate]
    return "award"


def _dossiers(
    rng: random.Random, forms: dict[str, float], total: int, decider: dict[str, str], batches: dict
) -> list[DossierPlan]:
    """A stream's dossiers: each form's share of `total`, sized, each given its fate and its
    decision batch (`batches`: decider → number of batches, dealt out in turn)."""
    made: list[DossierPlan] = []
    for form, share in forms.items():
        for size in _sizes(rng, round(total * share), NOMINEES[form]):
            collectives = min(size, math.floor(size * COLLECTIVES[form] + rng.random()))
            comments = rng.randint(1, 2) if rng.random() < RATES["comments"] else 0
            made.append(
                DossierPlan(
                    form=form,
                    individuals=size - collectives,
                    collectives=collectives,
                    fate=_fate(rng),
                    comments=comments,
                    batch=(decider[form], 0),
                )
            )
    dealt: dict[str, int] = defaultdict(int)
    for plan in made:
        who = plan.batch[0]
        plan.batch = (who, dealt[who] % max(1, batches.get(who, 1)))
        dealt[who] += 1
    return made


def year_plan(scale: float, *, seed: int = 2023, run: int = 0, first_person: int = 0) -> list:
    """The year's levels, each with its dossiers (see the module's docstring)."""
    provinces, ministries = scaled(PROVINCES, scale, 1), scaled(MINISTRIES, scale, 1)
    kinds = ["province"] * provinces + ["ministry"] * ministries
    count = len(kinds)
    state = _split(scaled(STATE_NOMINEES, scale), count)
    state_decisions = _split(scaled(STATE_DECISIONS, scale, count), count)
    own = {
        "province": _split(scaled(PROVINCE_NOMINEES * PROVINCES, scale), provinces),
        "ministry": _split(scaled(MINISTRY_NOMINEES * MINISTRIES, scale), ministries),
    }
    year = (calendar.today() - datetime.timedelta(days=START_DAYS_AGO)).year - 1
    levels: list[LevelPlan] = []
    person = first_person
    for index, kind in enumerate(kinds):
        rng = random.Random(seed * 1_000 + index)
        number = index + 1 if kind == "province" else index - provinces + 1
        code = f"Y{'P' if kind == 'province' else 'M'}{number:02d}"
        level = LevelPlan(
            code=code,
            kind=kind,
            index=index,
            units=[f"{code}-U{u:02d}" for u in range(1, UNITS[kind] + 1)],
            first_person=person,
            year=year,
            run=run,
        )
        forms = PROVINCE_FORMS if kind == "province" else MINISTRY_FORMS
        mine = own[kind][index if kind == "province" else index - provinces]
        pm_share = round(state_decisions[index] * STATE_FORMS["BK-TTG"])
        state_batches = {"TTG": max(1, pm_share), "CTN": max(1, state_decisions[index] - pm_share)}
        level.dossiers = _dossiers(
            rng, STATE_FORMS, state[index], {"BK-TTG": "TTG", "HCLD-3": "CTN"}, state_batches
        ) + _dossiers(
            rng,
            forms,
            mine,
            dict.fromkeys(forms, code),
            {code: max(1, round(mine / OWN_DECISION_NOMINEES))},
        )
        person += sum(d.individuals for d in level.dossiers)
        levels.append(level)
    return levels


# --- the organisations and the people ----------------------------------------------------------


def _users(names: list[str]) -> dict[str, Any]:
    """The users, created without a usable password (nobody signs in as them: the services
    act for them; a password hash takes half a second), in one query for those that exist."""
    User = get_user_model()
    found = {u.username: u for u in User.objects.filter(username__in=names)}
    for name in names:
        if name not in found:
            user = User(username=name)
            user.set_unusable_password()
            user.save()
            found[name] = user
    return found


def _grant(users: dict[str, Any], grants: list[tuple[str, str, str | None]]) -> None:
    """Each role through the service an administrator's grant uses (idempotent)."""
    orgs = {o.code: o for o in Organization.objects.filter(code__in={c for *_, c in grants})}
    for username, role, code in grants:
        role_grant(actor=None, user=users[username], role=role, organization=orgs.get(code or ""))


def level_names(level: LevelPlan) -> dict[str, str]:
    low = level.code.lower()
    return {
        "board": f"y-{low}-board",
        "secretary": f"y-{low}-secretary",
        "head": f"y-{low}-head",
        **{f"member-{i}": f"y-{low}-member-{i}" for i in range(1, COUNCIL_MEMBERS + 1)},
    }


def unit_names(unit: str) -> dict[str, str]:
    low = unit.lower()
    return {"officer": f"y-{low}-officer", "head": f"y-{low}-head", "voter": f"y-{low}-voter"}


CENTRAL_BOARD = "BTDKT-TW"
# The lifecycle benchmark (bench_workflow.lifecycle) proposes from the demo's HCCB, a central unit
# in no bloc in 2021; here the year's own people act for the personas it names.
LIFECYCLE_UNIT = "HCCB"
CENTRAL_NAMES = {
    "board": "y-tw-board",
    "pm": "y-pm",
    "president": "y-president",
    "lifecycle-officer": "y-hccb-officer",
    "lifecycle-head": "y-hccb-head",
    **{f"consult-{code}": f"y-consult-{code.lower()}" for code, _, _ in CONSULTED_BODIES},
}


def build_central() -> None:
    """The catalogue (forms, the central bodies, the PM and the President), the consulted bodies
    the forms name, the lifecycle benchmark's unit (as demo.world makes them), and the year's
    central people: its board, the PM, the President, the consulted bodies' users."""
    catalogue_load()
    unit = next(row for row in CENTRAL_UNITS if row[0] == LIFECYCLE_UNIT)
    for code, name, short in [*CONSULTED_BODIES, unit]:
        upsert(
            Organization, {"code": code}, {"name": name, "short_name": short, "level": "central"}
        )
    users = _users(list(CENTRAL_NAMES.values()))
    _grant(
        users,
        [
            (CENTRAL_NAMES["board"], Role.BOARD_OFFICER, CENTRAL_BOARD),
            (CENTRAL_NAMES["board"], Role.BOARD_HEAD, CENTRAL_BOARD),
            (CENTRAL_NAMES["pm"], Role.DECIDER, "TTG"),
            (CENTRAL_NAMES["president"], Role.DECIDER, "CTN"),
            *[(CENTRAL_NAMES[f"consult-{c}"], Role.CONSULTED, c) for c, _, _ in CONSULTED_BODIES],
            (CENTRAL_NAMES["lifecycle-officer"], Role.UNIT_OFFICER, LIFECYCLE_UNIT),
            (CENTRAL_NAMES["lifecycle-head"], Role.UNIT_HEAD, LIFECYCLE_UNIT),
        ],
    )


class LifecycleCast:
    """A stand-in for demo.world.World in bench_workflow's `lifecycle`: the personas it names
    are the year's central people (the demo's have passwords, slow to make on a fresh
    database, and must stay the demo's)."""

    PARTS = {
        f"proposer-{LIFECYCLE_UNIT}": "lifecycle-officer",
        f"head-{LIFECYCLE_UNIT}": "lifecycle-head",
        "board-officer": "board",
        "board-head": "board",
        "pm": "pm",
    }

    def __init__(self) -> None:
        names = {CENTRAL_NAMES[part] for part in self.PARTS.values()}
        self.users = {u.username: u for u in get_user_model().objects.filter(username__in=names)}

    def user(self, persona: str):
        user = self.users[CENTRAL_NAMES[self.PARTS[persona]]]
        user.__dict__.pop("_kt_roles", None)
        return user

    def org(self, code: str) -> Organization:
        return Organization.objects.get(code=code)


def _unit_name(level: LevelPlan, number: int, place: str) -> tuple[str, str]:
    """A province's first units are its socio-political organisations (demo-data.md); the
    rest, and a ministry's, are generated."""
    if level.kind == "province" and number <= len(PROVINCE_UNITS):
        _, name, short = PROVINCE_UNITS[number - 1]
        return f"{name} {place}", f"{short} {place}"
    kind = "Sở" if level.kind == "province" else "Cục"
    return f"{kind} mô phỏng {number:02d}, {place}", f"{kind} {number:02d} {place}"


def build_level(level: LevelPlan) -> int:
    """A province or a ministry: its head (kind "decider"), board, council and units, the bloc
    of its units in the year (led by the first), and its people. Idempotent. Returns the
    number of its users."""
    number = level.code[2:]
    if level.kind == "province":
        place, head = f"tỉnh mô phỏng {number}", f"Ủy ban nhân dân tỉnh mô phỏng {number}"
    else:
        place, head = f"Bộ mô phỏng {number}", f"Bộ mô phỏng {number}"
    tier = level.kind
    authority = upsert(
        Organization,
        {"code": level.code},
        {"name": head, "short_name": head, "level": tier, "kind": "decider"},
    )
    upsert(
        Organization,
        {"code": level.board},
        {
            "name": f"Ban Thi đua - Khen thưởng {place}",
            "short_name": f"Ban TĐKT {place}",
            "level": tier,
            "kind": "board",
            "parent": authority,
        },
    )
    council = upsert(
        Organization,
        {"code": level.council},
        {
            "name": f"Hội đồng Thi đua - Khen thưởng {place}",
            "short_name": f"Hội đồng TĐKT {place}",
            "level": tier,
            "kind": "council",
            "parent": authority,
        },
    )
    units = []
    for i, code in enumerate(level.units, start=1):
        name, short = _unit_name(level, i, place)
        units.append(
            upsert(
                Organization,
                {"code": code},
                {"name": name, "short_name": short[:100], "level": tier, "parent": authority},
            )
        )
    bloc = upsert(
        Bloc,
        {"code": level.bloc},
        {
            "name": f"{'Cụm' if tier == 'province' else 'Khối'} thi đua các đơn vị {place}",
            "kind": "cum" if tier == "province" else "khoi",
            "level": tier,
            "organizer": council,
        },
    )
    for unit in units:
        upsert(BlocMembership, {"bloc": bloc, "organization": unit, "year": level.year}, {})
    upsert(
        BlocLeadership,
        {"bloc": bloc, "year": level.year},
        {"leader": units[0], "deputy": units[1] if len(units) > 1 else None},
    )
    people = level_names(level)
    grants: list[tuple[str, str, str | None]] = [
        (people["board"], Role.BOARD_OFFICER, level.board),
        (people["board"], Role.BOARD_HEAD, level.board),
        (people["secretary"], Role.COUNCIL_SECRETARY, level.council),
        (people["head"], Role.DECIDER, level.code),
        *[
            (people[f"member-{i}"], Role.COUNCIL_MEMBER, level.council)
            for i in range(1, COUNCIL_MEMBERS + 1)
        ],
    ]
    for code in level.units:
        unit = unit_names(code)
        grants += [
            (unit["officer"], Role.UNIT_OFFICER, code),
            (unit["head"], Role.UNIT_HEAD, code),
            (unit["voter"], Role.BLOC_VOTER, code),
        ]
    users = _users(sorted({g[0] for g in grants}))
    _grant(users, grants)
    return len(users)


# --- driving -----------------------------------------------------------------------------------

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quang", "Thu", "Xuân"]
GIVEN = ["An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hòa", "Hùng", "Lan", "Linh", "Long",
         "Mai", "Nam", "Nga", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn"]  # fmt: skip
TEAMS = ["Phòng Tổng hợp", "Phòng Nghiệp vụ", "Phòng Kế hoạch - Tài chính", "Văn phòng",
         "Trung tâm Dịch vụ", "Tổ công tác", "Phòng Tổ chức cán bộ", "Đội kiểm tra"]  # fmt: skip


def identity(n: int) -> tuple[str, datetime.date, str]:
    """The n-th generated person's CCCD, birth date and sex: unique for n below a billion,
    and never one of the demo's (which are registered in province 001)."""
    province = 40 + (n // 18_000_000) % 57
    year = 60 + (n // 1_000_000) % 18
    sex = Sex.FEMALE if n % 2 else Sex.MALE
    born = datetime.date(1900 + year, 1 + n % 12, 1 + n % 28)
    return f"{province:03d}{1 if sex == Sex.FEMALE else 0}{year:02d}{n % 1_000_000:06d}", born, sex


@dataclass
class Profile:
    """Seconds, calls and SQL queries per step of the route, added up over levels (sent between
    processes, so plain dicts)."""

    seconds: dict[str, float] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    queries: dict[str, int] = field(default_factory=dict)
    cpu: float = 0.0  # the processes' own CPU seconds (not the database server's)

    def add(self, step: str, seconds: float, calls: int = 1, queries: int = 0) -> None:
        self.seconds[step] = self.seconds.get(step, 0.0) + seconds
        self.calls[step] = self.calls.get(step, 0) + calls
        self.queries[step] = self.queries.get(step, 0) + queries

    def merge(self, other: Profile) -> None:
        self.cpu += other.cpu
        for step, seconds in other.seconds.items():
            self.add(step, seconds, other.calls[step], other.queries[step])


class QueryCounter:
    """Counts the queries of the connection it wraps (`connection.execute_wrapper`)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


class _Timer:
    def __init__(self, profile: Profile, counter: QueryCounter, step: str, calls: int) -> None:
        self.profile, self.counter, self.step, self.calls = profile, counter, step, calls

    def __enter__(self) -> None:
        self.start, self.queries = time.perf_counter(), self.counter.count

    def __exit__(self, *exc: object) -> None:
        seconds, queries = time.perf_counter() - self.start, self.counter.count - self.queries
        self.profile.add(self.step, seconds, self.calls, queries)


def analyze_grown() -> None:
    """On PostgreSQL with autovacuum off, what its auto-analyze would do (PostgreSQL's default is
    on): ANALYZE each table with more rows changed since its last statistics than 50 + 10 % of
    its rows. Autovacuum is off on this project's machines, and a year grows its tables from
    nothing: never analyzed, the planner guesses from their pages, and at S=1 the rules' read of a
    dossier's nominees (`checks.live_nominees`) walked every dossier in a merge join: 26–110 ms a
    call at 10,000 dossiers and growing, 0.4 ms with statistics. Each driver calls it at every
    pass; a statement on the catalogue when nothing has grown enough."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        if cursor.fetchone()[0] == "on":
            return
        cursor.execute(
            "SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid "
            "WHERE s.n_mod_since_analyze > 50 + 0.1 * GREATEST(c.reltuples, 0) ORDER BY 1"
        )
        for (table,) in cursor.fetchall():
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


class Cast:
    """The people of one level (and the central ones), looked up by their part; each lookup
    reads the roles again, as each request does."""

    def __init__(self, level: LevelPlan) -> None:
        names = {f"level:{k}": v for k, v in level_names(level).items()}
        names |= {f"central:{k}": v for k, v in CENTRAL_NAMES.items()}
        for code in level.units:
            names |= {f"{code}:{k}": v for k, v in unit_names(code).items()}
        users = {
            u.username: u for u in get_user_model().objects.filter(username__in=names.values())
        }
        self.users = {part: users[name] for part, name in names.items()}

    def __call__(self, part: str):
        user = self.users[part]
        user.__dict__.pop("_kt_roles", None)
        user.__dict__.pop("_kt_led", None)
        return user


class LevelDriver:
    """Drives one level's dossiers through their routes, one step per pass (see the module's
    docstring). Each call below is one of the services the API calls."""

    def __init__(
        self, level: LevelPlan, clock: Any, profile: Profile, counter: QueryCounter
    ) -> None:
        self.level, self.clock, self.profile, self.counter = level, clock, profile, counter
        self.who = Cast(level)
        self.central_id = Organization.objects.get(code="TTG").pk
        self.forms = {f.code: f for f in AwardForm.objects.prefetch_related("required_documents")}
        self.plan: dict[int, DossierPlan] = {}
        self.returned: set[int] = set()
        self.consulted: set[int] = set()
        self.commented: set[int] = set()
        self.numbers = 0

    def time(self, step: str, calls: int = 1) -> _Timer:
        return _Timer(self.profile, self.counter, step, calls)

    def board(self, dossier: Dossier) -> str:
        return "central:board" if dossier.holder_id == self.central_id else "level:board"

    # The proposals.

    def nominees(self, plan: DossierPlan, unit: str, person: int, serial: int) -> list[dict]:
        rng = random.Random(serial)
        made = []
        for i in range(plan.individuals):
            cccd, born, sex = identity(person + i)
            name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
            made.append(
                {
                    "kind": NomineeKind.INDIVIDUAL,
                    "name": name,
                    "organization": unit,
                    "identity": cccd,
                    "birth_date": born,
                    "sex": sex,
                    "achievements": "Hoàn thành xuất sắc nhiệm vụ năm",
                }
            )
        for i in range(plan.collectives):
            team = TEAMS[(serial + i) % len(TEAMS)]
            made.append(
                {
                    "kind": NomineeKind.COLLECTIVE,
                    "name": f"{team} số {serial}-{i + 1} (lượt {self.level.run})",
                    "organization": unit,
                    "achievements": "Tập thể lao động xuất sắc",
                }
            )
        return made

    def propose(self) -> None:
        """Each unit's officer drafts its dossiers with their documents; its head submits."""
        level, person = self.level, self.level.first_person
        for serial, plan in enumerate(level.dossiers, start=1):
            unit = level.units[serial % len(level.units)]
            form = self.forms[plan.form]
            with self.time("create"):
                dossier = wf.dossier_start(
                    actor=self.who(f"{unit}:officer"),
                    organization=Organization.objects.get(code=unit),
                    award_form=form,
                    year=level.year,
                    title=f"Đề nghị tặng {form.name} năm {level.year} (đợt {serial})",
                    nominees=self.nominees(plan, unit, person, serial),
                )
            person += plan.individuals
            self.plan[dossier.pk] = plan
            kinds = list(form.required_documents.all())
            with self.time("attach", len(kinds)):
                for kind in kinds:
                    wf.attachment_add(
                        actor=self.who(f"{unit}:officer"),
                        dossier=dossier,
                        kind_code=kind.code,
                        upload=demo_pdf(f"{kind.code}.pdf"),
                    )
            self.act(dossier.pk, f"{unit}:head", "submit")

    def act(self, pk: int, part: str, action: str, **payload: str) -> None:
        with self.time(action):
            wf.dossier_act(actor=self.who(part), dossier=pk, action=action, payload=payload)

    # One pass.

    def drive(self) -> None:
        self.propose()
        for _ in range(40):
            analyze_grown()
            rows = list(
                Dossier.objects.filter(pk__in=self.plan)
                .exclude(state__in=TERMINAL)
                .select_related("organization")
                .order_by("pk")
            )
            if not rows:
                return
            self.clock.shift(datetime.timedelta(days=DAYS_PER_PASS))
            by_state: dict[str, list[Dossier]] = defaultdict(list)
            for dossier in rows:
                by_state[dossier.state].append(dossier)
            self.ballots(by_state[S.BLOC_VOTING], bloc=True)
            self.ballots(by_state[S.COUNCIL_REVIEW], bloc=False)
            for dossier in by_state[S.RETURNED]:
                self.act(dossier.pk, f"{dossier.organization.code}:head", "submit")
            for dossier in by_state[S.INTAKE]:
                self.intake(dossier)
            self.notices(by_state[S.PUBLIC_NOTICE])
            for dossier in by_state[S.APPRAISAL]:
                self.appraise(dossier)
            for dossier in by_state[S.AWAITING_SUBMISSION]:
                self.act(dossier.pk, "level:head", "sign_submission")
            self.decide(by_state[S.AWAITING_DECISION], rows)
        raise RuntimeError(f"{self.level.code}: dossiers still open after 40 passes")

    def intake(self, dossier: Dossier) -> None:
        plan, unit = self.plan[dossier.pk], dossier.organization.code
        if plan.fate == "withdraw":
            self.act(dossier.pk, f"{unit}:head", "withdraw", reason="Đơn vị đề nghị hình thức khác")
        elif plan.fate == "return" and dossier.pk not in self.returned:
            self.returned.add(dossier.pk)
            self.act(
                dossier.pk,
                self.board(dossier),
                "return",
                reason="Thiếu xác nhận của cấp trình về báo cáo thành tích",
            )
        else:
            self.act(dossier.pk, self.board(dossier), "accept", reason="Hồ sơ đầy đủ")

    def appraise(self, dossier: Dossier) -> None:
        board = self.board(dossier)
        bodies = consultation_rules.for_form(self.plan[dossier.pk].form).bodies
        if bodies and dossier.pk not in self.consulted:
            self.consulted.add(dossier.pk)
            with self.time("consultation", 1 + len(bodies)):
                asked = consultation_request(
                    actor=self.who(board), dossier=dossier.pk, bodies=bodies, due_in_days=10
                )
                for row in asked:
                    consultation_answer(
                        actor=self.who(f"central:consult-{row.body.code}"),
                        consultation=row,
                        agree=True,
                        reason="Đơn vị chấp hành tốt chính sách, pháp luật",
                    )
        if self.plan[dossier.pk].fate == "reject":
            self.act(
                dossier.pk,
                board,
                "reject",
                reason_code="criteria_not_met",
                reason="Chưa đủ tiêu chuẩn theo quy định",
            )
        else:
            self.act(dossier.pk, board, "forward", reason="Đủ tiêu chuẩn")

    def notices(self, dossiers: list[Dossier]) -> None:
        """Comments from the public on a tenth of the dossiers under notice, each handled by the
        board; the notice closes once its working days have run (the clock moves on)."""
        if not dossiers:
            return
        for dossier in dossiers:
            wanted = self.plan[dossier.pk].comments
            if not wanted or dossier.pk in self.commented:
                continue
            self.commented.add(dossier.pk)
            nominees = list(dossier.nominees.values_list("pk", flat=True)[:wanted])
            with self.time("comment", 2 * len(nominees)):
                for k, nominee in enumerate(nominees):
                    comment_post(
                        nominee_id=nominee,
                        text="Đề nghị xem xét thêm thành tích của cá nhân, tập thể này.",
                        client_ip=f"2001:db8::{dossier.pk:x}:{k}",
                    )
                for comment in dossier.comments.filter(handled_at__isnull=True):
                    comment_handle(
                        actor=self.who(self.board(dossier)),
                        comment_id=comment.pk,
                        note="Đã xác minh, nội dung phản ánh không ảnh hưởng đến đề nghị",
                    )
        last = max(d.due_date for d in dossiers if d.due_date)
        if last > calendar.today():
            self.clock.shift(last - calendar.today() + datetime.timedelta(days=1))
        for dossier in dossiers:
            self.act(
                dossier.pk, self.board(dossier), "close_notice", reason="Hết thời hạn đăng tải"
            )

    def ballots(self, dossiers: list[Dossier], *, bloc: bool) -> None:
        """The bloc (its leader's voter opens and closes, each member votes, conflicted on its
        own unit's nominees) or the level's council (its secretary; each member votes); about
        one nominee in fifty is voted down."""
        if not dossiers:
            return
        kind = NomineeKind.COLLECTIVE if bloc else None
        pending = Nominee.objects.filter(dossier__in=dossiers, outcome=NomineeOutcome.PENDING)
        if kind:
            pending = pending.filter(kind=kind)
        on: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for pk, dossier_id, unit in pending.values_list(
            "pk", "dossier_id", "dossier__organization__code"
        ).order_by("pk"):
            on[dossier_id].append((pk, unit))
        chunk: list[tuple[int, str]] = []
        for dossier in dossiers:
            if chunk and len(chunk) + len(on[dossier.pk]) > BALLOT_MAX_NOMINEES:
                self.ballot(chunk, bloc=bloc)
                chunk = []
            chunk += on[dossier.pk]
        if chunk:
            self.ballot(chunk, bloc=bloc)

    def ballot(self, items: list[tuple[int, str]], *, bloc: bool) -> None:
        level = self.level
        if bloc:
            manager = f"{level.units[0]}:voter"
            voters = [(f"{u}:voter", u) for u in level.units]
            where = {"bloc_code": level.bloc}
        else:
            manager = "level:secretary"
            voters = [(f"level:member-{i}", None) for i in range(1, COUNCIL_MEMBERS + 1)]
            where = {"council_code": level.council}
        with self.time("ballot", 2 + len(voters)):
            session = ballots.ballot_open(
                actor=self.who(manager),
                year=level.year,
                nominee_ids=[pk for pk, _ in items],
                **where,
            )
            for part, unit in voters:
                own = [pk for pk, of in items if of == unit]
                choices = {
                    str(pk): "no" if pk % VOTE_FAILS_ONE_IN == 0 else "yes"
                    for pk, _ in items
                    if pk not in own
                }
                ballots.ballot_cast(
                    actor=self.who(part), session=session, choices=choices, conflicts=own
                )
            ballots.ballot_close(actor=self.who(manager), session=session)

    def decide(self, waiting: list[Dossier], open_rows: list[Dossier]) -> None:
        """A batch is prepared by the board holding its dossiers once every one of them still
        open waits for the decision; the PM proposes a President's batch; the decider signs."""
        if not waiting:
            return
        behind = {self.plan[d.pk].batch for d in open_rows if d.state != S.AWAITING_DECISION}
        batches: dict[tuple[str, int], list[Dossier]] = defaultdict(list)
        for dossier in waiting:
            batches[self.plan[dossier.pk].batch].append(dossier)
        for batch, dossiers in sorted(batches.items()):
            if batch in behind:
                continue
            decider = batch[0]
            self.numbers += 1
            number = f"{self.level.index + 1}{self.numbers:03d}/QĐ-{decider}/{self.level.run}"
            board = self.board(dossiers[0])
            with self.time("decision", 2 if decider != "CTN" else 3):
                decision = approvals.decision_create(
                    actor=self.who(board), decider=decider, dossier_ids=[d.pk for d in dossiers]
                )
                if decider == "CTN":
                    approvals.decision_propose(
                        actor=self.who("central:pm"), decision=decision, number=f"TTr-{number}"
                    )
                signer = {"TTG": "central:pm", "CTN": "central:president"}.get(
                    decider, "level:head"
                )
                approvals.decision_sign(
                    actor=self.who(signer),
                    decision=decision,
                    number=number,
                    signed_on=calendar.today(),
                )


def drive_level(level: LevelPlan) -> Profile:
    """Build nothing, drive one level's year on its own clock; returns where the time went."""
    profile, counter = Profile(), QueryCounter()
    start = datetime.datetime.combine(
        calendar.today() - datetime.timedelta(days=START_DAYS_AGO),
        datetime.time(8, 0),
        tzinfo=TZ,
    )
    cpu = time.process_time()
    with connection.execute_wrapper(counter), time_machine.travel(start, tick=True) as clock:
        LevelDriver(level, clock, profile, counter).drive()
    profile.cpu = time.process_time() - cpu
    return profile


def year_dossiers(first: int = 0):
    """The year's dossiers (those of its levels' units, created after `first`)."""
    return Dossier.objects.filter(
        Q(organization__code__startswith="YP") | Q(organization__code__startswith="YM"),
        pk__gt=first,
    )
