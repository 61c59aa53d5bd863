"""The audit trail: every staff action, read-only, refused by the database when changed."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from gql.schema.types.ids import parse_global_id
from tests.support.api import gql
from tests.support.backoffice import (
    AUDIT_TRAIL,
    KVK,
    MUTATION_FIELDS,
    NEW_POSTAL,
    RECORD_ADDRESS,
    STAFF_IP,
    STAFF_VIEWER,
    add_request,
    audit_rows,
    post,
    request_ids,
)
from tests.support.factories import (
    APPROVE,
    REJECT,
    add_company,
)

# --- The audit trail ----------------------------------------------------------------------------


async def test_every_staff_action_is_in_the_audit_trail_with_who_what_when_where_and_request_id(
    app, staff, clock
):
    # given: two pending requests
    await add_company(app)
    await add_request(app, "bea@example.nl")
    await add_request(app, "kees@example.nl")
    ids = await request_ids(staff)
    staff_id = (await gql(staff, STAFF_VIEWER))["data"]["viewer"]["id"]
    # when
    approved, approve_rid = await post(
        staff, APPROVE, {"input": {"requestId": ids["bea@example.nl"]}}
    )
    rejected, reject_rid = await post(
        staff, REJECT, {"input": {"requestId": ids["kees@example.nl"], "reason": "Geen relatie"}}
    )
    moved, address_rid = await post(
        staff, RECORD_ADDRESS, {"input": {"kvkNumber": KVK, "postalAddress": NEW_POSTAL}}
    )
    trail = await gql(staff, AUDIT_TRAIL)
    # then
    assert approved["data"]["staffApproveAccessCodeRequest"]["__typename"] == (
        "StaffApproveAccessCodeRequestPayload"
    )
    assert rejected["data"]["staffRejectAccessCodeRequest"]["__typename"] == (
        "StaffRejectAccessCodeRequestPayload"
    )
    assert moved["data"]["staffRecordAddressChange"]["__typename"] == (
        "StaffRecordAddressChangePayload"
    )
    nodes = [e["node"] for e in trail["data"]["staff"]["auditTrail"]["edges"]]
    bea_pk = parse_global_id(ids["bea@example.nl"])
    kees_pk = parse_global_id(ids["kees@example.nl"])
    assert bea_pk is not None and kees_pk is not None
    # Newest first.
    assert [(n["action"], n["subject"], n["requestId"]) for n in nodes] == [
        ("register.address_changed", f"company:{KVK}", address_rid),
        ("access_code_request.rejected", f"access_code_request:{kees_pk[1]}", reject_rid),
        ("access_code_request.approved", f"access_code_request:{bea_pk[1]}", approve_rid),
    ]
    assert {n["actorId"] for n in nodes} == {staff_id}
    assert {n["clientIp"] for n in nodes} == {STAFF_IP}
    assert {datetime.fromisoformat(n["at"]) for n in nodes} == {clock.now()}
    assert "3500 AA" in nodes[0]["details"]
    # free text is kept on the request, not in the append-only trail
    assert "Geen relatie" not in nodes[1]["details"]
    assert "rejection_reason" in nodes[1]["details"]
    assert "delivered by POST" in nodes[2]["details"]


# Every mutation of the schema, on purpose: a new one fails the test below until it is
# added here, saying what it does to the audit trail. None may change or remove an event.
MUTATIONS = {
    "requestAccessCode": "customer",
    "logIn": "customer",
    "logOut": "customer",
    "refreshSession": "customer (device session)",
    "endSession": "customer",
    "endOtherSessions": "customer",
    "changePassword": "customer",
    "requestPasswordReset": "customer",
    "resetPassword": "customer",
    "requestNewAccessCode": "customer",
    "confirmNewAccessCode": "customer",
    "fileAnnualReport": "customer",
    "topUp": "customer",
    "placeOrder": "customer",
    "buyCertifiedExtract": "anonymous purchase",
    "requestRefund": "customer",
    "changePaymentMethod": "customer",
    "askQuestion": "customer",
    "requestDigitalInvoices": "customer",
    "changeInvoiceEmail": "customer",
    "requestInvoiceCopy": "customer",
    "staffApproveRefund": "staff: appends one event",
    "staffRejectRefund": "staff: appends one event",
    "staffApproveAccessCodeRequest": "staff: appends one event",
    "staffRejectAccessCodeRequest": "staff: appends one event",
    "staffRecordAddressChange": "staff: appends one event",
    "staffScheduleMaintenance": "staff: appends one event",
    "staffCancelMaintenance": "staff: appends one event",
    "staffDeactivateAccessCode": "staff: appends one event",
    "staffMakeMainUser": "staff: appends one event",
    "staffAnswerQuestion": "staff: appends one event",
    "staffCreateRefundPayouts": "staff: appends one event",
    "staffImportBankFile": "staff: appends one event",
    "staffRunInvoices": "staff: appends one event",
    "staffCreateCollections": "staff: appends one event",
    "staffRecordTransfer": "staff: appends one event",
}


async def test_every_mutation_is_listed_on_purpose_and_every_staff_mutation_appends_an_event(
    client,
):
    # when
    body = await gql(client, MUTATION_FIELDS)
    # then
    names = {f["name"] for f in body["data"]["__type"]["fields"]}
    assert names == set(MUTATIONS)
    for name, kind in MUTATIONS.items():
        assert name.startswith("staff") == (kind == "staff: appends one event"), name


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param("UPDATE audit_event SET action = 'nothing.happened'", id="update"),
        pytest.param("DELETE FROM audit_event", id="delete"),
        # SQLite has no TRUNCATE (its DELETE without WHERE is covered above).
        pytest.param("TRUNCATE audit_event", id="truncate"),
    ],
)
async def test_the_database_refuses_to_change_or_remove_audit_events(
    app, staff, statement, backend
):
    if statement.startswith("TRUNCATE") and backend == "sqlite":
        pytest.skip("SQLite has no TRUNCATE statement")
    # given: one audit event
    await add_company(app)
    body = await gql(
        staff, RECORD_ADDRESS, {"input": {"kvkNumber": KVK, "postalAddress": NEW_POSTAL}}
    )
    assert (
        body["data"]["staffRecordAddressChange"]["__typename"] == "StaffRecordAddressChangePayload"
    )
    [before] = await audit_rows(app)
    # when / then
    with pytest.raises(DBAPIError, match="append-only"):
        async with app.state.deps.db.write() as session:
            await session.execute(text(statement))
            await session.commit()
    [after] = await audit_rows(app)
    assert after == before
    assert after.action == "register.address_changed"
