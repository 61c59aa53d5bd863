"""Demo data for development: fictional companies and one private and one business account."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gql.files import store
from gql.models.accounts import AccessCodeRequest, Account, Usage
from gql.models.bank_files import BankFileChannel
from gql.models.deployment import DatabaseMark
from gql.models.filings import AnnualReport, AnnualReportVersion, FilingFormat
from gql.models.invoices import InvoiceEmail
from gql.models.ledger import Balance, EntryKind, RefundRequest, RefundStatus
from gql.models.orders import Order, OrderPayment, OrderStatus
from gql.models.payments import Payment, PaymentPurpose, PaymentState
from gql.models.questions import Question, QuestionTopic
from gql.models.register import Company
from gql.models.service import MaintenanceWindow
from gql.services import mandates
from gql.services.accounts.accounts import new_account
from gql.services.catalog import catalog
from gql.services.filings.filings import OWNER_KIND
from gql.services.invoices import monthly, top_ups
from gql.services.ledger import balance, payouts
from gql.services.orders import delivery
from gql.services.orders.orders import new_reference
from gql.services.payments.payments import new_public_id
from gql.services.shared.deps import Deps
from gql.services.shared.formatting import AMSTERDAM, local_date
from gql.services.shared.workdays import business_check_expected_by

# kvk, name, legal form, e-mail, visiting (street, no, postcode, city), postal or None
COMPANIES: list[
    tuple[str, str, str, str | None, tuple[str, str, str, str], tuple[str, str, str, str] | None]
] = [
    (
        "90000001",
        "Bakkerij De Zon B.V.",
        "Besloten Vennootschap",
        "info@bakkerijdezon.example",
        ("Oudegracht", "112", "3511 AV", "Utrecht"),
        None,
    ),
    (
        "90000002",
        "Fietsenmakerij Van Dijk",
        "Eenmanszaak",
        "fietsen@vandijk.example",
        ("Hoogstraat", "45", "3011 PT", "Rotterdam"),
        None,
    ),
    (
        "90000003",
        "Stichting Groen Dorp",
        "Stichting",
        "secretariaat@groendorp.example",
        ("Kerkplein", "3", "7411 GN", "Deventer"),
        ("Postbus", "1020", "7400 BA", "Deventer"),
    ),
    (
        "90000004",
        "Jansen & De Boer Advocaten",
        "Maatschap",
        "kantoor@jansendeboer.example",
        ("Lange Voorhout", "18", "2514 ED", "Den Haag"),
        None,
    ),
    (
        "90000005",
        "Hoveniersbedrijf Het Wilgenhof",
        "Vennootschap onder firma",
        None,
        ("Dorpsstraat", "77", "1761 AG", "Anna Paulowna"),
        None,
    ),
    (
        "90000006",
        "Kaashandel Gouda Centrum B.V.",
        "Besloten Vennootschap",
        "verkoop@kaasgouda.example",
        ("Markt", "9", "2801 JG", "Gouda"),
        ("Postbus", "311", "2800 AH", "Gouda"),
    ),
    (
        "90000007",
        "Coöperatie Zuivel Noord U.A.",
        "Coöperatie",
        "ledenadministratie@zuivelnoord.example",
        ("Zuiderdiep", "230", "9725 AN", "Groningen"),
        None,
    ),
    (
        "90000008",
        "Installatiebedrijf Smit Techniek",
        "Eenmanszaak",
        "planning@smittechniek.example",
        ("Industrieweg", "14", "5683 CG", "Best"),
        None,
    ),
    (
        "90000009",
        "Vereniging Muziekschool Amersfoort",
        "Vereniging",
        "info@muziekamersfoort.example",
        ("Langestraat", "55", "3811 AD", "Amersfoort"),
        None,
    ),
    (
        "90000010",
        "Drukkerij Peeters B.V.",
        "Besloten Vennootschap",
        "orders@drukkerijpeeters.example",
        ("Stationsweg", "8", "6211 CL", "Maastricht"),
        None,
    ),
    (
        "90000011",
        "Tandartspraktijk Mondzorg Leiden",
        "Maatschap",
        "balie@mondzorgleiden.example",
        ("Breestraat", "101", "2311 CK", "Leiden"),
        None,
    ),
    (
        "90000012",
        "Transportbedrijf Veenstra B.V.",
        "Besloten Vennootschap",
        "administratie@veenstra.example",
        ("Transportweg", "3", "8448 CT", "Heerenveen"),
        ("Postbus", "88", "8440 AB", "Heerenveen"),
    ),
    (
        "90000013",
        "Boekhandel Het Leesteken",
        "Vennootschap onder firma",
        "winkel@leesteken.example",
        ("Hinthamerstraat", "30", "5211 MN", "'s-Hertogenbosch"),
        None,
    ),
    (
        "90000014",
        "Zorgboerderij De Linde",
        "Stichting",
        None,
        ("Lindelaan", "2", "7241 RS", "Lochem"),
        None,
    ),
    (
        "90000015",
        "Architectenbureau Lijn & Vlak",
        "Besloten Vennootschap",
        "studio@lijnenvlak.example",
        ("Wilhelminakade", "120", "3072 AP", "Rotterdam"),
        None,
    ),
    (
        "90000016",
        "Schildersbedrijf Mulder",
        "Eenmanszaak",
        "mulder.schilder@example.nl",
        ("Zeestraat", "61", "1941 AJ", "Beverwijk"),
        None,
    ),
    (
        "90000017",
        "Sportschool Vitaal Eindhoven",
        "Besloten Vennootschap",
        "welkom@vitaal.example",
        ("Stratumseind", "12", "5611 ET", "Eindhoven"),
        None,
    ),
    (
        "90000018",
        "Wijnkoperij Bourgondië",
        "Vennootschap onder firma",
        "proeverij@bourgondie.example",
        ("Grote Staat", "40", "6211 CV", "Maastricht"),
        None,
    ),
    (
        "90000019",
        "Softwarebureau Nijmeegse Code B.V.",
        "Besloten Vennootschap",
        "hallo@nijmeegsecode.example",
        ("Molenstraat", "88", "6511 HJ", "Nijmegen"),
        ("Postbus", "1234", "6501 BE", "Nijmegen"),
    ),
    (
        "90000020",
        "Kinderopvang De Speeltuin",
        "Stichting",
        "ouders@despeeltuin.example",
        ("Parkweg", "5", "9401 JK", "Assen"),
        None,
    ),
    (
        "90000021",
        "Visserij Urker Vangst B.V.",
        "Besloten Vennootschap",
        "kantoor@urkervangst.example",
        ("Wijk 1", "27", "8321 EN", "Urk"),
        None,
    ),
    (
        "90000022",
        "Kapsalon Knip & Krul",
        "Eenmanszaak",
        None,
        ("Haarlemmerstraat", "150", "1013 EX", "Amsterdam"),
        None,
    ),
]


@dataclass(frozen=True, slots=True)
class DemoAccount:
    access_code: str
    usage: Usage
    name: str
    email: str
    password: str
    kvk_number: str | None = None


DEMO_ACCOUNTS = [
    DemoAccount(
        "DEMAPRVT2345",
        Usage.PRIVATE,
        "Sanne de Vries",
        "sanne.devries@example.nl",
        "groene appels en rode peren",
    ),
    DemoAccount(
        "DEMABZNS2345",
        Usage.BUSINESS,
        "Mark Jansen",
        "info@bakkerijdezon.example",
        "koffie met appeltaart om tien uur",
        "90000001",
    ),
]


class NotADevelopmentDatabase(Exception):
    """Demo data (accounts with published passwords) only goes into a development database."""


async def is_development_database(deps: Deps) -> bool:
    async with deps.db.read() as session:
        mark = await session.get(DatabaseMark, 1)
        return bool(mark and mark.development)


async def demo_access_codes_present(deps: Deps) -> bool:
    """Whether an account with a published demo password exists (refused in production)."""
    codes = [demo.access_code for demo in DEMO_ACCOUNTS]
    async with deps.db.read() as session:
        return bool(
            await session.scalar(select(Account.id).where(col(Account.access_code).in_(codes)))
        )


async def seed(deps: Deps) -> list[DemoAccount]:
    """Insert what is missing; running it twice changes nothing.

    Refused unless the database is marked as a development database (migration 0005).
    Demo accounts and requests attach only to companies that seed-demo made itself.
    """
    if not await is_development_database(deps):
        raise NotADevelopmentDatabase()
    now = deps.clock.now()
    created: list[DemoAccount] = []
    async with deps.db.write() as session:
        existing = set((await session.execute(select(Company.kvk_number))).scalars())
        for kvk, name, form, email, visiting, postal in COMPANIES:
            if kvk in existing:
                continue
            session.add(
                Company(
                    kvk_number=kvk,
                    name=name,
                    legal_form=form,
                    email=email,
                    visiting_street=visiting[0],
                    visiting_house_number=visiting[1],
                    visiting_postal_code=visiting[2],
                    visiting_city=visiting[3],
                    postal_street=postal[0] if postal else None,
                    postal_house_number=postal[1] if postal else None,
                    postal_code=postal[2] if postal else None,
                    postal_city=postal[3] if postal else None,
                    updated_at=now,
                    created_by_demo=True,
                    registered_on=date(2010 + int(kvk[-2:]) % 14, 1 + int(kvk[-2:]) % 12, 15),
                    financial_year_end=NON_CALENDAR_YEARS.get(kvk, "12-31"),
                )
            )
        await session.flush()
        ours = set(
            (
                await session.execute(
                    select(Company.kvk_number).where(col(Company.created_by_demo).is_(True))
                )
            ).scalars()
        )
        for demo in DEMO_ACCOUNTS:
            if demo.kvk_number and demo.kvk_number not in ours:
                continue
            found = await session.scalar(
                select(Account.id).where(Account.access_code == demo.access_code)
            )
            if found:
                continue
            await new_account(
                session,
                access_code=demo.access_code,
                usage=demo.usage,
                name=demo.name,
                email=demo.email,
                kvk_number=demo.kvk_number,
                is_main_user=demo.usage == Usage.BUSINESS,
                password_hash=await deps.hashing.hash(demo.password),
                now=now,
            )
            if demo.kvk_number and not await mandates.active_company_mandate(
                session, kvk_number=demo.kvk_number
            ):
                await mandates.sign_company_mandate(
                    session,
                    kvk_number=demo.kvk_number,
                    iban="NL91ABNA0417164300",
                    account_holder="Bakkerij De Zon B.V.",
                    now=now,
                )
            created.append(demo)
        if DEMO_REQUEST["kvk_number"] in ours:
            await _pending_request(deps, session, now)
        if "90000001" in ours:
            await _demo_filing(session, now)
            await _demo_digital_invoices(session, now)
        await _demo_maintenance(session, now)
        await _demo_question(session, now)
        await _demo_balance(session, deps, now)
        placed = await _demo_orders(session, now)
        await session.commit()
    for order_id in placed:
        await delivery.deliver(deps, order_id)
    # The private demo's top-ups get their invoices, the business demo last month's invoice
    # (by e-mail: it asked for digital invoices).
    await top_ups.issue_missing_top_up_invoices(deps, now=now)
    await monthly.run_month(deps, month=monthly.previous_month(local_date(now)))
    return created


# Companies whose financial year is not the calendar year (the filing calendar shows it).
NON_CALENDAR_YEARS = {"90000006": "06-30", "90000012": "03-31"}


async def _demo_filing(session: AsyncSession, now: datetime) -> None:
    """The business demo organisation filed its accounts for the year before last."""
    year_end = date(local_date(now).year - 2, 12, 31)
    if await session.scalar(
        select(AnnualReport.id).where(
            AnnualReport.kvk_number == "90000001", AnnualReport.financial_year_end == year_end
        )
    ):
        return
    filer = await session.scalar(select(Account.id).where(Account.access_code == "DEMABZNS2345"))
    if filer is None:
        return
    report = AnnualReport(kvk_number="90000001", financial_year_end=year_end, created_at=now)
    session.add(report)
    await session.flush()
    pdf = _demo_accounts_pdf(year_end)
    stored = await store.put(
        session,
        io.BytesIO(pdf),
        content_type="application/pdf",
        filename=f"jaarrekening-90000001-{year_end.isoformat()}-v1.pdf",
        owner_kind=OWNER_KIND,
        now=now,
    )
    assert report.id is not None
    session.add(
        AnnualReportVersion(
            report_id=report.id,
            version=1,
            file_id=stored.id,
            format=FilingFormat.PDF,
            size=stored.size,
            sha256=stored.sha256,
            filed_by_id=filer,
            filed_at=now,
        )
    )


async def _demo_digital_invoices(session: AsyncSession, now: datetime) -> None:
    """The business demo organisation asked for digital invoices (to its registered address)."""
    if await session.get(InvoiceEmail, "90000001"):
        return
    main = await session.scalar(select(Account.id).where(Account.access_code == "DEMABZNS2345"))
    if main is None:
        return
    session.add(
        InvoiceEmail(
            kvk_number="90000001",
            email="info@bakkerijdezon.example",
            requested_at=now,
            changed_at=now,
            changed_by_id=main,
        )
    )


def _demo_accounts_pdf(year_end: date) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=14)
    pdf.cell(text=f"Jaarrekening Bakkerij De Zon B.V. - boekjaar tot en met {year_end:%d-%m-%Y}")
    pdf.ln(10)
    pdf.set_font("Helvetica", size=10)
    pdf.multi_cell(w=0, text="Demogegevens: balans en winst-en-verliesrekening (fictief).")
    return bytes(pdf.output())


async def _demo_balance(session: AsyncSession, deps: Deps, now: datetime) -> None:
    """The private demo account topped up twice by iDEAL, had EUR 15 refunded (paid out in a
    credit-transfer file, which staff see among the bank files) and asked EUR 10 back
    (pending)."""
    account_id = await session.scalar(
        select(Account.id).where(Account.access_code == "DEMAPRVT2345")
    )
    if account_id is None or await session.get(Balance, account_id):
        return
    for days_ago, cents in ((20, 5000), (6, 2500)):
        at = now - timedelta(days=days_ago)
        public_id = new_public_id()
        payment = Payment(
            public_id=public_id,
            account_id=account_id,
            purpose=PaymentPurpose.TOP_UP,
            amount_cents=cents,
            method="IDEAL",
            status=PaymentState.PAID,
            provider_id=f"demo_{public_id}",
            return_url="/",
            created_at=at,
            settled_at=at,
            payer_iban="NL20INGB0001234567",
            payer_name="S. de Vries",
        )
        session.add(payment)
        await session.flush()
        await balance.credit(
            session,
            account_id=account_id,
            amount_cents=cents,
            kind=EntryKind.TOP_UP,
            now=at,
            payment_id=payment.id,
        )
    paid_out = RefundRequest(
        account_id=account_id,
        amount_cents=1500,
        iban="NL20INGB0001234567",
        account_holder="S. de Vries",
        requested_at=now - timedelta(days=5),
        status=RefundStatus.APPROVED,
        decided_at=now - timedelta(days=4),
    )
    session.add(paid_out)
    await session.flush()
    assert paid_out.id is not None
    held_at = now - timedelta(days=5)
    await balance.hold(
        session, account_id=account_id, amount_cents=1500, refund_id=paid_out.id, now=held_at
    )
    await balance.pay_out(
        session, account_id=account_id, amount_cents=1500, refund_id=paid_out.id, now=held_at
    )
    await payouts.pay_out_in_one_file(
        session,
        settings=deps.settings,
        refunds=[(paid_out, "nl")],
        caller=None,
        channel=BankFileChannel.CLI,
        now=now - timedelta(days=3),
        execution_date=local_date(now - timedelta(days=3)),
    )
    refund = RefundRequest(
        account_id=account_id,
        amount_cents=1000,
        iban="NL20INGB0001234567",
        account_holder="S. de Vries",
        reason="Te veel gestort.",
        requested_at=now - timedelta(days=1),
    )
    session.add(refund)
    await session.flush()
    assert refund.id is not None
    await balance.hold(
        session, account_id=account_id, amount_cents=1000, refund_id=refund.id, now=now
    )


# (account, product, subject company, days ago): the private account pays from its balance,
# the business one by direct debit on its organisation's mandate.
DEMO_ORDERS = (
    ("DEMAPRVT2345", "EXTRACT", "90000002", 5),
    ("DEMAPRVT2345", "CERTIFIED_EXTRACT_DIGITAL", "90000003", 2),
    ("DEMABZNS2345", "COMPANY_PROFILE", "90000004", 3),
    ("DEMABZNS2345", "ANNUAL_ACCOUNTS", "90000001", 1),
)
# Placed on the 10th of last month, so the business demo has last month's invoice.
LAST_MONTHS_ORDER = ("DEMABZNS2345", "EXTRACT", "90000005")


def _order_moments(now: datetime) -> list[tuple[str, str, str, datetime]]:
    tenth = monthly.previous_month(local_date(now)).replace(day=10)
    return [
        (code, product, kvk, now - timedelta(days=days_ago))
        for code, product, kvk, days_ago in DEMO_ORDERS
    ] + [(*LAST_MONTHS_ORDER, datetime.combine(tenth, time(10), AMSTERDAM).astimezone(UTC))]


async def _demo_orders(session: AsyncSession, now: datetime) -> list[int]:
    """A few orders of both demo accounts, one a digitally certified extract; their
    documents are made once the seed commits. Returns the new orders' ids."""
    placed: list[int] = []
    for code, product_code, kvk, at in _order_moments(now):
        account = (
            await session.execute(select(Account).where(Account.access_code == code))
        ).scalar_one_or_none()
        if account is None or account.id is None or await session.get(Company, kvk) is None:
            continue
        if await session.scalar(
            select(Order.id).where(
                Order.account_id == account.id, Order.product_code == product_code
            )
        ):
            continue
        product = await catalog.product_for_order(session, product_code, at=at)
        if product is None or product.price_cents is None:
            continue
        year_end = None
        if product.needs_financial_year:
            year_end = await session.scalar(
                select(AnnualReport.financial_year_end).where(AnnualReport.kvk_number == kvk)
            )
            if year_end is None:
                continue
        order = Order(
            reference=new_reference(at),
            product_code=product_code,
            kvk_number=kvk,
            financial_year_end=year_end,
            price_cents=product.price_cents,
            account_id=account.id,
            payer_kvk_number=account.kvk_number,
            payment_method=OrderPayment.BALANCE,
            status=OrderStatus.PLACED,
            placed_at=at,
        )
        if account.usage == Usage.BUSINESS:
            mandate = await mandates.active_company_mandate(session, kvk_number=account.kvk_number)
            if mandate is None:
                continue
            order.payment_method = OrderPayment.DIRECT_DEBIT
            order.mandate_id = mandate.id
            order.to_be_invoiced = True
        session.add(order)
        await session.flush()
        assert order.id is not None
        if account.usage == Usage.PRIVATE:
            await balance.debit(
                session,
                account_id=account.id,
                amount_cents=product.price_cents,
                kind=EntryKind.ORDER,
                now=at,
                order_id=order.id,
            )
        placed.append(order.id)
    return placed


async def _demo_maintenance(session: AsyncSession, now: datetime) -> None:
    """Maintenance next Saturday night, so serviceStatus has a notice to show; a new one only
    once every window has ended."""
    if await session.scalar(
        select(MaintenanceWindow.id).where(col(MaintenanceWindow.ends_at) > now).limit(1)
    ):
        return
    today = local_date(now)
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    sunday = saturday + timedelta(days=1)
    session.add(
        MaintenanceWindow(
            starts_at=datetime.combine(saturday, time(22), AMSTERDAM).astimezone(UTC),
            ends_at=datetime.combine(sunday, time(6), AMSTERDAM).astimezone(UTC),
            notice_nl="Gepland onderhoud aan het Handelsregister: bestellen en tegoed storten "
            "kan even niet. Inzien en inloggen werken gewoon.",
            notice_en="Planned maintenance of the trade register: ordering and topping up are "
            "paused for a while. Viewing and signing in keep working.",
            created_at=now,
        )
    )


async def _demo_question(session: AsyncSession, now: datetime) -> None:
    """The business demo account asked why its invoice address did not follow its move, so
    the back office has a question to answer."""
    asker = await session.scalar(select(Account.id).where(Account.access_code == "DEMABZNS2345"))
    if asker is None or await session.scalar(
        select(Question.id).where(Question.account_id == asker).limit(1)
    ):
        return
    session.add(
        Question(
            account_id=asker,
            topic=QuestionTopic.INVOICE_ADDRESS,
            text="Onze laatste factuur ging nog naar ons oude adres, terwijl we de verhuizing "
            "hebben doorgegeven. Kunt u het factuuradres aanpassen?",
            old_street="Lijnmarkt",
            old_house_number="20",
            old_postal_code="3511 KH",
            old_city="Utrecht",
            new_street="Oudegracht",
            new_house_number="112",
            new_postal_code="3511 AV",
            new_city="Utrecht",
            asked_at=now - timedelta(days=1),
        )
    )


# A business request waiting for the staff check, so the back office has something to do.
DEMO_REQUEST = {
    "name": "Lisa van Dijk",
    "email": "lisa@vandijk.example",
    "kvk_number": "90000002",
    "password": "een fiets met drie versnellingen",
}


async def _pending_request(deps: Deps, session: AsyncSession, now: datetime) -> None:
    email = DEMO_REQUEST["email"]
    if await session.scalar(
        select(AccessCodeRequest.id).where(AccessCodeRequest.email_normalized == email)
    ):
        return
    session.add(
        AccessCodeRequest(
            name=DEMO_REQUEST["name"],
            email=email,
            email_normalized=email,
            kvk_number=DEMO_REQUEST["kvk_number"],
            password_hash=await deps.hashing.hash(DEMO_REQUEST["password"]),
            mandate_iban="NL02ABNA0123456789",
            mandate_account_holder="Fietsenmakerij Van Dijk",
            requested_at=now,
            expected_by=business_check_expected_by(now),
        )
    )
