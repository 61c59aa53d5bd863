"""The Handelsregister: companies and their addresses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from gql.i18n import texts
from gql.models.register import Company
from gql.reader import Read
from gql.services.shared import audit
from gql.services.shared.deps import Caller, Deps
from gql.services.shared.errors import InvalidInputError, NotFoundError, Problems, raises
from gql.services.shared.validation import kvk_number_field, postal_code_field, text_field

TEXTS = texts(
    __name__,
    {
        "kvk_number_unknown": {
            "nl": "Dit KVK-nummer staat niet in het Handelsregister.",
            "en": "This KVK number is not in the trade register.",
        },
        "address_required": {
            "nl": "Geef een nieuw bezoekadres of postadres op.",
            "en": "Please give a new visiting or postal address.",
        },
    },
)

_company = Company.__table__  # type: ignore[attr-defined]
_COMPANIES = Read(
    select(_company).where(_company.c.kvk_number.in_(bindparam("kvk_numbers", expanding=True)))
)


async def get_companies(deps: Deps, *, kvk_numbers: list[str]) -> dict[str, Any]:
    """Companies by KVK number in one statement on the read connection (for DataLoaders).

    Rows, not ORM objects: they carry the model's attribute names and cost far less on the
    hot read path (measured in bench/).
    """
    rows = await deps.db.reader.all(_COMPANIES, kvk_numbers=kvk_numbers)
    return {row.kvk_number: row for row in rows}


@dataclass(frozen=True, slots=True)
class AddressInput:
    street: str
    house_number: str
    postal_code: str
    city: str


def address_field(problems: Problems, field: str, value: AddressInput) -> AddressInput:
    """A Dutch address with each part checked (problems name `field` and the part)."""
    return AddressInput(
        street=text_field(problems, (field, "street"), value.street, maximum=120),
        house_number=text_field(problems, (field, "houseNumber"), value.house_number, maximum=20),
        postal_code=postal_code_field(problems, (field, "postalCode"), value.postal_code),
        city=text_field(problems, (field, "city"), value.city, maximum=80),
    )


def postal_address_lines(company: Company) -> list[str]:
    """Where post goes: the registered postal address, else the visiting address."""
    if company.postal_code and company.postal_city:
        street = " ".join(p for p in (company.postal_street, company.postal_house_number) if p)
        lines = [street] if street else []
        return [company.name, *lines, f"{company.postal_code} {company.postal_city}"]
    return [
        company.name,
        f"{company.visiting_street} {company.visiting_house_number}",
        f"{company.visiting_postal_code} {company.visiting_city}",
    ]


async def get_company(
    session: AsyncSession, kvk_number: str, *, lock: bool = False
) -> Company | None:
    """A company in the register (inside the caller's transaction), optionally row-locked."""
    return await session.get(Company, kvk_number, with_for_update=lock)


@raises(NotFoundError, InvalidInputError)
async def record_address_change(
    deps: Deps,
    *,
    caller: Caller,
    kvk_number: str,
    visiting: AddressInput | None,
    postal: AddressInput | None,
    clear_postal: bool = False,
) -> Company:
    """Staff record a registered address change; the next letter or invoice follows it."""
    problems = Problems()
    kvk = kvk_number_field(problems, "kvkNumber", kvk_number)
    new_visiting = address_field(problems, "visitingAddress", visiting) if visiting else None
    new_postal = address_field(problems, "postalAddress", postal) if postal else None
    if visiting is None and postal is None and not clear_postal:
        problems.add("visitingAddress", "address_required")
    problems.raise_if_any()
    now = deps.clock.now()
    async with deps.db.write() as session:
        company = await get_company(session, kvk)
        if company is None:
            raise NotFoundError(field_path=("kvkNumber",))
        before = _describe(company)
        if new_visiting:
            company.visiting_street = new_visiting.street
            company.visiting_house_number = new_visiting.house_number
            company.visiting_postal_code = new_visiting.postal_code
            company.visiting_city = new_visiting.city
        if new_postal:
            company.postal_street = new_postal.street
            company.postal_house_number = new_postal.house_number
            company.postal_code = new_postal.postal_code
            company.postal_city = new_postal.city
        elif clear_postal:
            company.postal_street = company.postal_house_number = None
            company.postal_code = company.postal_city = None
        company.updated_at = now
        await audit.record(
            session,
            caller=caller,
            action="register.address_changed",
            subject=f"company:{kvk}",
            details=f"before: {before}; after: {_describe(company)}",
            now=now,
        )
        await session.commit()
        return company


def _describe(c: Company) -> str:
    visiting = (
        f"{c.visiting_street} {c.visiting_house_number}, {c.visiting_postal_code} {c.visiting_city}"
    )
    postal = (
        f"{c.postal_street or ''} {c.postal_house_number or ''}, {c.postal_code} {c.postal_city}"
        if c.postal_code
        else "-"
    )
    return f"visiting {visiting}; postal {postal}"
