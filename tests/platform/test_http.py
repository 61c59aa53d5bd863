"""The HTTP rules of /graphql (SPEC §4, §6): CSRF, methods, CORS, limits, masking, headers, logs.

In process, on SQLite only: none of this depends on the database backend.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import text
from starlette.applications import Starlette

from gql.app import create_app
from gql.clock import FrozenClock
from gql.logs import JsonFormatter
from gql.migrate import head_revision
from gql.settings import Settings
from tests.support.api import gql, http_client, make_settings, outbox
from tests.support.factories import (
    LOG_IN,
    PASSWORD,
    VIEWER,
    add_account,
    add_company,
    log_in,
    staff_client_login,
)

REQUEST_PASSWORD_RESET = """
mutation RequestPasswordReset($input: RequestPasswordResetInput!) {
  requestPasswordReset(input: $input) {
    __typename
    ... on RequestPasswordResetPayload { message }
    ... on InvalidInput { code message field problems { field message } }
  }
}
"""

REQUEST_ACCESS_CODE = """
mutation RequestAccessCode($input: RequestAccessCodeInput!) {
  requestAccessCode(input: $input) { __typename }
}
"""

LOG_OUT = "mutation LogOut { logOut(input: {}) { __typename } }"

TYPENAME = "query TypeName { __typename }"

MISSPELT = "query Misspelt { viewr { id } }"

VIEWER_COMPANY = "query ViewerCompany { viewer { name company { name legalForm } } }"

# Deeper than the schema goes: the depth limit judges the document before field validation.
TOO_DEEP = (
    "query Deep { viewer { company { visitingAddress { a { b { c { d { e { f { g { h { i "
    "} } } } } } } } } } } }"
)


def aliases(count: int) -> str:
    return "query Aliases { " + " ".join(f"a{i}: __typename" for i in range(count)) + " }"


def tokens(count: int) -> str:
    """A query of exactly `count` tokens: `{`, count - 2 field names, `}`."""
    return "{ " + "__typename " * (count - 2) + "}"


STAFF_PAGE = """
query StaffPage($first: Int) {
  staff { accessCodeRequests(first: $first) { edges { node { id } } } }
}
"""

ALLOWED_ORIGIN = "http://127.0.0.1:5173"


@pytest.fixture
def settings(sqlite_url: str, tmp_path: Path) -> Settings:
    """Overrides conftest's: one backend is enough for the HTTP layer."""
    return make_settings(sqlite_url, tmp_path / "data")


@pytest.fixture
async def production(
    sqlite_url: str, tmp_path: Path, clock: FrozenClock
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app with production settings (https public URL)."""
    settings = make_settings(
        sqlite_url, tmp_path / "prod", env="production", public_url="https://toegang.example"
    )
    application = create_app(settings, clock=clock)
    async with LifespanManager(application), http_client(application) as client:
        yield client


def reset_request(access_code: str) -> dict[str, Any]:
    return {"query": REQUEST_PASSWORD_RESET, "variables": {"input": {"accessCode": access_code}}}


def form_post(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """httpx arguments posting `body` the way a plain HTML form or a no-cors fetch can."""
    if kind == "multipart/form-data":
        # The GraphQL multipart request spec: operations + map + files.
        return {
            "data": {"operations": json.dumps(body), "map": "{}"},
            "files": {"0": ("a.txt", b"x", "text/plain")},
        }
    if kind == "application/x-www-form-urlencoded":
        return {"data": {"query": body["query"], "variables": json.dumps(body["variables"])}}
    return {"content": json.dumps(body), "headers": {"content-type": "text/plain"}}


FORM_KINDS = ["multipart/form-data", "application/x-www-form-urlencoded", "text/plain"]


# -- CSRF ---------------------------------------------------------------------------------------


async def test_the_password_reset_mutation_as_json_runs_and_queues_a_mail(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    # given
    code = await add_account(app)

    # when
    response = await client.post("/graphql", json=reset_request(code))

    # then: the control for the CSRF tests below, which must see nothing queued
    assert response.status_code == 200
    assert response.json()["data"]["requestPasswordReset"]["__typename"] == (
        "RequestPasswordResetPayload"
    )
    assert [m.template for m in await outbox(app)] == ["password_reset"]


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "with-cookie"])
@pytest.mark.parametrize("kind", FORM_KINDS)
async def test_a_post_that_is_not_json_without_the_preflight_header_is_refused_and_does_not_run(
    app: Starlette, client: httpx.AsyncClient, kind: str, signed_in: bool
) -> None:
    # given
    code = await add_account(app)
    if signed_in:
        assert (await log_in(client, code))["__typename"] == "LogInPayload"
        assert client.cookies.get("toegang_session")

    # when
    response = await client.post("/graphql", **form_post(kind, reset_request(code)))

    # then
    assert response.status_code == 403
    assert response.request.headers["content-type"].startswith(kind)
    assert response.json()["errors"][0]["extensions"] == {"code": "CSRF"}
    assert "GraphQL-Require-Preflight" in response.json()["errors"][0]["message"]
    assert "data" not in response.json()
    assert await outbox(app) == []


async def test_a_text_plain_post_with_the_preflight_header_is_unsupported_and_does_not_run(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    # given
    code = await add_account(app)
    request = form_post("text/plain", reset_request(code))
    request["headers"]["GraphQL-Require-Preflight"] = "1"

    # when
    response = await client.post("/graphql", **request)

    # then
    assert response.status_code == 415
    assert "data" not in response.json()
    assert await outbox(app) == []


# -- methods ------------------------------------------------------------------------------------


async def test_a_mutation_over_get_is_refused_with_405_and_does_not_run(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    # given
    code = await add_account(app)
    body = reset_request(code)

    # when
    response = await client.get(
        "/graphql",
        params={"query": body["query"], "variables": json.dumps(body["variables"])},
    )

    # then
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert "data" not in response.json()
    assert await outbox(app) == []


async def test_a_query_over_get_runs_for_the_signed_in_viewer(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    # given
    code = await add_account(app)
    await log_in(client, code)

    # when
    response = await client.get("/graphql", params={"query": VIEWER})

    # then
    assert response.status_code == 200
    assert response.json()["data"]["viewer"]["accessCode"] == code


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
async def test_other_methods_than_get_and_post_are_refused_with_405(
    client: httpx.AsyncClient, method: str
) -> None:
    # when
    response = await client.request(method, "/graphql", json={"query": TYPENAME})

    # then
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"


# -- CORS ---------------------------------------------------------------------------------------


async def test_a_preflight_from_an_allowed_origin_may_send_credentials_and_the_csrf_header(
    client: httpx.AsyncClient,
) -> None:
    # when
    response = await client.options(
        "/graphql",
        headers={
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, graphql-require-preflight",
        },
    )

    # then
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"
    allowed = {h.strip() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {"content-type", "graphql-require-preflight"} <= allowed


async def test_a_preflight_from_another_origin_gets_no_cors_permission(
    client: httpx.AsyncClient,
) -> None:
    # when
    response = await client.options(
        "/graphql",
        headers={
            "Origin": "http://evil.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )

    # then
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def test_a_post_from_another_origin_carries_no_cors_permission_to_read_it(
    client: httpx.AsyncClient,
) -> None:
    # when
    allowed = await client.post(
        "/graphql", json={"query": TYPENAME}, headers={"Origin": ALLOWED_ORIGIN}
    )
    other = await client.post(
        "/graphql", json={"query": TYPENAME}, headers={"Origin": "http://evil.example"}
    )

    # then
    assert allowed.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert allowed.headers["access-control-expose-headers"] == "x-request-id"
    assert "access-control-allow-origin" not in other.headers


# -- limits -------------------------------------------------------------------------------------


async def test_a_body_above_the_limit_with_its_length_declared_is_refused_with_413(
    app: Starlette, client: httpx.AsyncClient, settings: Settings
) -> None:
    # given
    code = await add_account(app)
    body = json.dumps({**reset_request(code), "padding": "x" * settings.max_body_bytes})

    # when
    response = await client.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )

    # then
    assert int(response.request.headers["content-length"]) > settings.max_body_bytes
    assert response.status_code == 413
    assert response.headers["x-request-id"]
    assert await outbox(app) == []


async def test_a_chunked_body_above_the_limit_without_a_length_is_refused_with_413(
    app: Starlette, client: httpx.AsyncClient, settings: Settings
) -> None:
    # given
    code = await add_account(app)
    body = json.dumps({**reset_request(code), "padding": "x" * settings.max_body_bytes}).encode()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 8192):
            yield body[start : start + 8192]

    # when
    response = await client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )

    # then
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert response.status_code == 413
    assert await outbox(app) == []


async def test_a_document_deeper_than_10_levels_is_refused(client: httpx.AsyncClient) -> None:
    # when
    body = await gql(client, TOO_DEEP)

    # then
    messages = [e["message"] for e in body["errors"]]
    assert "'Deep' exceeds maximum operation depth of 10" in messages
    assert "data" not in body


async def test_a_document_with_more_than_15_aliases_is_refused(client: httpx.AsyncClient) -> None:
    # when
    fifteen = await gql(client, aliases(15))
    sixteen = await gql(client, aliases(16))

    # then
    assert len(fifteen["data"]) == 15
    assert sixteen == {"errors": [{"message": "16 aliases found. Allowed: 15"}]}


async def test_a_document_with_more_than_2000_tokens_is_refused(client: httpx.AsyncClient) -> None:
    # when
    body = await gql(client, tokens(2001))

    # then
    [error] = body["errors"]
    assert error["message"] == (
        "Syntax Error: Document contains more than 2000 tokens. Parsing aborted."
    )
    assert "data" not in body


async def test_a_staff_page_of_more_than_100_is_an_error_naming_first_and_returns_no_data(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    # given
    await staff_client_login(app, client)
    assert (await gql(client, STAFF_PAGE, {"first": 100}))["data"]["staff"] is not None

    # when
    body = await gql(client, STAFF_PAGE, {"first": 101})

    # then
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": ["first"]}
    assert error["path"] == ["staff", "accessCodeRequests"]
    assert error["message"] == "Vraag hoogstens 100 items per pagina op."
    assert body["data"] is None


# -- masking ------------------------------------------------------------------------------------


async def test_an_unexpected_error_is_masked_with_a_reference_that_is_also_in_the_log(
    app: Starlette, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # given: a signed-in business account, then the database breaks under the running app (a
    # column of its company disappears; sessions still resolve, so the resolver itself fails)
    await add_company(app, kvk_number="12345678")
    code = await add_account(app, usage="BUSINESS", kvk_number="12345678")
    await log_in(client, code)
    async with app.state.deps.db.write() as session:
        await session.execute(text("ALTER TABLE company RENAME COLUMN legal_form TO gone"))
        await session.commit()
    caplog.set_level(logging.ERROR, logger="toegang.graphql")

    # when
    response = await client.post("/graphql", json={"query": VIEWER_COMPANY})

    # then
    assert response.status_code == 200
    body = response.json()
    [error] = body["errors"]
    reference = error["extensions"]["reference"]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "reference": reference}
    assert re.fullmatch(r"[0-9a-f]{12}", reference)
    assert error["message"] == (
        f"Er ging iets mis. Neem contact op met het servicecenter en noem referentie {reference}."
    )
    assert body["data"] == {"viewer": {"name": "Piet Pieterse", "company": None}}
    for leak in ("Traceback", "OperationalError", "sqlite", "no such column", "gone", "SELECT"):
        assert leak not in response.text
    [record] = [r for r in caplog.records if reference in r.getMessage()]
    assert record.name == "toegang.graphql"
    assert record.exc_info is not None  # the stack trace is in the log, not in the response
    assert response.headers["x-request-id"] in record.getMessage()


async def test_an_unexpected_error_in_a_mutation_logs_none_of_the_input_values(
    app: Starlette, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # given: the insert of a new account fails (a column is missing under the running app)
    async with app.state.deps.db.write() as session:
        await session.execute(text("ALTER TABLE account RENAME COLUMN language TO gone"))
        await session.commit()
    caplog.set_level(logging.INFO)
    email = "anna.devries@example.nl"
    variables = {
        "input": {"usage": "PRIVATE", "name": "Anna de Vries", "email": email, "password": PASSWORD}
    }

    # when
    body = await gql(client, REQUEST_ACCESS_CODE, variables)

    # then
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert await outbox(app) == []
    logged = caplog.text + "".join(repr(vars(r)) for r in caplog.records)
    assert body["errors"][0]["extensions"]["reference"] in logged
    for value in (email, "Anna de Vries", PASSWORD, "$argon2id$"):
        assert value not in logged


# -- request errors -----------------------------------------------------------------------------


async def test_a_variable_that_does_not_fit_its_input_type_is_a_request_error_not_a_masked_one(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # given: a client that misspells an input field of logIn
    caplog.set_level(logging.INFO)
    variables = {"input": {"accessCode": "ABCD-EFGH-JKMN", "password": PASSWORD, "sesion": "TOKEN"}}

    # when
    response = await client.post(
        "/graphql",
        json={"query": LOG_IN, "variables": variables},
        headers={"Accept": "application/graphql-response+json"},
    )

    # then: the client learns what is wrong; nothing ran, nothing is logged as our failure
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert "data" not in response.json()
    assert "extensions" not in error
    assert "'sesion'" in error["message"] and "LogInInput" in error["message"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert PASSWORD not in caplog.text + "".join(repr(vars(r)) for r in caplog.records)


async def test_in_production_a_variable_error_suggests_no_field_names(
    production: httpx.AsyncClient,
) -> None:
    # given
    variables = {"input": {"accessCode": "ABCD-EFGH-JKMN", "password": PASSWORD, "sesion": "TOKEN"}}

    # when
    body = await gql(production, LOG_IN, variables)

    # then
    [error] = body["errors"]
    assert "'sesion'" in error["message"]
    assert "Did you mean" not in error["message"]


@pytest.mark.parametrize(
    "password_value",
    [12345, ["geheim wachtwoord van Piet"], {"nested": "geheim wachtwoord van Piet"}],
    ids=["number", "list", "object"],
)
async def test_a_badly_typed_variable_is_not_quoted_back_in_the_error(
    client: httpx.AsyncClient, password_value: Any
) -> None:
    # given: a client that sends its password in the wrong shape, or misspells the field
    wrong_shape = {"input": {"accessCode": "ABCD-EFGH-JKMN", "password": password_value}}
    misspelt = {"input": {"accessCode": "ABCD-EFGH-JKMN", "passwrd": "geheim wachtwoord van Piet"}}

    # when
    shaped = await gql(client, LOG_IN, wrong_shape)
    spelt = await gql(client, LOG_IN, misspelt)

    # then: the path and the reason, never the value
    assert shaped["errors"][0]["message"].startswith(
        "Variable '$input' has invalid value at .password: "
    )
    assert "geheim" not in shaped["errors"][0]["message"]
    assert "12345" not in shaped["errors"][0]["message"]
    assert "required field 'password'" in spelt["errors"][0]["message"]
    assert "geheim" not in spelt["errors"][0]["message"]


async def test_a_value_sent_for_an_enum_is_not_quoted_back(client: httpx.AsyncClient) -> None:
    # given: a secret typed into the wrong field
    variables = {
        "input": {"accessCode": "ABCD-EFGH-JKMN", "password": "x", "session": "hunter2-secret"}
    }
    # when
    body = await gql(client, LOG_IN, variables)
    # then
    [error] = body["errors"]
    assert "hunter2" not in error["message"]
    assert "'SessionKind'" in error["message"]


# -- language -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept_language", "required", "unauthenticated"),
    [
        (None, "Dit veld is verplicht.", "Je bent niet ingelogd"),
        ("en", "This field is required.", "You are not signed in"),
        ("en-GB,en;q=0.9,nl;q=0.8", "This field is required.", "You are not signed in"),
        ("fr", "Dit veld is verplicht.", "Je bent niet ingelogd"),
    ],
)
async def test_messages_are_dutch_by_default_and_english_when_the_client_prefers_english(
    client: httpx.AsyncClient,
    accept_language: str | None,
    required: str,
    unauthenticated: str,
) -> None:
    # given
    headers = {"Accept-Language": accept_language} if accept_language else {}

    # when
    invalid = await gql(
        client, REQUEST_PASSWORD_RESET, {"input": {"accessCode": " "}}, headers=headers
    )
    anonymous = await gql(client, LOG_OUT, headers=headers)

    # then
    result = invalid["data"]["requestPasswordReset"]
    assert result["__typename"] == "InvalidInput"
    assert result["code"] == "INVALID_INPUT"
    assert result["problems"] == [{"field": ["accessCode"], "message": required}]
    [error] = anonymous["errors"]
    assert error["extensions"] == {"code": "UNAUTHENTICATED"}
    assert error["message"].startswith(unauthenticated)


# -- response headers ---------------------------------------------------------------------------


async def test_every_response_has_a_request_id_no_store_and_nosniff(
    client: httpx.AsyncClient,
) -> None:
    # when
    first = await client.post("/graphql", json={"query": TYPENAME})
    second = await client.get("/healthz")

    # then
    for response in (first, second):
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "strict-transport-security" not in response.headers
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_in_production_responses_carry_hsts_and_a_content_security_policy(
    production: httpx.AsyncClient,
) -> None:
    # when
    response = await production.post("/graphql", json={"query": TYPENAME})

    # then
    assert response.status_code == 200
    assert response.headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_field_suggestions_are_given_in_development_and_hidden_in_production(
    client: httpx.AsyncClient, production: httpx.AsyncClient
) -> None:
    # when
    development = await gql(client, MISSPELT)
    in_production = await gql(production, MISSPELT)

    # then
    assert development["errors"][0]["message"] == (
        "Cannot query field 'viewr' on type 'Query'. Did you mean 'viewer'?"
    )
    assert in_production["errors"][0]["message"] == "Cannot query field 'viewr' on type 'Query'."
    assert "Did you mean" not in json.dumps(in_production)


LOG_ENVELOPE = {"time", "level", "logger", "message"}


# -- logs ---------------------------------------------------------------------------------------


async def test_the_access_log_has_one_json_line_per_request_without_password_or_variables(
    app: Starlette, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # given: the production log level
    code = await add_account(app)
    caplog.set_level(logging.INFO)
    variables = {"input": {"accessCode": code, "password": PASSWORD}}

    # when
    response = await client.post("/graphql", json={"query": LOG_IN, "variables": variables})

    # then
    assert response.json()["data"]["logIn"]["__typename"] == "LogInPayload"
    [record] = [r for r in caplog.records if r.name == "toegang.access"]
    # what `toegang serve` writes: one JSON object on one line
    formatted = JsonFormatter().format(record)
    assert "\n" not in formatted
    line = {k: v for k, v in json.loads(formatted).items() if k not in LOG_ENVELOPE}
    assert line["request_id"] == response.headers["x-request-id"]
    assert (line["method"], line["path"], line["status"]) == ("POST", "/graphql", 200)
    assert line["client"] == "127.0.0.1"
    assert set(line) == {"request_id", "method", "path", "status", "duration_ms", "client"}
    everything = caplog.text + "".join(
        r.getMessage() + repr(r.args) + repr(vars(r)) for r in caplog.records
    )
    assert PASSWORD not in everything
    assert "variables" not in everything
    assert code not in everything


# -- media types --------------------------------------------------------------------------------


async def test_with_the_graphql_response_media_type_a_validation_error_is_http_400_without_data(
    client: httpx.AsyncClient,
) -> None:
    # when
    invalid = await client.post(
        "/graphql",
        json={"query": MISSPELT},
        headers={"Accept": "application/graphql-response+json"},
    )
    valid = await client.post(
        "/graphql",
        json={"query": TYPENAME},
        headers={"Accept": "application/graphql-response+json, application/json;q=0.9"},
    )

    # then
    assert invalid.status_code == 400
    assert invalid.headers["content-type"] == "application/graphql-response+json"
    assert "data" not in invalid.json() and invalid.json()["errors"]
    assert valid.status_code == 200
    assert valid.headers["content-type"] == "application/graphql-response+json"
    assert valid.json() == {"data": {"__typename": "Query"}}


async def test_with_plain_json_a_validation_error_is_http_200(client: httpx.AsyncClient) -> None:
    # when
    response = await client.post(
        "/graphql", json={"query": MISSPELT}, headers={"Accept": "application/json"}
    )

    # then
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert "data" not in response.json() and response.json()["errors"]


# -- health -------------------------------------------------------------------------------------


async def test_healthz_answers_200(client: httpx.AsyncClient) -> None:
    # when
    response = await client.get("/healthz")

    # then
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_answers_200_when_the_database_is_at_the_latest_migration(
    client: httpx.AsyncClient,
) -> None:
    # when
    response = await client.get("/readyz")

    # then
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "migration": head_revision()}
