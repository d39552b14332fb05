"""The law's eligibility rules (dossiers/eligibility.py) over the catalogue's own data: pure
functions, no database. Each rule is tested on both sides of its boundaries, asserting the rule
code, the outcome, whether it blocks and the citation."""

import datetime
import json
from pathlib import Path

import pytest
from django.utils import translation

from dossiers import eligibility as el
from dossiers.eligibility import FAIL, OVERRIDDEN, PASS, WARNING, Claim, Entry, Facts, FlagContext
from dossiers.eligibility import Restriction as Hold

CATALOGUE = json.loads(
    (Path(el.__file__).parent / "data" / "catalogue.json").read_text(encoding="utf-8")
)
FORMS = {form["code"]: form for form in CATALOGUE["award_forms"]}
KINDS = {kind["code"]: kind for kind in CATALOGUE["title_kinds"]}
NAMES = {k["code"]: k["name"] for k in CATALOGUE["title_kinds"] + CATALOGUE["document_kinds"]}
TODAY = datetime.date(2024, 3, 1)
SERVICE = "NGHI-THAI-SAN"


@pytest.fixture(autouse=True)
def _organisation_tree():
    """Overrides the conftest's fixture of that name, which reads the organisation tree from
    the database: these rules are pure and run without one."""
    yield


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in the msgid language, whatever the compiled catalogues hold."""
    with translation.override("en"):
        yield


def facts(form: str, **values) -> Facts:
    values = {
        "level": FORMS[form]["level"],
        "subject": "individual",
        "year": 2023,
        "today": TODAY,
        "names": NAMES,
        **values,
    }
    return Facts(form=form, **values)


def checks(form: str, **values) -> list[el.Check]:
    return el.evaluate(FORMS[form]["eligibility"], facts(form, **values))


def check(form: str, rule: str, **values) -> el.Check:
    found = [c for c in checks(form, **values) if c.rule == rule]
    assert len(found) == 1, [c.rule for c in checks(form, **values)]
    return found[0]


def codes(form: str, **values) -> list[str]:
    return [c.rule for c in checks(form, **values)]


def history(*groups: tuple) -> tuple[Entry, ...]:
    """history(("HTTNV", 2018, 2019), ("CSTD-CS", 2019)) → one entry per (kind, year)."""
    return tuple(Entry(kind, year) for kind, *years in groups for year in years)


def assert_fails(result: el.Check, citation: str, *, overridable: bool = True) -> None:
    assert (result.outcome, result.blocking, result.overridable) == (FAIL, True, overridable)
    assert citation in result.citation


def assert_passes(result: el.Check, citation: str) -> None:
    assert (result.outcome, result.blocking) == (PASS, False), str(result.message)
    assert citation in result.citation


# --- the catalogue's data ---------------------------------------------------------------------


def test_every_award_form_is_a_title_kind_with_the_same_name():
    for code, form in FORMS.items():
        assert KINDS[code]["name"] == form["name"]
        assert KINDS[code]["for_individual"] == form["for_individual"]
    categories = {"rating", "title", "certificate", "order", "honour", "initiative"}
    assert {kind["category"] for kind in KINDS.values()} == categories
    assert len(KINDS) == len(CATALOGUE["title_kinds"])  # codes unique
    for code in ("HTXSNV", "HTTNV", "HTNV", "KHTNV", SERVICE, "LDTT", "CSTD-CS", "TTLDTT"):
        assert code in KINDS
    assert {"GIAY-KHEN", "SK-CS", "SK-BO", "SK-TQ"} <= set(KINDS)


def test_the_missing_forms_are_in_the_catalogue_with_citations():
    added = {"CSTD-BO", "CSTD-TINH", "TTLDXS-BO", "TTLDXS-TINH", "CO-TD-BO"}
    added |= {"HCLD-2", "HCLD-1", "HCDL-3", "HCDL-2", "HCDL-1"}
    assert added <= set(FORMS)
    for code in ("HCLD-2", "HCLD-1", "HCDL-3", "HCDL-2", "HCDL-1"):
        assert FORMS[code]["decider"] == "CTN"
        assert "[chưa kiểm chứng]" in FORMS[code]["legal_basis"]
    assert "Điều 43" in FORMS["HCLD-2"]["legal_basis"]
    assert "Điều 42" in FORMS["HCLD-1"]["legal_basis"]
    assert (FORMS["CSTD-BO"]["level"], FORMS["CSTD-TINH"]["level"]) == ("ministry", "province")


def test_the_pm_certificate_requires_the_council_minutes_its_basis_cites():
    form = FORMS["BK-TTG"]
    assert "bien_ban_hoi_dong" in form["required_documents"]
    assert "Điều 42" in form["legal_basis"]


def test_every_eligibility_entry_is_a_rule_with_a_citation():
    for code, form in FORMS.items():
        rules = form["eligibility"]
        assert set(rules) <= set(el.RULES), code
        assert {"subject_type", "restriction", "double_reward", "documents"} <= set(rules)
        assert all(params["citation"] for params in rules.values()), code
        assert rules["subject_type"]["overridable"] is False
        assert rules["authority"]["overridable"] is False


def test_old_and_unverified_numbers_carry_their_note():
    noted = [("CO-TD-CP", "government_flag"), ("CO-TD-CP", "intake_window")]
    noted += [("CSTD-TQ", "intake_window"), ("CSTD-TQ", "national_fighter")]
    noted += [("AHLD", "intake_window"), ("CSTD-BO", "ministry_fighter")]
    for form, rule in noted:
        assert "[old]" in FORMS[form]["eligibility"][rule]["note"]
    assert "[unverified]" in FORMS["BK-TINH"]["eligibility"]["provincial_certificate"]["note"]
    # The forms whose criteria domain.md did not retrieve get no prerequisite rule.
    for code in ("HCLD-2", "HCLD-1", "HCDL-3", "HCDL-2", "HCDL-1", "TTLDXS-BO", "CO-TD-BO"):
        prerequisites = {"pm_certificate", "labour_order_3", "national_fighter", "criterion"}
        assert not prerequisites & set(FORMS[code]["eligibility"])


def test_subject_type_data_agrees_with_the_forms_kinds():
    for form in FORMS.values():
        allowed = [k for k in ("individual", "collective", "household") if form[f"for_{k}"]]
        assert form["eligibility"]["subject_type"]["subjects"] == allowed


def test_documents_data_covers_the_forms_required_documents():
    kinds = {kind["code"] for kind in CATALOGUE["document_kinds"]}
    for form in FORMS.values():
        required = form["eligibility"]["documents"]["required"]
        for subject in form["eligibility"]["subject_type"]["subjects"]:
            assert set(form["required_documents"]) <= set(required[subject]) <= kinds


def test_rules_name_title_kinds_and_criteria_name_rules_of_their_form():
    for form in FORMS.values():
        rules = form["eligibility"]
        for params in rules.values():
            for key in ("titles", "prior", "ratings", "service", "initiatives", "used_by"):
                assert set(params.get(key, [])) <= set(KINDS), (form["code"], key)
            assert set(params.get("within", {})) <= set(KINDS)
        for criterion, rule in rules.get("criterion", {}).get("codes", {}).items():
            assert rule is None or rules[rule]["criterion"] == criterion


# --- rule 1: subject type ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "subject", "outcome", "citation"),
    [
        ("CO-TD-CP", "collective", PASS, "Điều 25"),
        ("CO-TD-CP", "individual", FAIL, "Điều 25"),
        ("CO-TD-TINH", "household", FAIL, "Điều 26"),
        ("CSTD-TQ", "individual", PASS, "Điều 21"),
        ("CSTD-TQ", "collective", FAIL, "Điều 21"),
        ("CSTD-TINH", "collective", FAIL, "Điều 21, 22"),
        ("BK-TTG", "household", PASS, "Điều 73"),
        ("TTLDXS-TINH", "individual", FAIL, "Tập thể lao động xuất sắc"),
    ],
)
def test_subject_type(form, subject, outcome, citation):
    result = check(form, "subject_type", subject=subject)
    assert (result.outcome, result.blocking) == (outcome, outcome == FAIL)
    assert citation in result.citation
    assert result.overridable is False
    assert el.apply_overrides([result], ["subject_type"]) == [result]


def test_a_flag_for_an_individual_names_what_the_form_is_for():
    result = check("CO-TD-CP", "subject_type", subject="individual")
    assert str(result.message) == "The form is awarded to collectives only, not to individuals."


# --- rule 2: national emulation fighter -------------------------------------------------------

FIGHTER = (("CSTD-BO", 2022), ("CSTD-TINH", 2023), ("SK-TQ", 2023))


@pytest.mark.parametrize(
    ("entries", "outcome"),
    [
        (FIGHTER, PASS),  # a ministry title then a provincial one, consecutive
        ((("CSTD-BO", 2021, 2023), ("SK-TQ", 2023)), FAIL),  # a gap year breaks "consecutive"
        ((("CSTD-BO", 2021, 2023), (SERVICE, 2022), ("SK-TQ", 2023)), PASS),  # maternity bridges
        ((("CSTD-TINH", 2023), ("SK-TQ", 2023)), FAIL),  # one title
        ((("CSTD-BO", 2022, 2023),), FAIL),  # no nationwide initiative
        ((("CSTD-BO", 2022, 2023), ("SK-BO", 2023)), FAIL),  # a ministry-wide one is not enough
        ((("CSTD-BO", 2023, 2024), ("SK-TQ", 2023)), FAIL),  # 2024 is after the year proposed
        ((("CSTD-CS", 2020, 2021, 2022, 2023), ("SK-TQ", 2023)), FAIL),  # grassroots titles
    ],
)
def test_national_fighter(entries, outcome):
    result = check("CSTD-TQ", "national_fighter", history=history(*entries))
    assert (result.outcome, result.blocking) == (outcome, outcome == FAIL)
    assert "Điều 21" in result.citation
    assert "[old]" in result.extra["note"]


def test_national_fighter_is_the_forms_only_criterion_so_it_always_blocks():
    result = check("CSTD-TQ", "national_fighter", criterion="73.1.a")
    assert_fails(result, "Điều 21")
    assert "criterion" not in codes("CSTD-TQ")
    assert str(result.message) == (
        "Needs 2 consecutive titles of Chiến sĩ thi đua bộ, ban, ngành / Chiến sĩ thi đua cấp "
        "tỉnh up to 2023; the history has: none. Needs an initiative recognised as Sáng kiến, "
        "đề tài có hiệu quả và phạm vi ảnh hưởng toàn quốc; none in the history."
    )


def test_a_sudden_ministry_title_does_not_count_toward_the_national_fighter():
    entries = (Entry("CSTD-BO", 2022, sudden=True), *history(("CSTD-BO", 2023), ("SK-TQ", 2023)))
    assert_fails(check("CSTD-TQ", "national_fighter", history=entries), "Điều 21")
    sudden = check("CSTD-TQ", "sudden_excluded", history=entries)
    assert_passes(sudden, "Điều 4")
    assert str(sudden.message) == (
        "Not counted toward prerequisites (sudden or thematic awards): "
        "Chiến sĩ thi đua bộ, ban, ngành 2022."
    )


# --- ministry/province fighter: [old] advice only ---------------------------------------------


@pytest.mark.parametrize(
    ("years", "outcome"), [((2021, 2022, 2023), PASS), ((2020, 2022, 2023), WARNING)]
)
def test_ministry_fighter_is_advice_from_the_old_law(years, outcome):
    result = check("CSTD-TINH", "ministry_fighter", history=history(("CSTD-CS", *years)))
    assert (result.outcome, result.blocking) == (outcome, False)
    assert "[cũ] Luật Thi đua, khen thưởng 2003" in result.citation
    if outcome == WARNING:
        assert str(result.message).startswith("Advice only")


# --- rule 3: PM's certificate, individual, Art. 73(1)(b) --------------------------------------


def pm_history(*, first: int = 2018, last: int = 2022, fighter=(2019, 2020, 2022)) -> tuple:
    return history(("BK-TINH", 2017), ("HTTNV", *range(first, last + 1)), ("CSTD-CS", *fighter))


@pytest.mark.parametrize(
    ("entries", "outcome"),
    [
        (pm_history(), PASS),  # 2018–2022: five years after the 2017 certificate, 3 × CSTĐ cơ sở
        (pm_history(first=2019), FAIL),  # four years
        (pm_history(last=2023), PASS),  # six years
        (pm_history(fighter=(2019, 2022)), FAIL),  # 2 × CSTĐ cơ sở
        (pm_history(fighter=(2016, 2019, 2022)), FAIL),  # one before the certificate
    ],
)
def test_pm_certificate_counts_five_years_after_the_certificate(entries, outcome):
    result = check("BK-TTG", "pm_certificate", history=entries, year=2023, criterion="73.1.b")
    assert (result.outcome, result.blocking) == (outcome, outcome == FAIL)
    assert "Điều 73(1)(b)" in result.citation


def test_pm_certificate_counts_nothing_after_the_year_proposed():
    # 2022's rating and title belong to a later proposal: for 2021 the run is four years.
    result = check("BK-TTG", "pm_certificate", history=pm_history(), year=2021, criterion="73.1.b")
    assert_fails(result, "Điều 73(1)(b)")


def test_pm_certificate_a_gap_year_breaks_the_run():
    entries = [e for e in pm_history(last=2023) if (e.kind, e.year) != ("HTTNV", 2020)]
    entries.append(Entry("HTNV", 2020))  # only "hoàn thành nhiệm vụ" that year
    result = check("BK-TTG", "pm_certificate", history=tuple(entries), criterion="73.1.b")
    assert_fails(result, "Điều 73(1)(b)")
    assert str(result.message).startswith(
        "Needs 5 consecutive years rated Hoàn thành xuất sắc nhiệm vụ / Hoàn thành tốt nhiệm vụ "
        "after Bằng khen của Bộ trưởng / Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh (2017); "
        "the longest run is 2021–2023 (3 years)."
    )


def test_pm_certificate_a_fighter_year_without_a_rating_breaks_the_run():
    # Only ratings count as ratings: the registry must record the year's rating.
    entries = [e for e in pm_history() if (e.kind, e.year) != ("HTTNV", 2020)]
    assert_fails(
        check("BK-TTG", "pm_certificate", history=tuple(entries), year=2022, criterion="73.1.b"),
        "Điều 73(1)(b)",
    )


def test_pm_certificate_a_maternity_year_counts_as_service():
    entries = [e for e in pm_history() if (e.kind, e.year) != ("HTTNV", 2021)]
    entries.append(Entry(SERVICE, 2021))
    values = {"history": tuple(entries), "year": 2022, "criterion": "73.1.b", "sex": "female"}
    assert_passes(check("BK-TTG", "pm_certificate", **values), "Điều 73(1)(b)")
    note = check("BK-TTG", "women_maternity", **values)
    assert_passes(note, "Nghị định 98/2023/NĐ-CP Điều 4")
    assert str(note.message) == (
        "Maternity leave counted as service: 2021. Female nominee: priority among equals."
    )


def test_pm_certificate_a_sudden_grassroots_title_is_not_counted():
    entries = (*pm_history(fighter=(2019, 2022)), Entry("CSTD-CS", 2020, sudden=True))
    result = check("BK-TTG", "pm_certificate", history=entries, year=2022, criterion="73.1.b")
    assert_fails(result, "Điều 73(1)(b)")
    assert "has 2." in str(result.message)
    assert "Chiến sĩ thi đua cơ sở 2020" in str(
        check("BK-TTG", "sudden_excluded", history=entries).message
    )


def test_pm_certificate_needs_the_certificate_and_a_revoked_one_does_not_count():
    entries = (Entry("BK-TINH", 2017, revoked=True), *pm_history()[1:])
    result = check("BK-TTG", "pm_certificate", history=entries, year=2022, criterion="73.1.b")
    assert_fails(result, "Điều 73(1)(b)")
    assert str(result.message).startswith("Needs Bằng khen của Bộ trưởng / Bằng khen của Chủ")
    revoked = check("BK-TTG", "revoked_excluded", history=entries, year=2022)
    assert_passes(revoked, "Chương VII")


@pytest.mark.parametrize(
    ("claimed", "outcome", "criterion_outcome", "says"),
    [
        ("73.1.b", FAIL, PASS, "Needs 5 consecutive years"),
        ("", WARNING, WARNING, "No criterion is named."),
        ("73.1.a", WARNING, WARNING, "The proposer claims 73.1.a, which the board assesses."),
    ],
)
def test_only_the_claimed_criterion_blocks(claimed, outcome, criterion_outcome, says):
    values = {"history": pm_history(first=2019), "year": 2022, "criterion": claimed}
    result = check("BK-TTG", "pm_certificate", **values)
    assert (result.outcome, result.blocking) == (outcome, outcome == FAIL)
    assert says in str(result.message)
    named = check("BK-TTG", "criterion", **values)
    assert (named.outcome, named.blocking) == (criterion_outcome, False)
    assert "Điều 73(1)" in named.citation


def test_pm_certificate_for_a_collective_checks_no_individual_criterion():
    assert {"pm_certificate", "criterion"}.isdisjoint(codes("BK-TTG", subject="collective"))


# --- rule 4: Labour Order 3rd class, individual, Art. 44(1)(e) --------------------------------


def labour_history(*, first=2018, excellent=(2021,), fighter=(2019, 2020, 2022)) -> tuple:
    good = [y for y in range(first, 2023) if y not in excellent]
    return history(
        ("BK-TTG", 2017), ("HTTNV", *good), ("HTXSNV", *excellent), ("CSTD-CS", *fighter)
    )


@pytest.mark.parametrize(
    ("entries", "outcome"),
    [
        (labour_history(), PASS),
        (labour_history(excellent=()), FAIL),  # no "hoàn thành xuất sắc" year
        (labour_history(first=2019), FAIL),  # four years
        (labour_history(fighter=(2019, 2020)), FAIL),  # 2 × CSTĐ cơ sở
    ],
)
def test_labour_order_3(entries, outcome):
    result = check("HCLD-3", "labour_order_3", history=entries, year=2022, criterion="44.1.e")
    assert (result.outcome, result.blocking) == (outcome, outcome == FAIL)
    assert "Điều 44(1)(e)" in result.citation


def test_labour_order_3_a_provincial_certificate_is_not_the_prior_award():
    entries = (Entry("BK-TINH", 2017), *labour_history()[1:])
    result = check("HCLD-3", "labour_order_3", history=entries, year=2022, criterion="44.1.e")
    assert_fails(result, "Điều 44(1)(e)")


def test_labour_order_3_a_worker_claiming_44_2_is_for_the_board():
    values = {"history": (), "criterion": "44.2"}
    result = check("HCLD-3", "labour_order_3", **values)
    assert (result.outcome, result.blocking) == (WARNING, False)
    named = check("HCLD-3", "criterion", **values)
    assert (named.outcome, str(named.message)) == (
        PASS,
        "Criterion 44.2 claimed: the board assesses it.",
    )


# --- rule 5: ministry/province certificate, Art. 74(1)(d) -------------------------------------


@pytest.mark.parametrize(
    ("entries", "outcome"),
    [
        ((("CSTD-CS", 2022, 2023),), PASS),
        ((("CSTD-CS", 2021, 2023),), FAIL),  # not consecutive
        ((("CSTD-CS", 2023),), FAIL),
        ((("HTXSNV", 2022, 2023), ("SK-CS", 2022, 2023)), PASS),
        ((("HTXSNV", 2023), ("SK-CS", 2022, 2023)), FAIL),  # one excellent year
        ((("HTXSNV", 2022, 2023), ("SK-CS", 2023)), FAIL),  # one initiative
        # The 2023 CSTĐ cơ sở used one of the two initiatives: one further is not enough, nor
        # a third from before those years; a third within them is.
        ((("HTXSNV", 2022, 2023), ("SK-CS", 2022, 2023), ("CSTD-CS", 2023)), FAIL),
        ((("HTXSNV", 2022, 2023), ("SK-CS", 2021, 2022, 2023), ("CSTD-CS", 2023)), FAIL),
        ((("HTXSNV", 2022, 2023), ("SK-CS", 2022, 2022, 2023), ("CSTD-CS", 2023)), PASS),
        ((("HTXSNV", 2021, 2023), (SERVICE, 2022), ("SK-CS", 2021, 2023)), PASS),
    ],
)
def test_provincial_certificate(entries, outcome):
    for form in ("BK-TINH", "BK-BO"):
        result = check(
            form, "provincial_certificate", history=history(*entries), criterion="74.1.d"
        )
        assert (result.outcome, result.blocking) == (outcome, outcome == FAIL)
        assert "Điều 74(1)(d)" in result.citation


def test_provincial_certificate_a_sudden_grassroots_title_does_not_count():
    entries = (Entry("CSTD-CS", 2022, sudden=True), Entry("CSTD-CS", 2023))
    result = check("BK-TINH", "provincial_certificate", history=entries, criterion="74.1.d")
    assert_fails(result, "Điều 74(1)(d)")


def test_provincial_certificate_claiming_another_point_is_a_warning():
    result = check("BK-TINH", "provincial_certificate", criterion="74.1.a")
    assert (result.outcome, result.blocking) == (WARNING, False)
    named = check("BK-TINH", "criterion", criterion="74.1.a")
    assert (named.outcome, str(named.message)) == (
        PASS,
        "Criterion 74.1.a claimed: the board assesses it.",
    )
    unknown = check("BK-TINH", "criterion", criterion="74.9")
    assert unknown.outcome == WARNING and "74.1.a, 74.1.b, 74.1.c, 74.1.d" in str(unknown.message)


# --- rule 6: the Government flag --------------------------------------------------------------


def flag(**values) -> FlagContext:
    defaults = {
        "bloc": "KHOI-CTXH-TW",
        "is_leader": True,
        "leaders_of_organizer": 10,
        "proposals_of_organizer": 0,
        "flags_for_leader": 0,
        "minutes_present": True,
    }
    return FlagContext(**{**defaults, **values})


def flag_check(rule: str, stage: str = "intake", **values) -> el.Check:
    return check("CO-TD-CP", rule, subject="collective", flag=flag(**values), stage=stage)


def test_government_flag_goes_to_a_blocs_leading_collective():
    result = flag_check("government_flag")
    assert_passes(result, "Điều 25")
    assert str(result.message) == "Leading collective of bloc KHOI-CTXH-TW for 2023."
    for context in (flag(is_leader=False), None):
        found = checks("CO-TD-CP", subject="collective", flag=context)
        failed = [c for c in found if c.rule.startswith(("government_flag", "flag_"))]
        assert [c.rule for c in failed] == ["government_flag"]
        assert_fails(failed[0], "Điều 25")


@pytest.mark.parametrize(
    ("leaders", "made", "outcome"),
    [
        (10, 1, PASS),  # the 2nd of 20% × 10 = 2
        (10, 2, FAIL),  # the 3rd
        (9, 0, PASS),  # 20% × 9 = 1.8: one
        (9, 1, FAIL),
        (15, 2, PASS),
        (15, 3, FAIL),
        (4, 0, PASS),  # 0.8 rounds down to none, but each organiser may propose one
        (4, 1, FAIL),
    ],
)
def test_government_flag_quota(leaders, made, outcome):
    result = flag_check("flag_quota", leaders_of_organizer=leaders, proposals_of_organizer=made)
    assert (result.outcome, result.blocking) == (outcome, outcome == FAIL)
    assert "Nghị định 91/2017/NĐ-CP Điều 11" in result.citation
    assert "[old]" in result.extra["note"]


def test_government_flag_quota_does_not_apply_to_a_central_councils_bloc():
    result = flag_check("flag_quota", central_bloc=True, proposals_of_organizer=5)
    assert_passes(result, "Điều 25")


def test_three_flags_for_one_nine_member_blocs_leader_refuses_the_second_and_third():
    outcomes = []
    for earlier in range(3):
        context = flag(
            leaders_of_organizer=9, proposals_of_organizer=earlier, flags_for_leader=earlier
        )
        found = {c.rule: c.outcome for c in checks("CO-TD-CP", subject="collective", flag=context)}
        outcomes.append((found["flag_per_leader"], found["flag_quota"]))
    assert outcomes == [(PASS, PASS), (FAIL, FAIL), (FAIL, FAIL)]
    assert {"flag_per_leader", "flag_quota", "flag_minutes"} <= set(el.CHECK_CODES)
    assert_fails(flag_check("flag_per_leader", flags_for_leader=1), "Điều 25")


def test_government_flag_needs_the_blocs_minutes_once_the_bloc_has_voted():
    assert_fails(flag_check("flag_minutes", minutes_present=False), "5007/BNV-TĐKT")
    assert_passes(flag_check("flag_minutes"), "5007/BNV-TĐKT")
    # At the submission the bloc has not voted yet: its minutes are not asked for.
    before = codes("CO-TD-CP", subject="collective", flag=flag(), stage="submit")
    assert "flag_minutes" not in before and "flag_quota" in before


def test_a_bloc_has_one_leading_collective_a_year():
    """The second and third flag proposals of one bloc for one year fail (never overridable)."""
    result = flag_check("government_flag", earlier_in_bloc=("MTTQ-2023-0001",))
    assert_fails(result, "Điều 25", overridable=False)
    assert "MTTQ-2023-0001" in str(result.message)


# --- rule 7: no double reward -----------------------------------------------------------------


def claim(**values) -> Claim:
    defaults = {
        "form": "BK-TTG",
        "year": 2023,
        "reference": "HS-2024-0007",
        "outcome": "pending",
        "board": "T-UBND",
    }
    return Claim(**{**defaults, **values})


@pytest.mark.parametrize(
    ("claims", "stage", "outcome", "overridable"),
    [
        # Proposed by another unit, under another board: flagged to both until the signature.
        ((claim(),), "submit", WARNING, True),
        ((claim(),), "intake", WARNING, True),
        ((claim(),), "sign", FAIL, True),  # pending elsewhere, not in this batch
        ((claim(outcome="on_hold"),), "appraisal", WARNING, True),
        ((claim(outcome="awarded"),), "submit", FAIL, False),
        ((claim(same_decision=True),), "sign", FAIL, False),  # in the batch being signed
        ((claim(outcome="declined"),), "sign", PASS, True),
        ((claim(outcome="withdrawn"),), "sign", PASS, True),
        ((claim(year=2022),), "sign", PASS, True),
        ((claim(form="HCLD-3"),), "submit", WARNING, True),  # another form: same achievement?
        ((), "submit", PASS, True),
    ],
)
def test_double_reward(claims, stage, outcome, overridable):
    result = check("BK-TTG", "double_reward", claims=claims, stage=stage)
    assert (result.outcome, result.blocking, result.overridable) == (
        outcome,
        outcome == FAIL,
        overridable,
    )
    assert "Điều 5(2)" in result.citation


def test_double_reward_names_the_other_dossier_and_survives_an_override():
    result = check("BK-TTG", "double_reward", claims=(claim(same_decision=True),), stage="sign")
    assert str(result.message) == (
        "Already proposed or awarded Bằng khen của Thủ tướng Chính phủ for 2023: HS-2024-0007 "
        "(pending, T-UBND). One achievement is rewarded once."
    )
    assert el.apply_overrides([result], ["double_reward"]) == [result]
    assert el.blocking([result]) == [result]


@pytest.mark.parametrize(
    ("entry", "outcome"),
    [
        (Entry("BK-TTG", 2023), FAIL),
        (Entry("BK-TTG", 2023, revoked=True), PASS),
        (Entry("BK-TTG", 2022), PASS),
        (Entry("BK-TINH", 2023), PASS),
    ],
)
def test_double_reward_an_award_already_held_for_the_year(entry, outcome):
    result = check("BK-TTG", "double_reward", history=(entry,))
    assert result.outcome == outcome
    if outcome == FAIL:
        assert_fails(result, "Điều 5(2)", overridable=False)


# --- rule 9: discipline, inspection, complaint, press -----------------------------------------


@pytest.mark.parametrize(
    ("closed_on", "outcome"),
    [
        (None, FAIL),
        (datetime.date(2024, 3, 2), FAIL),  # closes tomorrow: still open
        (TODAY, PASS),
        (datetime.date(2024, 2, 29), PASS),
    ],
)
@pytest.mark.parametrize("kind", ["discipline", "inspection", "complaint", "press"])
def test_restriction_holds_while_open(kind, closed_on, outcome):
    hold = Hold(kind, datetime.date(2024, 1, 15), closed_on)
    result = check("BK-TTG", "restriction", restrictions=(hold,))
    assert (result.outcome, result.blocking) == (outcome, outcome == FAIL)
    assert "Nghị định 98/2023/NĐ-CP Điều 4" in result.citation
    if outcome == FAIL:
        assert "since 15/01/2024" in str(result.message)


@pytest.mark.parametrize(
    ("kind", "closed_on", "outcome"),
    [
        ("discipline", datetime.date(2016, 12, 31), PASS),  # before the certificate: all count
        ("discipline", datetime.date(2018, 6, 30), FAIL),  # 2017–2018 no longer count
        ("inspection", datetime.date(2018, 6, 30), PASS),  # only a discipline moves the start
    ],
)
def test_achievements_count_from_the_end_of_a_discipline(kind, closed_on, outcome):
    values = {"history": pm_history(), "year": 2022, "criterion": "73.1.b"}
    values["restrictions"] = (Hold(kind, datetime.date(2016, 1, 1), closed_on),)
    result = check("BK-TTG", "pm_certificate", **values)
    assert result.outcome == outcome
    hold = check("BK-TTG", "restriction", **values)
    assert_passes(hold, "Điều 4")
    if outcome == FAIL:
        assert "Discipline ended on 30/06/2018: achievements up to 2018 are not counted" in str(
            hold.message
        )


# --- rule 10: women and maternity -------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"sex": "female"}, "Female nominee: priority among equals."),
        ({"sex": "male"}, None),
        ({"subject": "collective", "female_percent": 70}, "70% of the collective are women"),
        ({"subject": "collective", "female_percent": 69}, None),
        ({"history": history((SERVICE, 2021))}, "Maternity leave counted as service: 2021."),
    ],
)
def test_women_and_maternity_notes(values, expected):
    found = [c for c in checks("BK-TTG", **values) if c.rule == "women_maternity"]
    if expected is None:
        assert found == []
    else:
        assert_passes(found[0], "Nghị định 98/2023/NĐ-CP Điều 4")
        assert expected in str(found[0].message)


# --- rule 13: documents -----------------------------------------------------------------------

FIGHTER_DOCUMENTS = {"to_trinh", "bao_cao_thanh_tich", "bien_ban_hoi_dong", "chung_nhan_sang_kien"}


@pytest.mark.parametrize(
    ("form", "attached", "missing"),
    [
        ("CSTD-TQ", FIGHTER_DOCUMENTS, []),
        ("CSTD-TQ", FIGHTER_DOCUMENTS - {"chung_nhan_sang_kien"}, ["chung_nhan_sang_kien"]),
        ("BK-TTG", {"to_trinh", "bao_cao_thanh_tich"}, ["bien_ban_hoi_dong"]),
        ("BK-TTG", {"to_trinh", "bao_cao_thanh_tich", "bien_ban_hoi_dong"}, []),
        (
            "CSTD-TINH",
            {"to_trinh", "bao_cao_thanh_tich"},
            ["bien_ban_binh_xet", "chung_nhan_sang_kien"],
        ),
    ],
)
def test_documents(form, attached, missing):
    result = check(form, "documents", documents=frozenset(attached))
    assert (result.outcome, result.blocking) == (FAIL if missing else PASS, bool(missing))
    assert "Điều 84" in result.citation
    assert result.extra.get("missing", []) == missing


def test_documents_name_what_is_missing():
    result = check(
        "CSTD-TQ", "documents", documents=frozenset(FIGHTER_DOCUMENTS - {"chung_nhan_sang_kien"})
    )
    assert str(result.message) == (
        "Missing documents for individuals: Giấy chứng nhận/xác nhận sáng kiến, đề tài."
    )


# --- rule 17: authority and effective dates ---------------------------------------------------


@pytest.mark.parametrize(
    ("form", "decider", "level_authority", "outcome"),
    [
        ("BK-TTG", "TTG", "", PASS),
        ("BK-TTG", "CTN", "", FAIL),
        ("HCLD-3", "CTN", "", PASS),
        ("HCLD-3", "TTG", "", FAIL),  # the PM proposes, the President decides
        ("AHLD", "CTN", "T-UBND", PASS),
        ("BK-TINH", "T-UBND", "T-UBND", PASS),
        ("BK-TINH", "T2-UBND", "T-UBND", FAIL),  # another province's chair
        ("CSTD-BO", "BTP", "BTP", PASS),
        ("CSTD-BO", "TTG", "BTP", FAIL),
        ("BK-TINH", "", "T-UBND", FAIL),
    ],
)
def test_authority(form, decider, level_authority, outcome):
    values = {"stage": "sign", "decider": decider, "level_authority": level_authority}
    result = check(form, "authority", **values)
    assert (result.outcome, result.blocking, result.overridable) == (
        outcome,
        outcome == FAIL,
        False,
    )
    assert el.apply_overrides([result], ["authority"]) == [result]


@pytest.mark.parametrize(
    ("valid_from", "valid_until", "outcome"),
    [
        (datetime.date(2024, 1, 1), None, PASS),
        (datetime.date(2024, 3, 2), None, FAIL),  # in force from tomorrow
        (datetime.date(2004, 1, 1), TODAY, PASS),  # its last day
        (datetime.date(2004, 1, 1), datetime.date(2024, 2, 29), FAIL),
    ],
)
def test_authority_the_form_is_in_force_on_the_signing_day(valid_from, valid_until, outcome):
    values = {"stage": "sign", "decider": "TTG"}
    result = check(
        "BK-TTG", "authority", form_valid_from=valid_from, form_valid_until=valid_until, **values
    )
    assert (result.outcome, result.overridable) == (outcome, False)
    assert "231/QĐ-TTg" in result.citation


def test_authority_is_checked_only_when_signing():
    for stage in ("save", "submit", "intake", "appraisal"):
        assert "authority" not in codes("BK-TTG", stage=stage, decider="CTN")


# --- rule 18: Hero of Labour timing; rule 19: intake windows ----------------------------------


@pytest.mark.parametrize(
    ("today", "exceptional", "outcome"),
    [
        (datetime.date(2025, 2, 1), False, PASS),
        (datetime.date(2024, 2, 1), False, FAIL),
        (datetime.date(2026, 2, 1), False, FAIL),
        (datetime.date(2030, 1, 20), False, PASS),
        (datetime.date(2024, 2, 1), True, PASS),
    ],
)
def test_hero_timing(today, exceptional, outcome):
    result = check("AHLD", "hero_timing", today=today, exceptional=exceptional)
    assert (result.outcome, result.blocking) == (outcome, outcome == FAIL)
    assert "5 năm một lần" in result.citation


@pytest.mark.parametrize(
    ("form", "today", "outcome"),
    [
        ("AHLD", datetime.date(2025, 1, 4), FAIL),
        ("AHLD", datetime.date(2025, 1, 5), PASS),
        ("AHLD", datetime.date(2025, 2, 28), PASS),
        ("AHLD", datetime.date(2025, 3, 1), FAIL),
        ("CSTD-TQ", datetime.date(2024, 10, 31), PASS),
        ("CSTD-TQ", datetime.date(2024, 11, 1), FAIL),
        ("CO-TD-CP", datetime.date(2024, 3, 31), PASS),
        ("CO-TD-CP", datetime.date(2024, 4, 1), FAIL),
    ],
)
def test_intake_window(form, today, outcome):
    """The windows are those of Decree 91/2017 [old]: the data marks them advisory, so a day
    outside is a warning for the board, not a refusal."""
    subject = "collective" if form == "CO-TD-CP" else "individual"
    result = check(form, "intake_window", today=today, stage="intake", subject=subject)
    shown = WARNING if outcome == FAIL else PASS
    assert (result.outcome, result.blocking, result.overridable) == (shown, False, True)
    assert "Nghị định 91/2017/NĐ-CP Điều 48" in result.citation
    assert "[old]" in result.extra["note"]


def test_intake_window_message_overrides_and_stages():
    rules = {**FORMS["AHLD"]["eligibility"]}
    rules["intake_window"] = {**rules["intake_window"], "advisory": False}  # a current window
    values = {"today": datetime.date(2025, 3, 1)}
    result = next(
        c for c in el.evaluate(rules, facts("AHLD", **values)) if c.rule == "intake_window"
    )
    assert str(result.message) == "Dossiers are received from 05/01 to 28/02; today is 01/03/2025."
    assert (result.outcome, result.blocking) == (FAIL, True)
    overridden = el.apply_overrides([result], ["intake_window"])
    assert [(c.outcome, c.blocking) for c in overridden] == [(OVERRIDDEN, False)]
    assert el.blocking(overridden) == []
    assert "intake_window" not in codes("AHLD", today=datetime.date(2025, 3, 1), stage="appraisal")
    exceptional = check("AHLD", "intake_window", today=datetime.date(2024, 7, 1), exceptional=True)
    assert exceptional.outcome == PASS


def test_data_marked_advisory_turns_a_failure_into_a_warning():
    rules = {**FORMS["AHLD"]["eligibility"]}
    rules["intake_window"] = {**rules["intake_window"], "advisory": True}
    rules["subject_type"] = {**rules["subject_type"], "advisory": True}
    values = {"today": datetime.date(2025, 3, 1), "subject": "household"}
    found = {c.rule: c for c in el.evaluate(rules, facts("AHLD", **values))}
    assert (found["intake_window"].outcome, found["intake_window"].blocking) == (WARNING, False)
    assert str(found["intake_window"].message).startswith("Advice only")
    assert found["subject_type"].outcome == FAIL  # never softened


# --- forms without prerequisites, and the result's shape --------------------------------------


@pytest.mark.parametrize("form", ["HCLD-2", "HCLD-1", "HCDL-3", "HCDL-2", "HCDL-1"])
def test_orders_with_unretrieved_criteria_check_only_the_general_rules(form):
    assert codes(form, stage="sign", decider="CTN") == [
        "subject_type",
        "authority",
        "restriction",
        "double_reward",
        "documents",
    ]


def test_a_check_as_json_carries_rule_outcome_message_and_citation():
    result = check("CSTD-TQ", "national_fighter", history=history(*FIGHTER))
    assert result.as_json() == {
        "rule": "national_fighter",
        "outcome": "pass",
        "message": "2 consecutive titles of Chiến sĩ thi đua bộ, ban, ngành / Chiến sĩ thi đua "
        "cấp tỉnh: 2022, 2023. Initiative recognised as Sáng kiến, đề tài có hiệu quả và phạm vi "
        "ảnh hưởng toàn quốc (2023).",
        "citation": FORMS["CSTD-TQ"]["eligibility"]["national_fighter"]["citation"],
        "blocking": False,
        "overridable": True,
    }


def test_a_message_is_translated_when_rendered():
    result = check("CSTD-TQ", "subject_type", subject="collective")
    with translation.override("vi"):
        vietnamese = str(result.message)
    assert str(result.message).startswith("The form is awarded to")
    assert isinstance(vietnamese, str) and vietnamese
