"""Staff record registered address changes; the next letter follows them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gql.models.outbox import OutboxMessage
from gql.models.register import Company
from tests.support.api import gql, outbox
from tests.support.backoffice import (
    KVK,
    NEW_POSTAL,
    RECORD_ADDRESS,
    add_request,
    audit_rows,
    request_ids,
)
from tests.support.factories import (
    APPROVE,
    add_company,
)

# --- Register changes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("postal_code", "field"),
    [
        pytest.param("123 AB", ["postalAddress", "postalCode"], id="three-digits"),
        pytest.param("0123 AB", ["postalAddress", "postalCode"], id="leading-zero"),
        pytest.param("1234 A8", ["postalAddress", "postalCode"], id="digit-for-letter"),
        pytest.param("1234 ABC", ["postalAddress", "postalCode"], id="three-letters"),
    ],
)
async def test_an_address_change_with_a_malformed_postal_code_is_refused(
    app, staff, postal_code, field
):
    # given
    await add_company(app)
    # when
    body = await gql(
        staff,
        RECORD_ADDRESS,
        {"input": {"kvkNumber": KVK, "postalAddress": {**NEW_POSTAL, "postalCode": postal_code}}},
    )
    # then
    result = body["data"]["staffRecordAddressChange"]
    assert result["__typename"] == "InvalidInput"
    assert result["code"] == "INVALID_INPUT"
    assert result["field"] == field
    assert await audit_rows(app) == []
    async with app.state.deps.db.read() as session:
        company = await session.get(Company, KVK)
    assert company is not None
    assert company.postal_code is None


async def test_an_address_change_for_an_unknown_kvk_number_is_not_found(app, staff):
    # given: no company 87654321 in the register
    await add_company(app)
    # when
    body = await gql(
        staff, RECORD_ADDRESS, {"input": {"kvkNumber": "87654321", "postalAddress": NEW_POSTAL}}
    )
    # then
    result = body["data"]["staffRecordAddressChange"]
    assert result["__typename"] == "NotFound"
    assert result["code"] == "NOT_FOUND"
    assert result["field"] == ["kvkNumber"]
    assert await audit_rows(app) == []


async def test_after_an_address_change_the_next_letter_goes_to_the_new_address(app, staff):
    # given: a company with only a visiting address, and a request by a non-register e-mail
    await add_company(app)
    await add_request(app)
    # when: staff record a new postal address, then approve
    recorded = await gql(
        staff, RECORD_ADDRESS, {"input": {"kvkNumber": KVK, "postalAddress": NEW_POSTAL}}
    )
    [request_id] = (await request_ids(staff)).values()
    approved = await gql(staff, APPROVE, {"input": {"requestId": request_id}})
    # then
    company = recorded["data"]["staffRecordAddressChange"]["company"]
    assert company["postalAddress"] == {
        "street": "Postbus",
        "houseNumber": "500",
        "postalCode": "3500 AA",
        "city": "Utrecht",
    }
    assert company["visitingAddress"]["street"] == "Kerkstraat"
    assert approved["data"]["staffApproveAccessCodeRequest"]["request"]["deliveredBy"] == "POST"
    letters = [m for m in await outbox(app) if m.channel == "POST"]
    assert [m.address for m in letters] == ["Testbedrijf B.V.\nPostbus 500\n3500 AA Utrecht"]


async def test_removing_the_postal_address_sends_the_next_letter_to_the_visiting_address(
    app, staff
):
    # given: a company with a postal address
    await add_company(app, postal=("Postbus", "1020", "7400 BA", "Deventer"))
    await add_request(app)
    # when
    removed = await gql(
        staff, RECORD_ADDRESS, {"input": {"kvkNumber": KVK, "removePostalAddress": True}}
    )
    [request_id] = (await request_ids(staff)).values()
    await gql(staff, APPROVE, {"input": {"requestId": request_id}})
    # then
    assert removed["data"]["staffRecordAddressChange"]["company"]["postalAddress"] is None
    async with app.state.deps.db.read() as session:
        [letter] = (
            await session.execute(select(OutboxMessage).where(OutboxMessage.channel == "POST"))
        ).scalars()
    assert letter.address == "Testbedrijf B.V.\nKerkstraat 1\n1234 AB Amsterdam"
