"""An e-mail address is one plain `local@domain`: no lists, names, quotes or comments.

Address-list syntax let one request reach two mailboxes ('intern,victim@x.nl') or one
mailbox under many strings ('"1"<victim@x.nl>', '"2"<victim@x.nl>'), slipping past the
per-target mail limit. Addresses are stored lower-cased; '+tag' variants share a limit.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette

from gql import i18n
from gql.models.accounts import AccessCodeRequest, Account
from gql.services.shared.errors import Problems
from gql.services.shared.validation import email_field, mailbox_key
from tests.support.api import gql, outbox
from tests.support.factories import PASSWORD, add_account, add_company

KVK = "12345678"

REQUEST_ACCESS_CODE = """
mutation RequestAccessCode($input: RequestAccessCodeInput!) {
  requestAccessCode(input: $input) {
    __typename
    ... on InvalidInput { code field problems { field message } }
  }
}
"""

REQUEST_NEW_CODE = """
mutation RequestNewCode($input: RequestNewAccessCodeInput!) {
  requestNewAccessCode(input: $input) {
    __typename
    ... on InvalidInput { code field problems { field message } }
  }
}
"""

# Each a way to name more than one mailbox, or one mailbox under another string.
NOT_ONE_ADDRESS = [
    "intern,victim@x.nl",
    '"1"<victim@x.nl>',
    "Victim <victim@x.nl>",
    "intern@x.nl; victim@x.nl",
    "victim(comment)@x.nl",
    '"victim"@x.nl',
    "victim@x.nl\r\nBcc: intern@x.nl",
    "vic tim@x.nl",
    "victim@[127.0.0.1]",
]
# Each no address at all.
NO_ADDRESS = [
    "victim",
    "victim@x",
    ".victim@x.nl",
    "vic..tim@x.nl",
    "victim.@x.nl",
    "victim@-x.nl",
    "victim@x-.nl",
    "victim@x..nl",
    "victim@x.nl@y.nl",
    "@x.nl",
    "zoë@x.nl",
    "victim@x.nl\u200b",
    "victim@x.n",
    "v" * 65 + "@x.nl",
    "victim@" + "d" * 63 + "." + "d" * 63 + "." + "d" * 63 + "." + "d" * 57 + ".nl",
]


def msg(key: str) -> str:
    return i18n.text(key, "nl")


def problem_key(value: str) -> str | None:
    problems = Problems()
    email_field(problems, "email", value)
    keys = [p.message_key for p in problems.items]
    assert len(keys) <= 1, keys
    return keys[0] if keys else None


# --- The rule ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("anna@x.nl", "anna@x.nl"),
        ("  Anna.De.Vries@Example.NL ", "anna.de.vries@example.nl"),
        ("anna+kvk@mail.x-y.nl", "anna+kvk@mail.x-y.nl"),
        ("o'brien@x.nl", "o'brien@x.nl"),
        ("a!#$%&'*+/=?^_`{|}~-z@x.nl", "a!#$%&'*+/=?^_`{|}~-z@x.nl"),
        ("1@2.nl", "1@2.nl"),
        ("v" * 64 + "@x.nl", "v" * 64 + "@x.nl"),
        ("v@" + "d" * 63 + ".nl", "v@" + "d" * 63 + ".nl"),
    ],
)
def test_one_plain_address_is_accepted_and_kept_lower_cased(typed: str, stored: str) -> None:
    # given
    problems = Problems()
    # when
    cleaned = email_field(problems, "email", typed)
    # then
    assert (cleaned, problems.items) == (stored, [])


@pytest.mark.parametrize("typed", NOT_ONE_ADDRESS)
def test_address_list_name_quote_and_comment_syntax_is_refused_as_not_one_address(
    typed: str,
) -> None:
    assert problem_key(typed) == "email_one_address"


@pytest.mark.parametrize("typed", NO_ADDRESS)
def test_a_malformed_address_is_refused(typed: str) -> None:
    assert problem_key(typed) == "email_invalid"


def test_an_empty_address_is_required() -> None:
    assert problem_key("   ") == "required"


def test_the_address_is_at_most_254_characters() -> None:
    longest = "v@" + ".".join(["d" * 63] * 3) + "." + "d" * 60
    assert (len(longest), problem_key(longest)) == (254, None)
    assert problem_key(longest + "d") == "email_invalid"


@pytest.mark.parametrize(
    ("address", "mailbox"),
    [
        ("anna@x.nl", "anna@x.nl"),
        ("Anna+1@X.nl", "anna@x.nl"),
        ("anna+kvk+2@x.nl", "anna@x.nl"),
        ("+anna@x.nl", "+anna@x.nl"),
    ],
)
def test_the_mailbox_of_an_address_leaves_out_its_plus_tag(address: str, mailbox: str) -> None:
    assert mailbox_key(address) == mailbox


# --- Over the API ------------------------------------------------------------------------------


def private_application(email: str) -> dict[str, Any]:
    return {"usage": "PRIVATE", "name": "Anna de Vries", "email": email, "password": PASSWORD}


MUTATIONS = {
    "requestAccessCode": (REQUEST_ACCESS_CODE, private_application),
    "requestNewAccessCode": (REQUEST_NEW_CODE, lambda email: {"email": email}),
}


@pytest.mark.parametrize("mutation", MUTATIONS)
async def test_address_lists_and_other_bad_forms_are_refused_and_nothing_is_queued(
    app: Starlette, client: httpx.AsyncClient, mutation: str
) -> None:
    # given: the victim's account, whom a list or a quoted name would also reach
    await add_account(app, email="victim@x.nl")
    document, make_input = MUTATIONS[mutation]
    bad = {
        "intern,victim@x.nl": "email_one_address",
        '"1"<victim@x.nl>': "email_one_address",
        '"2"<victim@x.nl>': "email_one_address",
        "Victim <victim@x.nl>": "email_one_address",
        "victim@x.nl\r\nBcc: intern@x.nl": "email_one_address",
        '"victim"@x.nl': "email_one_address",
        "vic..tim@x.nl": "email_invalid",
        "zoë@x.nl": "email_invalid",
    }
    answers = {}
    # when
    for typed in bad:
        body = await gql(client, document, {"input": make_input(typed)})
        result = body["data"][mutation]
        answers[typed] = (result["__typename"], result["code"], result["field"], result["problems"])
    # then
    assert answers == {
        typed: (
            "InvalidInput",
            "INVALID_INPUT",
            ["email"],
            [{"field": ["email"], "message": msg(key)}],
        )
        for typed, key in bad.items()
    }
    assert await outbox(app) == []


async def test_an_address_typed_in_upper_case_is_stored_and_mailed_lower_cased(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    # given
    await add_company(app)
    business = {
        "usage": "BUSINESS",
        "name": "Bea Bakker",
        "email": "Bea.Bakker@Example.NL",
        "password": PASSWORD,
        "kvkNumber": KVK,
        "mandate": {
            "iban": "NL91ABNA0417164300",
            "accountHolder": "Testbedrijf B.V.",
            "consent": True,
        },
    }
    # when
    private = await gql(
        client, REQUEST_ACCESS_CODE, {"input": private_application("Anna.De.Vries@Example.NL")}
    )
    queued = await gql(client, REQUEST_ACCESS_CODE, {"input": business})
    # then
    assert private["data"]["requestAccessCode"]["__typename"] == "RequestAccessCodePayload"
    assert queued["data"]["requestAccessCode"]["__typename"] == "RequestAccessCodePayload"
    async with app.state.deps.db.read() as session:
        accounts = (await session.execute(select(Account.email))).scalars().all()
        requests = (await session.execute(select(AccessCodeRequest.email))).scalars().all()
    assert (accounts, requests) == (["anna.de.vries@example.nl"], ["bea.bakker@example.nl"])
    assert [m.recipient for m in await outbox(app)] == [
        "anna.de.vries@example.nl",
        "bea.bakker@example.nl",
    ]


SERIES = {
    "one-address": ["anna@x.nl"] * 6,
    "plus-tags": [f"anna+{n}@x.nl" for n in range(1, 7)],
}


@pytest.mark.parametrize("series", SERIES)
async def test_plus_tags_of_one_mailbox_share_its_five_access_code_mails_an_hour(
    app: Starlette, client: httpx.AsyncClient, series: str
) -> None:
    # given: five requests for codes, each mailed at once
    first, sixth = SERIES[series][:5], SERIES[series][5]
    for email in first:
        body = await gql(client, REQUEST_ACCESS_CODE, {"input": private_application(email)})
        assert body["data"]["requestAccessCode"]["__typename"] == "RequestAccessCodePayload"
    # when
    body = await gql(client, REQUEST_ACCESS_CODE, {"input": private_application(sixth)})
    # then
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert len(await outbox(app)) == 5


@pytest.mark.parametrize("series", SERIES)
async def test_plus_tags_of_one_mailbox_share_its_five_new_code_mails_an_hour(
    app: Starlette, client: httpx.AsyncClient, series: str
) -> None:
    # given: an account at each address, and five new-code requests, each mailed
    addresses = SERIES[series]
    for email in sorted(set(addresses)):
        await add_account(app, email=email)
    for email in addresses[:5]:
        body = await gql(client, REQUEST_NEW_CODE, {"input": {"email": email}})
        assert body["data"]["requestNewAccessCode"]["__typename"] == "RequestNewAccessCodePayload"
    assert len(await outbox(app)) == 5
    # when
    body = await gql(client, REQUEST_NEW_CODE, {"input": {"email": addresses[5]}})
    # then: the usual answer (nobody can lock another out this way), but no sixth mail
    assert body["data"]["requestNewAccessCode"]["__typename"] == "RequestNewAccessCodePayload"
    assert len(await outbox(app)) == 5
