"""Resolvers of the bank files (staff): list them, import one, make the refund payouts."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gql import i18n
from gql.context import Context
from gql.models.bank_files import BankFile as BankFileRow
from gql.models.bank_files import BankFileKind
from gql.resolvers.common import (
    AFTER,
    FIRST,
    INPUT,
    Inf,
    connection,
    download_link,
    mutation,
    page_args,
    require_staff,
)
from gql.resolvers.node import register_node
from gql.schema.types import bank_files as t
from gql.schema.types.common import Connection
from gql.schema.types.ids import to_global_id
from gql.services.bank_files import imports, records
from gql.services.ledger import payouts
from gql.services.shared.formatting import format_cents, format_moment
from gql.uploads import UploadedFile


def bank_file_type(ctx: Context, view: records.BankFileView) -> t.BankFile:
    url, expires = download_link(ctx, view.file_id)
    return t.BankFile(
        id=to_global_id("BankFile", view.id),
        kind=t.BankFileKind(view.kind.value),
        direction=t.BankFileDirection(view.direction.value),
        message_id=view.message_id,
        original_message_id=view.original_message_id,
        created_at=view.created_at,
        created_by=view.created_by,
        filename=view.filename,
        size=view.size,
        sha256=view.sha256,
        transaction_count=view.transactions,
        total_cents=view.total_cents,
        changes=[
            t.BankFileChange(
                reference=c.reference, result=c.result, reason_code=c.reason, changed=c.changed
            )
            for c in view.changes
        ],
        download_url=url,
        download_expires_at=expires,
    )


async def staff_import_bank_file(
    info: Inf, input: Annotated[t.StaffImportBankFileInput, INPUT]
) -> t.StaffImportBankFileResult:
    ctx = info.context
    upload = input.file
    receipt = await imports.import_bank_file(
        ctx.deps,
        caller=require_staff(info),
        # Only a file of a multipart request is a file (a JSON string is not).
        upload=imports.UploadedBankFile(upload.path, upload.size)
        if isinstance(upload, UploadedFile)
        else None,
    )
    view = receipt.bank_file
    if receipt.already_imported:
        message = i18n.text(
            "bank_file_seen_before", ctx.language, at=format_moment(view.created_at, ctx.language)
        )
    else:
        message = i18n.text(
            "bank_file_imported",
            ctx.language,
            transactions=view.transactions,
            changed=receipt.changed,
        )
    return t.StaffImportBankFilePayload(
        bank_file=bank_file_type(ctx, view),
        already_imported=receipt.already_imported,
        message=message,
    )


async def staff_create_refund_payouts(
    info: Inf, input: Annotated[t.StaffCreateRefundPayoutsInput, INPUT]
) -> t.StaffCreateRefundPayoutsResult:
    ctx = info.context
    made = await payouts.create_refund_payouts(
        ctx.deps, caller=require_staff(info), execution_date=input.execution_date
    )
    view = made.bank_file
    return t.StaffCreateRefundPayoutsPayload(
        bank_file=bank_file_type(ctx, view),
        refund_request_ids=[to_global_id("RefundRequest", i) for i in made.refund_ids],
        message=i18n.text(
            "refund_payouts_created",
            ctx.language,
            message_id=view.message_id,
            count=view.transactions,
            total=format_cents(view.total_cents, ctx.language),
        ),
    )


async def _load_bank_file(ctx: Context, pk: int) -> t.BankFile | None:
    view = await records.get_bank_file(ctx.deps, caller=ctx.caller, bank_file_id=pk)
    return bank_file_type(ctx, view) if view else None


register_node("BankFile", table=BankFileRow, load=_load_bank_file)


@strawberry.type
class Mutation:
    staff_import_bank_file: t.StaffImportBankFileResult = mutation(
        staff_import_bank_file,
        description="Staff: import a file from the bank (multipart upload; audited): a status "
        "report (pain.002) or a debit/credit notification (camt.054). The file is kept; what "
        "it reports is processed (a returned refund goes back to the balance). The same file "
        "a second time changes nothing.",
    )
    staff_create_refund_payouts: t.StaffCreateRefundPayoutsResult = mutation(
        staff_create_refund_payouts,
        description="Staff: make the SEPA credit-transfer file (pain.001) with every approved "
        "refund not yet paid out (audited); they become PAID_OUT. InvalidState when there is "
        "none.",
    )


@strawberry.type
class StaffQuery:
    @strawberry.field(
        description="Bank files made and imported, newest first, each with its download."
    )
    async def bank_files(
        self,
        info: Inf,
        kind: Annotated[
            t.BankFileKind | None, strawberry.argument(description="Only files of this kind.")
        ] = None,
        first: Annotated[int | None, FIRST] = 20,
        after: Annotated[str | None, AFTER] = None,
    ) -> Connection[t.BankFile]:
        require_staff(info)
        ctx = info.context
        page = page_args(first, after, ctx.language)
        views = await records.list_bank_files(
            ctx.deps,
            kind=BankFileKind(kind.name) if kind else None,
            before_id=page.after_key,
            limit=page.limit + 1,
        )
        return connection(views, page, node=lambda v: bank_file_type(ctx, v), key=lambda v: v.id)
