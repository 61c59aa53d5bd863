"""The import path for files from the bank: only staff (or the command line), only ISO 20022
status reports and notifications, parsed without DTDs, entities or the network, and a file
that refers to nothing of ours is refused with nothing kept."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from gql.cli import main
from gql.clock import FrozenClock
from gql.services.bank_files import records
from tests.bank_files.support import (
    RETURNED_SAMPLE,
    approved_refund,
    bank_files,
    create_payouts,
    fund,
    import_file,
    payout_batches,
    refund_statuses,
    stored_counts,
    valid_against,
)
from tests.payments.support import OTHER_IBAN, PAYER_IBAN, balance, private_client, sqlite_only
from tests.support.api import gql, gql_upload, http_client, make_settings, outbox, running_app
from tests.support.factories import staff_client_login

PAIN_002 = RETURNED_SAMPLE.read_text()
REJECTED_WHOLE = (
    # The whole file rejected (GrpSts RJCT, reason AC01), no transaction named.
    PAIN_002[: PAIN_002.index("    <OrgnlPmtInfAndSts>")]
    .replace(
        "<GrpSts>PART</GrpSts>",
        "<GrpSts>RJCT</GrpSts><StsRsnInf><Rsn><Cd>AC01</Cd></Rsn></StsRsnInf>",
    )
    .replace("INGB-PSR-20261201-000417", "INGB-PSR-20261201-000418")
    + "  </CstmrPmtStsRpt>\n</Document>\n"
)
ANOTHER_REPORT = PAIN_002.replace("REFUND-1<", "REFUND-99<").replace(
    "INGB-PSR-20261201-000417", "INGB-PSR-20261202-000502"
)
UNKNOWN_ORIGINAL = PAIN_002.replace("TGK-CT-FEECBDBFB15B63D159FC", "SOMEONE-ELSES-FILE")
PAIN_001 = (
    '<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09">'
    "<CstmrCdtTrfInitn><GrpHdr><MsgId>X</MsgId></GrpHdr></CstmrCdtTrfInitn></Document>"
)
CAMT_054 = (
    '<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">'
    "<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>NTF-1</MsgId></GrpHdr></BkToCstmrDbtCdtNtfctn>"
    "</Document>"
)
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;">]>'
    '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10">&b;</Document>'
)
EXTERNAL = (
    '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10">&x;</Document>'
)
DEEP = (
    '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10">'
    + "<a>" * 60
    + "</a>" * 60
    + "</Document>"
)

REFUSED = [
    (b"", "InvalidInput", None),
    (b"%PDF-1.7 not a bank file", "UnsupportedBankFile", "geen geldige XML"),
    (b"<html><body>hello</body></html>", "UnsupportedBankFile", "statusrapport (pain.002)"),
    (PAIN_001.encode(), "UnsupportedBankFile", "pain.001.001.09"),
    (LAUGHS.encode(), "UnsafeDocument", "DTD"),
    (EXTERNAL.encode(), "UnsafeDocument", "DTD"),
    (DEEP.encode(), "UnsafeDocument", "40"),
    (UNKNOWN_ORIGINAL.encode(), "UnmatchedBankFile", "SOMEONE-ELSES-FILE"),
    (CAMT_054.encode(), "UnmatchedBankFile", None),  # nothing handles camt.054 yet
]


@sqlite_only
async def test_an_import_refuses_what_is_no_report_on_our_files_and_keeps_nothing(
    app: Starlette, staff: httpx.AsyncClient
) -> None:
    for data, typename, says in REFUSED:
        # when
        result = await import_file(staff, data)

        # then
        assert result["__typename"] == typename, (data[:40], result)
        if typename == "InvalidInput":
            assert [p["field"] for p in result["problems"]] == [["file"]]
        else:
            assert result["field"] == ["file"]
        if says is not None:
            assert says in result["message"], result
    assert result["originalMessageId"] == "-"
    assert await stored_counts(app) == (0, 0)
    assert await bank_files(staff) == []


@sqlite_only
async def test_only_staff_import_bank_files_make_payouts_or_list_them(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    # given: a customer signed in, and nobody
    async with private_client(app) as customer:
        for who in (customer, client):
            # when
            imported = await gql_upload(
                who,
                "mutation($f: Upload!) { staffImportBankFile(input: {file: $f}) { __typename } }",
                {"f": None},
                {"0": ("variables.f", ("s.xml", PAIN_002.encode(), "application/xml"))},
            )
            made = await gql(who, "mutation { staffCreateRefundPayouts(input: {}) { __typename } }")
            listed = await gql(who, "{ staff { bankFiles { edges { node { id } } } } }")

            # then
            code = "FORBIDDEN" if who is customer else "UNAUTHENTICATED"
            for body in (imported.json(), made, listed):
                assert body["errors"][0]["extensions"]["code"] == code, body
    assert await stored_counts(app) == (0, 0)


@sqlite_only
async def test_a_report_rejecting_the_whole_file_returns_every_refund_in_it(
    app: Starlette, staff: httpx.AsyncClient
) -> None:
    # given: refunds 1 and 2 paid out in one file
    async with private_client(app) as client:
        await fund(app, "piet@example.nl", 5000)
        first = await approved_refund(client, staff, 2000, PAYER_IBAN, "P. Pieterse")
        second = await approved_refund(client, staff, 1250, OTHER_IBAN, "P. Pieterse")
        await create_payouts(staff)
        valid_against("pain.002.001.10", REJECTED_WHOLE.encode())

        # when
        result = await import_file(staff, REJECTED_WHOLE.encode())

        # then
        changes = result["bankFile"]["changes"]
        assert [(c["reference"], c["result"], c["reasonCode"]) for c in changes] == [
            ("REFUND-1", "RETURNED", "AC01"),
            ("REFUND-2", "RETURNED", "AC01"),
        ]
        assert await refund_statuses(staff) == {first: "RETURNED", second: "RETURNED"}
        assert (await balance(client))["balanceCents"] == 5000
        mails = [m for m in await outbox(app) if m.template == "refund_returned"]
        assert len(mails) == 2
        assert all("het rekeningnummer klopt niet" in m.body for m in mails)

        # a later report on the same file rejects REFUND-2 again and names one it never held
        later = await import_file(staff, ANOTHER_REPORT.encode())
        assert [
            (c["reference"], c["result"], c["changed"]) for c in later["bankFile"]["changes"]
        ] == [
            ("REFUND-1", "PART", False),
            ("REFUND-2", "RETURNED", False),
            ("REFUND-99", "UNKNOWN", False),
        ]
        assert (await balance(client))["balanceCents"] == 5000
        assert len([m for m in await outbox(app) if m.template == "refund_returned"]) == 2


def test_the_command_line_makes_the_payout_file_and_imports_the_report_once(
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # given: refunds 1 and 2 approved, in a database the command reaches by its settings
    settings = make_settings(sqlite_url, tmp_path / "data")

    async def approve() -> None:
        async with (
            running_app(settings, FrozenClock()) as app,
            http_client(app, ip="10.0.0.9") as staff,
            private_client(app) as client,
        ):
            await staff_client_login(app, staff)
            await fund(app, "piet@example.nl", 5000)
            await approved_refund(client, staff, 2000, PAYER_IBAN, "P. Pieterse")
            await approved_refund(client, staff, 1250, OTHER_IBAN, "P. Pieterse")

    asyncio.run(approve())
    for name in [n for n in os.environ if n.startswith("TOEGANG_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("TOEGANG_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("TOEGANG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TOEGANG_SECRET_KEY", settings.secret_key)
    out = tmp_path / "refunds.xml"

    # when
    main(["refund-payouts", "--out", str(out)])
    made = capsys.readouterr().out
    main(["bank-import", str(RETURNED_SAMPLE)])
    imported = capsys.readouterr().out
    main(["bank-import", str(RETURNED_SAMPLE)])
    again = capsys.readouterr().out
    with pytest.raises(SystemExit, match="no approved refunds"):
        main(["refund-payouts"])

    # then
    valid_against("pain.001.001.09", out.read_bytes())
    assert "TGK-CT-FEECBDBFB15B63D159FC: 2 refunds, €32.50" in made, made
    assert f"written to {out}" in made
    assert "REFUND-2: RETURNED (AC04)" in imported, imported
    assert "REFUND-1: ACCEPTED" in imported
    assert "imported before" in again and "nothing changed" in again

    async def read_back() -> tuple[dict[int, int | None], list[str]]:
        async with running_app(settings, FrozenClock()) as app:
            files = await records.list_bank_files(
                app.state.deps, kind=None, before_id=None, limit=10
            )
            return await payout_batches(app), [f.created_by for f in files]

    batches, created_by = asyncio.run(read_back())
    assert batches == {1: 1, 2: 1}
    assert created_by == ["cli", "cli"]
