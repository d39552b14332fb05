"""The OpenAPI schema (/api/schema/) tells the truth: nullable fields, every error an operation
can answer, typed ballot and decision payloads, documented list filters, minimum lengths; and
real answers of the API conform to it."""

import tomllib
from pathlib import Path

import pytest
import requests
import schemathesis
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from schemathesis.core.transport import Response as SchemathesisResponse

from approvals.models import BallotSession

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _component(schema, name):
    return schema["components"]["schemas"][name]


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def test_the_schema_is_valid_openapi_and_generates_without_warnings(tmp_path):
    # --fail-on-warn: an unresolvable field or filter silently becomes a bare string otherwise.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
    validate_schema(SchemaGenerator().get_schema(request=None, public=True))


@pytest.mark.parametrize(
    "component, field",
    [
        ("Dossier", "bloc"),
        ("DossierDetail", "bloc"),
        ("Organization", "parent"),
        ("Decision", "signed_by"),
        ("LedgerEvent", "dossier"),
        ("Nominee", "organization"),
        ("BallotSession", "bloc"),
        ("BallotSession", "closed_at"),
    ],
)
def test_nullable_fields_are_marked_nullable(schema, component, field):
    assert _component(schema, component)["properties"][field].get("nullable") is True


def test_fields_that_are_never_null_are_not_marked_nullable(schema):
    assert "nullable" not in _component(schema, "Dossier")["properties"]["award_form"]
    assert "nullable" not in _component(schema, "Dossier")["properties"]["organization"]
    assert "nullable" not in _component(schema, "LedgerEvent")["properties"]["seq"]


def test_the_error_body_is_one_shared_component(schema):
    error = _component(schema, "Error")
    assert set(error["properties"]) == {"detail", "code", "errors"}
    assert sorted(error["required"]) == ["code", "detail"]


def _errors(operation) -> set[str]:
    ref = {"$ref": "#/components/schemas/Error"}
    return {
        status
        for status, response in operation["responses"].items()
        if response.get("content", {}).get("application/json", {}).get("schema") == ref
    }


def test_every_operation_documents_its_errors(schema):
    operations = list(_operations(schema))
    assert len(operations) >= 25
    for method, path, operation in operations:
        errors = _errors(operation)
        where = f"{method} {path}"
        assert {"400", "401", "503"} <= errors, where
        params = operation.get("parameters", [])
        if any(p["in"] == "path" for p in params):
            assert "404" in errors, where
        if "/auth/" in path:
            continue
        assert "403" in errors, where
        if method in ("POST", "PATCH", "PUT", "DELETE"):
            assert "409" in errors, where


def test_errors_specific_to_an_operation(schema):
    paths = schema["paths"]
    sign = paths["/api/v1/decisions/{id}/sign/"]["post"]
    action = paths["/api/v1/dossiers/{id}/actions/{action}/"]["post"]
    token = paths["/api/v1/auth/token/"]["post"]
    # A reused Idempotency-Key is a 422; the key itself is declared with its limits.
    for operation in (sign, action):
        assert "422" in _errors(operation)
        key = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
        assert key["in"] == "header" and key["schema"]["pattern"] == "^[!-~]+$"
    # Sign-in and a signer's code count towards the lockout: 429.
    assert "429" in _errors(token) and "429" in _errors(sign)
    assert "422" not in _errors(paths["/api/v1/dossiers/"]["post"])
    assert "429" not in _errors(paths["/api/v1/dossiers/"]["get"])
    # Sign-in needs no credentials; everything else does.
    assert "security" not in token
    assert paths["/api/v1/dossiers/"]["get"]["security"]


def test_the_action_path_parameter_lists_the_actions(schema):
    operation = schema["paths"]["/api/v1/dossiers/{id}/actions/{action}/"]["post"]
    action = next(p for p in operation["parameters"] if p["name"] == "action")
    assert {"submit", "accept", "return", "withdraw"} <= set(action["schema"]["enum"])


def _refs(node):
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"].rsplit("/", 1)[-1]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_ballot_and_decision_payloads_are_typed(schema):
    paths = schema["paths"]

    def body(path, method, status):
        content = paths[path][method]["responses"][status]["content"]
        return content["application/json"]["schema"]

    assert body("/api/v1/ballots/", "get", "200") == {
        "$ref": "#/components/schemas/PaginatedBallotList"
    }
    for path, method, status in [
        ("/api/v1/ballots/", "post", "201"),
        ("/api/v1/ballots/{id}/", "get", "200"),
        ("/api/v1/ballots/{id}/close/", "post", "200"),
    ]:
        assert body(path, method, status) == {"$ref": "#/components/schemas/BallotSession"}
    assert body("/api/v1/ballots/{id}/votes/", "post", "201") == {
        "$ref": "#/components/schemas/BallotReceipt"
    }
    assert body("/api/v1/audit/verify/", "get", "200") == {
        "$ref": "#/components/schemas/AuditVerify"
    }
    session = _component(schema, "BallotSession")
    assert {"turnout", "nominees", "receipts", "can_vote"} <= set(session["properties"])
    decision = _component(schema, "Decision")["properties"]
    assert decision["dossiers"]["items"] == {"$ref": "#/components/schemas/DecisionDossier"}
    assert decision["awarded"]["items"] == {"$ref": "#/components/schemas/DecisionNominee"}


def test_no_success_body_is_a_free_form_object(schema):
    """Every object a 2xx answer can hold names its properties (no bare `dict`)."""
    components = schema["components"]["schemas"]
    seen, todo = set(), []
    for _method, _path, operation in _operations(schema):
        for status, response in operation["responses"].items():
            if status.startswith("2"):
                todo.extend(_refs(response.get("content", {})))
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        component = components[name]
        todo.extend(_refs(component))
        free = [
            key
            for key, prop in component.get("properties", {}).items()
            if prop.get("type") == "object" and "properties" not in prop
        ]
        assert component.get("type") != "object" or "properties" in component, name
        assert free == [], f"{name}: {free}"
    assert {"BallotSession", "BallotTurnout", "BallotNominee", "DecisionNominee"} <= seen


def test_list_filters_are_documented(schema):
    def params(path):
        operation = schema["paths"][path]["get"]
        return {p["name"]: p["schema"] for p in operation["parameters"] if p["in"] == "query"}

    dossiers = params("/api/v1/dossiers/")
    assert {"state", "year", "award_form", "organization", "page", "page_size"} <= set(dossiers)
    assert "draft" in dossiers["state"]["enum"]
    assert (dossiers["year"]["minimum"], dossiers["year"]["maximum"]) == (1945, 2100)
    assert dossiers["award_form"]["maxLength"] == 32 and dossiers["award_form"]["pattern"]
    blocs = params("/api/v1/blocs/")
    assert blocs["year"]["type"] == "integer"
    events = params("/api/v1/audit/events/")
    assert {"dossier", "actor", "organization", "action", "object_type", "since", "until"} <= set(
        events
    )
    assert {"date", "date-time"} == {s["format"] for s in events["since"]["anyOf"]}
    assert "page" in params("/api/v1/ballots/")
    # An empty filter is no filter (django-filter), an empty page the first one (DRF).
    operation = schema["paths"]["/api/v1/dossiers/"]["get"]
    assert all(p.get("allowEmptyValue") for p in operation["parameters"] if p["in"] == "query")


def test_minimum_lengths_are_declared(schema):
    create = _component(schema, "DossierCreateRequest")["properties"]
    assert create["title"]["minLength"] == 1
    assert create["nominees"]["minItems"] == 1
    nominee = _component(schema, "NomineeInputRequest")["properties"]
    assert nominee["name"]["minLength"] == 1
    assert "minLength" not in nominee["achievements"]  # may be empty
    assert _component(schema, "DecisionSignRequest")["properties"]["number"]["minLength"] == 1
    assert _component(schema, "TokenRequestRequest")["properties"]["username"]["minLength"] == 1
    assert _component(schema, "BallotOpenRequest")["properties"]["nominees"]["minItems"] == 1
    assert _component(schema, "DecisionCreateRequest")["properties"]["dossiers"]["minItems"] == 1
    upload = schema["paths"]["/api/v1/dossiers/{id}/attachments/"]["post"]["requestBody"]
    assert sorted(upload["content"]["multipart/form-data"]["schema"]["required"]) == [
        "file",
        "kind",
    ]


# Real answers conform to the schema (the same validation Schemathesis applies in CI).


@pytest.fixture(scope="module")
def openapi(schema):
    return schemathesis.openapi.from_dict(schema)


def _conforms(openapi, path, method, response):
    request = requests.Request(method, f"http://testserver{response.wsgi_request.path}").prepare()
    wrapped = SchemathesisResponse(
        status_code=response.status_code,
        headers={key: [value] for key, value in response.headers.items()},
        content=response.content,
        request=request,
        elapsed=0.0,
        verify=False,
    )
    openapi[path][method].validate_response(wrapped)  # raises on any mismatch


def test_error_answers_conform_to_the_error_component(api, openapi):
    client = api("proposer-HLHPN")
    invalid = client.post("/api/v1/dossiers/", {"title": ""}, format="json")
    assert invalid.status_code == 400 and "errors" in invalid.json()
    _conforms(openapi, "/api/v1/dossiers/", "POST", invalid)
    missing = client.get("/api/v1/dossiers/999999999/")
    assert missing.status_code == 404
    _conforms(openapi, "/api/v1/dossiers/{id}/", "GET", missing)
    forbidden = client.get("/api/v1/audit/verify/")
    assert forbidden.status_code == 403
    _conforms(openapi, "/api/v1/audit/verify/", "GET", forbidden)


def test_ballot_decision_and_ledger_answers_conform(api, openapi):
    inspector = api("inspector")
    closed = BallotSession.objects.filter(state="closed").order_by("pk").first()
    assert closed is not None
    session = inspector.get(f"/api/v1/ballots/{closed.pk}/")
    assert session.status_code == 200 and session.json()["receipts"]
    _conforms(openapi, "/api/v1/ballots/{id}/", "GET", session)
    for path in ("/api/v1/ballots/", "/api/v1/decisions/", "/api/v1/audit/events/"):
        answer = inspector.get(path)
        assert answer.status_code == 200 and answer.json()["results"], path
        _conforms(openapi, path, "GET", answer)
    verify = inspector.get("/api/v1/audit/verify/")
    assert verify.status_code == 200 and verify.json()["ok"] is True
    _conforms(openapi, "/api/v1/audit/verify/", "GET", verify)
    organizations = inspector.get("/api/v1/organizations/", {"page": 1})
    assert any(o["parent"] is None for o in organizations.json()["results"])
    _conforms(openapi, "/api/v1/organizations/", "GET", organizations)


def test_the_schemathesis_configuration_keeps_the_essential_checks():
    """CI's Schemathesis may widen statuses, never switch off server-error or schema checks."""
    config = tomllib.loads((ROOT / "schemathesis.toml").read_text())

    def disabled(section):
        checks = section.get("checks", {})
        return [
            name
            for name in ("not_a_server_error", "response_schema_conformance")
            if checks.get(name, {}).get("enabled") is False
        ]

    assert disabled(config) == []
    for operation in config.get("operations", []):
        assert disabled(operation) == [], operation
        assert operation.get("enabled", True) or operation["include-operation-id"] == (
            "v1_auth_token_destroy"
        )
    script = (ROOT / ".ci" / "schemathesis.sh").read_text()
    assert "--checks all" in script and "--exclude-checks" not in script
    assert "make schemathesis" in (ROOT / ".ci" / "run").read_text()
    assert ".ci/schemathesis.sh" in (ROOT / "Makefile").read_text()
