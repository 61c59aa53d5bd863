"""Questions to the service centre (seed: "Is het factuuradres door ons niet aangepast? Vul
het vragenformulier in op onze website. Kies het onderwerp 'Bestellingen en facturen'. Geef
het nieuwe én oude factuuradres door."): asked by private and business accounts with a
mailed confirmation, throttled per mailbox; answered once by staff, audited, mailed and
shown with the question; visible only to the account that asked and to staff."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import func, select
from starlette.applications import Starlette

from gql.models.questions import Question
from gql.schema.types.ids import parse_global_id, to_global_id
from tests.payments.support import sqlite_only
from tests.support.api import gql, http_client, outbox
from tests.support.backoffice import audit_rows
from tests.support.factories import add_account, add_company, log_in

ASK = """
mutation Ask($input: AskQuestionInput!) {
  askQuestion(input: $input) {
    __typename
    ... on AskQuestionPayload {
      message
      question {
        id topic topicLabel text status askedAt answer answeredAt answeredBy askedBy kvkNumber
        oldAddress { street houseNumber postalCode city }
        newAddress { street houseNumber postalCode city }
      }
    }
    ... on InvalidInput { problems { field message } }
    ... on Error { code message field }
  }
}
"""

MINE = """
query($status: QuestionStatus, $first: Int, $after: String) {
  questions(status: $status, first: $first, after: $after) {
    edges { node { id topic text status answer answeredAt answeredBy askedBy } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

NODE = """
query($id: ID!) {
  node(id: $id) { __typename ... on Question { id text status answer answeredBy askedBy } }
}
"""

STAFF_LIST = """
query($status: QuestionStatus) {
  staff {
    questions(status: $status) {
      edges { node { id topic text status askedBy kvkNumber newAddress { postalCode } } }
    }
  }
}
"""

ANSWER = """
mutation Answer($input: StaffAnswerQuestionInput!) {
  staffAnswerQuestion(input: $input) {
    __typename
    ... on StaffAnswerQuestionPayload { question { id status answer answeredAt answeredBy } }
    ... on InvalidInput { problems { field message } }
    ... on Error { code message field }
  }
}
"""

TOPICS = "query { questionTopics { topic label needsAddresses } }"

KVK = "12345678"
OLD = {"street": "Lijnmarkt", "houseNumber": "20", "postalCode": "3511kh", "city": "Utrecht"}
NEW = {"street": "Oudegracht", "houseNumber": "112", "postalCode": "3511 AV", "city": "Utrecht"}
TEXT = "Onze factuur ging naar ons oude adres.\nKunt u het factuuradres aanpassen?"


@asynccontextmanager
async def signed_in(
    app: Starlette, *, email: str = "piet@example.nl", ip: str = "127.0.0.1", **account: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """A new account (private unless told), signed in on a client of its own."""
    code = await add_account(app, email=email, **account)
    async with http_client(app, ip=ip) as client:
        assert (await log_in(client, code))["__typename"] == "LogInPayload"
        yield client


async def ask(client: httpx.AsyncClient, **input_: Any) -> dict[str, Any]:
    body = await gql(client, ASK, {"input": {"topic": "OTHER", "text": TEXT, **input_}})
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["askQuestion"]
    return result


async def answer(staff: httpx.AsyncClient, question_id: str, text: str) -> dict[str, Any]:
    body = await gql(staff, ANSWER, {"input": {"questionId": question_id, "answer": text}})
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["staffAnswerQuestion"]
    return result


async def stored_questions(app: Starlette) -> int:
    async with app.state.deps.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(Question)) or 0)


async def test_a_business_account_asks_about_its_invoice_address_with_both_addresses(
    app: Starlette, staff: httpx.AsyncClient
) -> None:
    # given
    await add_company(app, kvk_number=KVK)
    async with signed_in(
        app, usage="BUSINESS", kvk_number=KVK, email="bea@example.nl", name="Bea Bakker"
    ) as client:
        # when
        result = await ask(client, topic="INVOICE_ADDRESS", oldAddress=OLD, newAddress=NEW)
        mine = await gql(client, MINE)
    staff_view = await gql(staff, STAFF_LIST, {"status": "OPEN"})
    # then
    assert result["__typename"] == "AskQuestionPayload", result
    question = result["question"]
    assert (question["topic"], question["status"], question["text"]) == (
        "INVOICE_ADDRESS",
        "OPEN",
        TEXT,
    )
    assert question["topicLabel"] == "Bestellingen en facturen: factuuradres niet aangepast"
    assert question["oldAddress"] == {**OLD, "postalCode": "3511 KH"}
    assert question["newAddress"] == NEW
    assert (question["answer"], question["askedBy"], question["kvkNumber"]) == (None, None, None)
    assert [e["node"]["id"] for e in mine["data"]["questions"]["edges"]] == [question["id"]]
    [listed] = [e["node"] for e in staff_view["data"]["staff"]["questions"]["edges"]]
    assert listed["id"] == question["id"] and listed["kvkNumber"] == KVK
    assert listed["askedBy"].startswith("Bea Bakker (")
    [mail] = await outbox(app)
    assert (mail.recipient, mail.subject) == ("bea@example.nl", "We hebben je vraag ontvangen")
    assert "Kunt u het factuuradres aanpassen?" in mail.body
    assert "Oud factuuradres: Lijnmarkt 20, 3511 KH Utrecht" in mail.body
    assert "Nieuw factuuradres: Oudegracht 112, 3511 AV Utrecht" in mail.body


@sqlite_only
async def test_an_invoice_address_question_without_the_new_address_is_refused_naming_it(
    app: Starlette,
) -> None:
    async with signed_in(app) as client:
        # when
        result = await ask(client, topic="INVOICE_ADDRESS", oldAddress=OLD)
    # then
    assert result["__typename"] == "InvalidInput", result
    assert (result["code"], result["field"]) == ("INVALID_INPUT", ["newAddress"])
    assert [p["field"] for p in result["problems"]] == [["newAddress"]]
    assert "nieuwe" in result["problems"][0]["message"]
    assert await stored_questions(app) == 0
    assert await outbox(app) == []


@sqlite_only
async def test_every_problem_is_named_addresses_for_other_topics_a_bad_postcode_text_limits(
    app: Starlette,
) -> None:
    async with signed_in(app) as client:
        # when
        elsewhere = await ask(client, topic="ORDERS_AND_INVOICES", oldAddress=OLD, newAddress=NEW)
        bad_address = await ask(
            client,
            topic="INVOICE_ADDRESS",
            text="Te kort",
            oldAddress={**OLD, "postalCode": "35119"},
            newAddress=NEW,
        )
        same = await ask(
            client, topic="INVOICE_ADDRESS", oldAddress=OLD, newAddress={**OLD, "city": "UTRECHT"}
        )
        too_long = await ask(client, text="x" * 2001)
        english = await gql(
            client,
            ASK,
            {"input": {"topic": "OTHER", "text": "   \n  "}},
            headers={"accept-language": "en"},
        )
    # then
    assert [p["field"] for p in elsewhere["problems"]] == [["oldAddress"], ["newAddress"]]
    assert [p["field"] for p in bad_address["problems"]] == [["text"], ["oldAddress", "postalCode"]]
    assert "10" in bad_address["problems"][0]["message"]
    assert [p["field"] for p in same["problems"]] == [["newAddress"]]
    assert "gelijk" in same["problems"][0]["message"]
    assert [p["field"] for p in too_long["problems"]] == [["text"]]
    assert "2000" in too_long["problems"][0]["message"]
    problem = english["data"]["askQuestion"]["problems"]
    assert problem == [{"field": ["text"], "message": "This field is required."}]
    assert await stored_questions(app) == 0
    assert await outbox(app) == []


async def test_staff_answer_once_the_answer_is_mailed_shown_and_audited(
    app: Starlette, staff: httpx.AsyncClient
) -> None:
    # given: two questions; the first is answered
    async with signed_in(app, name="Piet Pieterse") as client:
        first = (await ask(client, topic="PAYMENT_METHOD"))["question"]
        second = (await ask(client, topic="ACCESS_CODE"))["question"]
        # when
        answered = await answer(staff, first["id"], "U kunt dit zelf wijzigen.\nGroet, KVK")
        again = await answer(staff, first["id"], "Nog een antwoord")
        unknown = await answer(staff, to_global_id("Question", 10**9), "Onbekend")
        shown = (await gql(client, NODE, {"id": first["id"]}))["data"]["node"]
        open_only = await gql(client, MINE, {"status": "OPEN"})
        everything = await gql(client, MINE, {"first": 1})
        rest = await gql(
            client, MINE, {"after": everything["data"]["questions"]["pageInfo"]["endCursor"]}
        )
    # then
    assert answered["__typename"] == "StaffAnswerQuestionPayload", answered
    assert answered["question"]["status"] == "ANSWERED"
    assert answered["question"]["answeredBy"] == "Sam Medewerker"
    assert (again["__typename"], again["code"], again["field"]) == (
        "InvalidState",
        "INVALID_STATE",
        ["questionId"],
    )
    assert unknown["__typename"] == "NotFound"
    assert shown == {
        "__typename": "Question",
        "id": first["id"],
        "text": TEXT,
        "status": "ANSWERED",
        "answer": "U kunt dit zelf wijzigen.\nGroet, KVK",
        "answeredBy": "Sam Medewerker",
        "askedBy": None,
    }
    assert [e["node"]["id"] for e in open_only["data"]["questions"]["edges"]] == [second["id"]]
    page = everything["data"]["questions"]
    assert [e["node"]["id"] for e in page["edges"]] == [second["id"]]  # newest first
    assert page["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["id"] for e in rest["data"]["questions"]["edges"]] == [first["id"]]
    mails = [m for m in await outbox(app) if m.template == "question_answered"]
    assert len(mails) == 1
    assert mails[0].recipient == "piet@example.nl"
    assert "U kunt dit zelf wijzigen.\nGroet, KVK" in mails[0].body
    assert "Betaalwijze en tegoed" in mails[0].body
    key = parse_global_id(first["id"])
    assert key is not None
    [event] = [e for e in await audit_rows(app) if e.action == "question.answered"]
    assert event.subject == f"question:{key[1]}"
    assert "wijzigen" not in event.details  # free text stays on the question


async def test_two_answers_at_once_one_is_given_mailed_and_audited_the_other_is_invalid_state(
    app: Starlette, staff: httpx.AsyncClient
) -> None:
    # given
    async with signed_in(app) as client:
        question = (await ask(client))["question"]
    # when
    results = await asyncio.gather(
        answer(staff, question["id"], "Eerste antwoord"),
        answer(staff, question["id"], "Tweede antwoord"),
    )
    # then
    assert sorted(r["__typename"] for r in results) == [
        "InvalidState",
        "StaffAnswerQuestionPayload",
    ]
    [given] = [r["question"]["answer"] for r in results if "question" in r]
    assert len([m for m in await outbox(app) if m.template == "question_answered"]) == 1
    assert len([e for e in await audit_rows(app) if e.action == "question.answered"]) == 1
    async with app.state.deps.db.read() as session:
        assert await session.scalar(select(Question.answer)) == given


@sqlite_only
async def test_a_question_is_only_for_its_account_and_staff_and_staff_ask_none(
    app: Starlette, staff: httpx.AsyncClient
) -> None:
    # given
    async with signed_in(app) as owner:
        question = (await ask(owner))["question"]
    async with signed_in(app, email="vera@example.nl", ip="203.0.113.7") as other:
        # when
        seen_by_other = await gql(other, NODE, {"id": question["id"]})
        others_list = await gql(other, MINE)
        staff_list = await gql(other, STAFF_LIST)
        other_answers = await gql(
            other, ANSWER, {"input": {"questionId": question["id"], "answer": "Zelf gedaan"}}
        )
    async with http_client(app) as anonymous:
        anonymous_ask = await gql(anonymous, ASK, {"input": {"topic": "OTHER", "text": TEXT}})
        anonymous_list = await gql(anonymous, MINE)
        topics = await gql(anonymous, TOPICS, headers={"accept-language": "en"})
    staff_ask = await gql(staff, ASK, {"input": {"topic": "OTHER", "text": TEXT}})
    staff_mine = await gql(staff, MINE)
    seen_by_staff = await gql(staff, NODE, {"id": question["id"]})
    # then
    assert seen_by_other == {"data": {"node": None}}
    assert others_list["data"]["questions"]["edges"] == []
    assert staff_list["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert other_answers["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert anonymous_ask["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert anonymous_list["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert staff_ask["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert staff_mine["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert seen_by_staff["data"]["node"]["askedBy"].startswith("Piet Pieterse (")
    options = topics["data"]["questionTopics"]
    assert {o["topic"] for o in options} == {
        "ACCESS_CODE",
        "ORDERS_AND_INVOICES",
        "INVOICE_ADDRESS",
        "PAYMENT_METHOD",
        "ANNUAL_ACCOUNTS",
        "OTHER",
    }
    assert [o["topic"] for o in options if o["needsAddresses"]] == ["INVOICE_ADDRESS"]
    assert {o["topic"]: o["label"] for o in options}["ORDERS_AND_INVOICES"] == (
        "Orders and invoices"
    )
    assert await stored_questions(app) == 1


@sqlite_only
async def test_the_sixth_question_within_an_hour_is_rate_limited_and_sends_nothing(
    app: Starlette, clock: Any
) -> None:
    async with signed_in(app) as client:
        for _ in range(5):
            assert (await ask(client))["__typename"] == "AskQuestionPayload"
            clock.advance(minutes=10)
        # when
        sixth = await gql(client, ASK, {"input": {"topic": "OTHER", "text": TEXT}})
        clock.advance(minutes=11)  # just over an hour after the first
        seventh = await ask(client)
    # then
    [error] = sixth["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert "retryAfter" in error["extensions"]
    assert seventh["__typename"] == "AskQuestionPayload"
    assert await stored_questions(app) == 6
    assert len(await outbox(app)) == 6
