"""Resolvers of the register: staff read companies and record address changes."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gql.resolvers.common import INPUT, Inf, mutation, require_staff
from gql.schema.types import register as t
from gql.services import register


def _address(value: t.AddressInput | None) -> register.AddressInput | None:
    if value is None:
        return None
    return register.AddressInput(value.street, value.house_number, value.postal_code, value.city)


@strawberry.type
class StaffQuery:
    @strawberry.field(description="A company in the register.")
    async def company(
        self,
        info: Inf,
        kvk_number: Annotated[str, strawberry.argument(description="KVK number, 8 digits.")],
    ) -> t.Company | None:
        require_staff(info)
        row = await info.context.loaders.company.load(kvk_number)
        return t.Company.from_row(row) if row else None


async def staff_record_address_change(
    info: Inf, input: Annotated[t.StaffRecordAddressChangeInput, INPUT]
) -> t.StaffRecordAddressChangeResult:
    row = await register.record_address_change(
        info.context.deps,
        caller=require_staff(info),
        kvk_number=input.kvk_number,
        visiting=_address(input.visiting_address),
        postal=_address(input.postal_address),
        clear_postal=input.remove_postal_address,
    )
    return t.StaffRecordAddressChangePayload(company=t.Company.from_row(row))


@strawberry.type
class Mutation:
    staff_record_address_change: t.StaffRecordAddressChangeResult = mutation(
        staff_record_address_change,
        description="Staff: record a company's registered address change.",
    )
