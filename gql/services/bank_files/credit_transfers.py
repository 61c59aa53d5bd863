"""SEPA credit-transfer files (pain.001.001.09, the EPC rulebook's ISO 20022 2019 version),
written by sepaxml, which also validates each file against the schema before it is used.

sepaxml (2.7.0) takes its message id and creation time from the system (a random id, the
local clock); ours are needed instead: the message id is what the bank's status report
refers to, and the time is the service's clock. `_Transfer` sets both in the group header
that sepaxml has just built, and names the payment blocks after the message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import sepaxml
from sepaxml import SepaTransfer

from gql.services.shared.formatting import AMSTERDAM

SCHEMA = "pain.001.001.09"


@dataclass(frozen=True, slots=True)
class Account:
    """A party's bank account: the debtor (the register) or a creditor (a customer)."""

    name: str
    iban: str
    bic: str | None = None


@dataclass(frozen=True, slots=True)
class CreditTransfer:
    amount_cents: int
    creditor: Account
    end_to_end_id: str  # what the bank's status report names the transaction by
    remittance: str  # shown on the creditor's bank statement (at most 140 characters)


def credit_transfer_file(
    *,
    debtor: Account,
    message_id: str,
    created_at: datetime,
    execution_date: date,
    transfers: list[CreditTransfer],
) -> bytes:
    """One file, one payment block executed on `execution_date`, a transaction each.

    Raises xmlschema's XMLSchemaValidationError when the result does not match the XSD."""
    assert transfers and all(t.amount_cents > 0 for t in transfers)
    config: dict[str, Any] = {
        "name": debtor.name,
        "IBAN": debtor.iban,
        "batch": True,
        "currency": "EUR",
    }
    if debtor.bic:
        config["BIC"] = debtor.bic
    document = _Transfer(config, message_id=message_id, created_at=created_at)
    for transfer in transfers:
        payment: dict[str, Any] = {
            "name": transfer.creditor.name,
            "IBAN": transfer.creditor.iban,
            "amount": transfer.amount_cents,
            "execution_date": execution_date,
            "description": transfer.remittance,
            "endtoend_id": transfer.end_to_end_id,
        }
        if transfer.creditor.bic:
            payment["BIC"] = transfer.creditor.bic
        document.add_payment(payment)
    out: bytes = document.export(validate=False, pretty_print=True)
    # sepaxml's own check (export(validate=True)) loads the schema anew each time, which
    # takes about half a second; the same check with the schema loaded once.
    schema(SCHEMA).validate(out)
    return out


@cache
def schema(name: str) -> Any:
    """sepaxml's copy of an XSD (e.g. pain.001.001.09), loaded once by xmlschema."""
    import xmlschema  # here, as sepaxml does: slow to import, and only files made need it

    return xmlschema.XMLSchema(str(Path(sepaxml.__file__).parent / "schemas" / f"{name}.xsd"))


class OurIdentity:
    """Mixed into a sepaxml document: our message id and creation time, and payment blocks
    named after the message (sepaxml makes random ids and reads the system clock)."""

    ROOT = ""  # the document's root element
    SCHEMA = ""  # the sepaxml schema name
    _xml: Any
    msg_id: str

    def __init__(self, config: dict[str, Any], *, message_id: str, created_at: datetime) -> None:
        self._message_id = message_id
        self._created_at = created_at
        # clean=True: names and texts transliterated to the SEPA character set and cut to
        # their maximum lengths (70 and 140).
        super().__init__(config, schema=self.SCHEMA, clean=True)  # type: ignore[call-arg]

    def _finalize_batch(self) -> None:
        super()._finalize_batch()  # type: ignore[misc]
        root = self._xml.find(self.ROOT)
        for number, block in enumerate(root.findall("PmtInf"), start=1):
            block.find("PmtInfId").text = f"{self._message_id}-{number}"

    def _create_header(self) -> None:
        super()._create_header()  # type: ignore[misc]
        header = self._xml.find(self.ROOT).find("GrpHdr")
        header.find("MsgId").text = self._message_id
        # Local time with its offset: what people at the bank read.
        header.find("CreDtTm").text = self._created_at.astimezone(AMSTERDAM).isoformat(
            timespec="seconds"
        )
        self.msg_id = self._message_id


class _Transfer(OurIdentity, SepaTransfer):  # type: ignore[misc]
    ROOT = "CstmrCdtTrfInitn"
    SCHEMA = SCHEMA
