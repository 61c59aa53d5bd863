"""Ids, cursors and documents that a hostile client makes up: answered, never an internal error."""

from __future__ import annotations

import base64
import logging

import httpx
import pytest
from starlette.applications import Starlette

from gql.schema.types.ids import decode_cursor, key_of, parse_global_id, to_global_id
from tests.support.api import gql
from tests.support.factories import APPROVE, add_account, log_in

NODE = "query($id: ID!) { node(id: $id) { __typename id } }"
TWO_OPERATIONS = "query A { __typename } query B { viewer { id } }"


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


MADE_UP_IDS = [
    pytest.param(b64("Viewer:²"), id="superscript-digit"),
    pytest.param(b64("Viewer:٣"), id="arabic-indic-digit"),
    pytest.param(b64("AccessCodeRequest:" + "9" * 25), id="beyond-64-bits"),
    pytest.param(b64("AccessCodeRequest:9223372036854775808"), id="just-beyond-64-bits"),
    pytest.param(b64("Viewer:-1"), id="negative"),
    pytest.param(b64("Viewer: 1"), id="space"),
    pytest.param(b64("Viewer:0"), id="zero"),
    pytest.param("not base64 at all!", id="not-base64"),
    pytest.param(b64("\x00:1"), id="nul-type"),
    pytest.param("", id="empty"),
]


def test_an_id_is_parsed_only_when_it_is_ascii_digits_within_64_bits() -> None:
    assert parse_global_id(to_global_id("Viewer", 42)) == ("Viewer", 42)
    assert parse_global_id(to_global_id("Viewer", 2**63 - 1)) == ("Viewer", 2**63 - 1)
    assert parse_global_id(b64("Viewer:²")) is None
    assert parse_global_id(b64("Viewer:" + "9" * 19)) is None
    assert key_of(to_global_id("Viewer", 7), "AccessCodeRequest") == 0
    assert decode_cursor(base64.urlsafe_b64encode(b"c:12").decode()) == 12
    assert decode_cursor(b64("c:²")) is None


@pytest.mark.parametrize("made_up", MADE_UP_IDS)
async def test_node_with_a_made_up_id_is_null_and_nothing_reaches_the_error_log(
    app: Starlette,
    client: httpx.AsyncClient,
    staff: httpx.AsyncClient,
    made_up: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given
    caplog.set_level(logging.WARNING)
    # when
    as_staff = await gql(staff, NODE, {"id": made_up})
    anonymous = await gql(client, NODE, {"id": made_up})
    # then
    assert as_staff == anonymous == {"data": {"node": None}}
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize("made_up", MADE_UP_IDS)
async def test_approving_a_made_up_request_id_is_not_found(
    staff: httpx.AsyncClient, made_up: str, caplog: pytest.LogCaptureFixture
) -> None:
    # when
    body = await gql(staff, APPROVE, {"input": {"requestId": made_up}})
    # then
    result = body["data"]["staffApproveAccessCodeRequest"]
    assert result["__typename"] == "NotFound"
    assert result["field"] == ["requestId"]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize(
    "document",
    [
        "query($after: String) { staff { accessCodeRequests(after: $after) { edges { cursor } } } }",
        "query($after: String) { staff { auditTrail(after: $after) { edges { cursor } } } }",
    ],
)
@pytest.mark.parametrize("cursor", [b64("c:²"), b64("c:" + "9" * 25), "%%%", b64("x:1")])
async def test_a_made_up_cursor_is_an_invalid_argument_naming_after(
    staff: httpx.AsyncClient, document: str, cursor: str, caplog: pytest.LogCaptureFixture
) -> None:
    # when
    body = await gql(staff, document, {"after": cursor})
    # then
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": ["after"]}
    assert error["message"] == "Deze cursor is ongeldig."
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_two_operations_without_an_operation_name_are_a_request_error_over_post_and_get(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    # given
    await log_in(client, await add_account(app))
    # when
    posted = await client.post(
        "/graphql",
        json={"query": TWO_OPERATIONS},
        headers={"accept": "application/graphql-response+json"},
    )
    got = await client.get(
        "/graphql",
        params={"query": TWO_OPERATIONS},
        headers={"accept": "application/graphql-response+json"},
    )
    chosen = await client.post("/graphql", json={"query": TWO_OPERATIONS, "operationName": "B"})
    # then: no operation ran; with a name, the named one runs
    for response in (posted, got):
        assert response.status_code == 400
        body = response.json()
        assert "data" not in body
        assert "operation name" in body["errors"][0]["message"]
    assert chosen.json()["data"]["viewer"]["id"]


@pytest.mark.parametrize(
    ("language", "message"),
    [("nl", "Het verzoek is te groot."), ("en", "The request body is too large.")],
)
async def test_a_body_too_large_is_answered_in_the_language_of_the_request(
    client: httpx.AsyncClient, language: str, message: str
) -> None:
    # when
    response = await client.post(
        "/graphql",
        content=b'{"query": "' + b"x" * 200_000 + b'"}',
        headers={"content-type": "application/json", "accept-language": language},
    )
    # then
    assert response.status_code == 413
    assert response.json() == {"errors": [{"message": message}]}
