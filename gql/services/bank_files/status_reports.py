"""The bank's status report (pain.002) on a file the service made, read for its importers.

A status may be given per transaction, per payment information block, or for the whole
file (GrpSts: RJCT rejects every transaction in it). `outcomes` resolves that against the
original file, which lists every transaction under its block: each end-to-end id of the
original gets the most specific status and reason the report gives, or none.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree.ElementTree import Element

from gql.models.bank_files import BankFileKind
from gql.services.bank_files.documents import BankDocument

#: ISO 20022 ExternalPaymentTransactionStatus1Code values that mean "will not be paid".
REJECTED = "RJCT"


@dataclass(frozen=True, slots=True)
class Status:
    code: str  # ACCP, ACSC, ACTC, PDNG, RJCT, PART, ...
    reason: str | None  # StsRsnInf/Rsn/Cd, e.g. AC04


@dataclass(frozen=True, slots=True)
class BlockStatus:
    original_id: str  # OrgnlPmtInfId
    status: Status | None
    transactions: dict[str, Status]  # OrgnlEndToEndId -> its status


@dataclass(frozen=True, slots=True)
class StatusReport:
    message_id: str
    original_message_id: str
    original_message_name: str  # pain.001.001.09, pain.008.001.08, ...
    group_status: Status | None
    blocks: list[BlockStatus]

    @property
    def original_kind(self) -> BankFileKind | None:
        return {
            "pain.001": BankFileKind.PAIN_001,
            "pain.008": BankFileKind.PAIN_008,
        }.get(self.original_message_name[:8])

    def outcomes(self, original: BankDocument) -> dict[str, Status | None]:
        """Every transaction of the original file (end-to-end id) and its reported status,
        then any the report names that the original does not hold."""
        found: dict[str, Status | None] = {}
        blocks = {block.original_id: block for block in self.blocks}
        # Transactions reported without their block (allowed) count too.
        loose = {e2e: s for block in self.blocks for e2e, s in block.transactions.items()}
        for block_id, end_to_end_ids in transactions_by_block(original).items():
            block = blocks.get(block_id)
            for e2e in end_to_end_ids:
                if block is not None and e2e in block.transactions:
                    found[e2e] = block.transactions[e2e]
                elif e2e in loose:
                    found[e2e] = loose[e2e]
                elif block is not None and block.status is not None:
                    found[e2e] = block.status
                else:
                    found[e2e] = self.group_status
        # Reported but not in the original file: kept, so the importer can say so.
        found.update({e2e: s for e2e, s in loose.items() if e2e not in found})
        return found


def read_status_report(document: BankDocument) -> StatusReport:
    """The statuses in a pain.002 (any version: the element names are the same since .03)."""
    assert document.kind is BankFileKind.PAIN_002
    message = document.message
    if message is None:
        return StatusReport(document.message_id, "", "", None, [])
    group = document.find(message, "OrgnlGrpInfAndSts")
    blocks = [
        BlockStatus(
            original_id=document.text(block, "OrgnlPmtInfId"),
            status=_status(document, block, "PmtInfSts"),
            transactions={
                document.text(tx, "OrgnlEndToEndId"): status
                for tx in document.findall(block, "TxInfAndSts")
                if (status := _status(document, tx, "TxSts")) is not None
            },
        )
        for block in document.findall(message, "OrgnlPmtInfAndSts")
    ]
    return StatusReport(
        message_id=document.message_id,
        original_message_id=document.text(group, "OrgnlMsgId") if group is not None else "",
        original_message_name=document.text(group, "OrgnlMsgNmId") if group is not None else "",
        group_status=_status(document, group, "GrpSts") if group is not None else None,
        blocks=blocks,
    )


def transactions_by_block(original: BankDocument) -> dict[str, list[str]]:
    """PmtInfId -> the end-to-end ids of its transactions, in a pain.001 or pain.008."""
    message = original.message
    if message is None:
        return {}
    transaction = "CdtTrfTxInf" if original.kind is BankFileKind.PAIN_001 else "DrctDbtTxInf"
    return {
        original.text(block, "PmtInfId"): [
            original.text(tx, "PmtId", "EndToEndId") for tx in original.findall(block, transaction)
        ]
        for block in original.findall(message, "PmtInf")
    }


def _status(document: BankDocument, element: Element, name: str) -> Status | None:
    code = document.text(element, name)
    if not code:
        return None
    reason = document.text(element, "StsRsnInf", "Rsn", "Cd") or None
    return Status(code=code, reason=reason)
