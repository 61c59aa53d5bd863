"""SEPA direct-debit files (pain.008.001.08, the EPC rulebook's ISO 20022 2019 version, the
counterpart of the pain.001.001.09 in `credit_transfers`), written by sepaxml and checked
against the schema before they are used.

As for credit transfers, sepaxml's random message id and system-clock creation time are
replaced by ours (`_Debit`), and the payment blocks, one per sequence type and collection
date (sepaxml groups them so), are named after the message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sepaxml import SepaDD

from gql.services.bank_files.credit_transfers import Account, OurIdentity, schema

SCHEMA = "pain.008.001.08"


@dataclass(frozen=True, slots=True)
class DirectDebit:
    amount_cents: int
    debtor: Account
    mandate_reference: str
    mandate_signed_on: date
    sequence_type: str  # FRST or RCUR
    collection_date: date
    end_to_end_id: str  # what the bank's status report names the transaction by
    remittance: str  # shown on the debtor's bank statement (at most 140 characters)


def direct_debit_file(
    *,
    creditor: Account,
    creditor_id: str,
    message_id: str,
    created_at: datetime,
    debits: list[DirectDebit],
) -> bytes:
    """One file, a payment block per (sequence type, collection date), a transaction each.

    Raises xmlschema's XMLSchemaValidationError when the result does not match the XSD."""
    assert debits and all(d.amount_cents > 0 for d in debits)
    config: dict[str, Any] = {
        "name": creditor.name,
        "IBAN": creditor.iban,
        "batch": True,
        "creditor_id": creditor_id,
        "currency": "EUR",
        "instrument": "CORE",
    }
    if creditor.bic:
        config["BIC"] = creditor.bic
    document = _Debit(config, message_id=message_id, created_at=created_at)
    for debit in debits:
        payment: dict[str, Any] = {
            "name": debit.debtor.name,
            "IBAN": debit.debtor.iban,
            "amount": debit.amount_cents,
            "type": debit.sequence_type,
            "collection_date": debit.collection_date,
            "mandate_id": debit.mandate_reference,
            "mandate_date": debit.mandate_signed_on,
            "description": debit.remittance,
            "endtoend_id": debit.end_to_end_id,
        }
        if debit.debtor.bic:
            payment["BIC"] = debit.debtor.bic
        document.add_payment(payment)
    out: bytes = document.export(validate=False, pretty_print=True)
    schema(SCHEMA).validate(out)
    return out


class _Debit(OurIdentity, SepaDD):  # type: ignore[misc]
    ROOT = "CstmrDrctDbtInitn"
    SCHEMA = SCHEMA
