"""Types of the register domain: companies and addresses."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gql.models.register import Company as CompanyRow
from gql.schema.types.errors import result_union
from gql.services import register


@strawberry.type(description="A Dutch address.")
class Address:
    street: str = strawberry.field(description="Street (or PO box, 'Postbus').")
    house_number: str = strawberry.field(description="House number with any addition.")
    postal_code: str = strawberry.field(description="Postal code, as 1234 AB.")
    city: str = strawberry.field(description="Place.")


@strawberry.type(description="A company or organisation in the Handelsregister.")
class Company:
    kvk_number: str = strawberry.field(description="KVK number, 8 digits.")
    name: str = strawberry.field(description="Trade name.")
    legal_form: str = strawberry.field(description="Legal form, e.g. 'Besloten Vennootschap'.")
    visiting_address: Address = strawberry.field(description="Registered visiting address.")
    postal_address: Address | None = strawberry.field(
        description="Registered postal address, when it differs from the visiting address."
    )
    updated_at: datetime = strawberry.field(description="Last change in the register.")

    @classmethod
    def from_row(cls, row: CompanyRow) -> Company:
        postal = None
        if row.postal_code and row.postal_city:
            postal = Address(
                street=row.postal_street or "",
                house_number=row.postal_house_number or "",
                postal_code=row.postal_code,
                city=row.postal_city,
            )
        return cls(
            kvk_number=row.kvk_number,
            name=row.name,
            legal_form=row.legal_form,
            visiting_address=Address(
                street=row.visiting_street,
                house_number=row.visiting_house_number,
                postal_code=row.visiting_postal_code,
                city=row.visiting_city,
            ),
            postal_address=postal,
            updated_at=row.updated_at,
        )


@strawberry.input(description="A Dutch address.")
class AddressInput:
    street: str = strawberry.field(description="Street (or 'Postbus').")
    house_number: str = strawberry.field(description="House number with any addition.")
    postal_code: str = strawberry.field(description="Postal code, as 1234 AB.")
    city: str = strawberry.field(description="Place.")


@strawberry.input(description="Record a registered address change of a company.")
class StaffRecordAddressChangeInput:
    kvk_number: str = strawberry.field(description="The company's KVK number.")
    visiting_address: AddressInput | None = strawberry.field(
        default=None, description="The new visiting address, if it changed."
    )
    postal_address: AddressInput | None = strawberry.field(
        default=None, description="The new postal address, if it changed."
    )
    remove_postal_address: bool = strawberry.field(
        default=False, description="Mail goes to the visiting address from now on."
    )


@strawberry.type(description="The register now holds the new address.")
class StaffRecordAddressChangePayload:
    company: Company = strawberry.field(description="The company as it is now.")


StaffRecordAddressChangeResult = result_union(
    "staffRecordAddressChange", StaffRecordAddressChangePayload, register.record_address_change
)
