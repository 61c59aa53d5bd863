"""An order's document: made from the register data of its company, stored in the file
store, and the order DELIVERED, in one transaction.

Right after an order commits, its request makes the document. If the process dies in
between, the worker finds the order still PLACED and makes it then, so no order stays without
its document. Two makers of one order never both succeed: the order becomes DELIVERED only
from PLACED (a conditional UPDATE), and the loser's stored file rolls back with it.
An anonymous purchase also gets its download link, e-mailed in the same transaction.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import anyio.to_thread
from sqlalchemy import select, update
from sqlmodel import col

from gql.documents import products as documents
from gql.documents import render, signing
from gql.files import store
from gql.models.filings import AnnualReport, AnnualReportVersion
from gql.models.orders import Order, OrderStatus, Product
from gql.models.register import Company
from gql.services.orders import links
from gql.services.shared.deps import Deps
from gql.settings import Settings

log = logging.getLogger("toegang.orders")

#: The worker leaves a fresh order to its own request this long.
WORKER_AFTER = timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class _Job:
    order: Order
    product: Product
    company: Company
    filed: bytes | None
    filed_media_type: str | None
    filed_name: str | None


async def _job(deps: Deps, order_id: int) -> _Job | None:
    async with deps.db.read() as session:
        order = await session.get(Order, order_id)
        if order is None or order.status != OrderStatus.PLACED:
            return None
        product = await session.get(Product, order.product_code)
        company = await session.get(Company, order.kvk_number)
        assert product is not None and company is not None
        version = None
        if order.financial_year_end is not None:
            version = (
                await session.execute(
                    select(AnnualReportVersion)
                    .join(AnnualReport, col(AnnualReport.id) == col(AnnualReportVersion.report_id))
                    .where(
                        AnnualReport.kvk_number == order.kvk_number,
                        AnnualReport.financial_year_end == order.financial_year_end,
                    )
                    .order_by(col(AnnualReportVersion.version).desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
    filed = filed_name = filed_media_type = None
    if version is not None:
        info = await store.info(deps.db, version.file_id)
        assert info is not None
        filed = await store.read_all(deps.db, info)
        filed_name = info.filename
        # The stored media type ("application/pdf"), never the format name ("PDF").
        filed_media_type = info.content_type
    return _Job(order, product, company, filed, filed_media_type, filed_name)


def _snapshot(company: Company) -> documents.CompanySnapshot:
    postal = None
    if company.postal_code and company.postal_city:
        postal = documents.Address(
            street=company.postal_street or "",
            house_number=company.postal_house_number or "",
            postal_code=company.postal_code,
            city=company.postal_city,
        )
    return documents.CompanySnapshot(
        kvk_number=company.kvk_number,
        name=company.name,
        legal_form=company.legal_form,
        visiting_address=documents.Address(
            street=company.visiting_street,
            house_number=company.visiting_house_number,
            postal_code=company.visiting_postal_code,
            city=company.visiting_city,
        ),
        postal_address=postal,
        registered_on=company.registered_on,
        financial_year_end=company.financial_year_end,
        email=company.email,
    )


_SEALS: dict[tuple[object, ...], signing.SealCredentials] = {}


def seal_of(settings: Settings, now: datetime) -> signing.SealCredentials:
    """The register's seal from settings (production), else the development certificate
    made on first use and kept in the data folder; loaded once per process."""
    key = (settings.seal_cert_file, settings.seal_key_file, settings.data_dir)
    found = _SEALS.get(key)
    if found is None:
        if settings.seal_cert_file is not None and settings.seal_key_file is not None:
            found = signing.load_seal(
                settings.seal_cert_file, settings.seal_key_file, settings.seal_key_password or None
            )
        else:
            found = signing.development_seal(settings.data_dir, now=now)
        _SEALS[key] = found
    return found


def _make(deps: Deps, job: _Job, now: datetime) -> tuple[bytes, str, str]:
    """(content, media type, file name) of the order's document (runs in a thread)."""
    order, product = job.order, job.product
    filed = None
    if job.filed is not None:
        filed = documents.FiledReport(
            file_name=job.filed_name or "jaarrekening",
            media_type=job.filed_media_type or "application/octet-stream",
            content=job.filed,
        )
    made = render.render_product(
        documents.ProductDocument(
            code=documents.ProductCode(product.code),
            name_nl=product.name_nl,
            name_en=product.name_en,
            company=_snapshot(job.company),
            extracted_at=now,
            order_reference=order.reference,
            language="en" if order.language == "en" else "nl",
            financial_year_end=order.financial_year_end,
            filed_report=filed,
        ),
        seal=seal_of(deps.settings, now) if product.digitally_signed else None,
    )
    return made.content, made.media_type, made.file_name


async def deliver(deps: Deps, order_id: int) -> bool:
    """Make and store the order's document; False when it was not PLACED (done already)."""
    job = await _job(deps, order_id)
    if job is None:
        return False
    now = deps.clock.now()
    content, media_type, filename = await anyio.to_thread.run_sync(lambda: _make(deps, job, now))
    async with deps.db.write() as session:
        stored = await store.put(
            session,
            io.BytesIO(content),
            content_type=media_type,
            filename=filename,
            owner_kind="order",
            now=now,
        )
        done = await session.execute(
            update(Order)
            .where(col(Order.id) == order_id, col(Order.status) == OrderStatus.PLACED)
            .values(status=OrderStatus.DELIVERED, file_id=stored.id, delivered_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(done, "rowcount", 0) != 1:
            await session.rollback()
            return False
        if job.order.account_id is None:
            await links.issue(session, deps, order=job.order, company=job.company, now=now)
        await session.commit()
    log.info("order %s delivered", order_id)
    return True


async def deliver_soon(deps: Deps, order_id: int) -> None:
    """Right after an order commits: make its document now; on failure the worker will."""
    try:
        await deliver(deps, order_id)
    except Exception:
        log.warning("order %s: document not made now; the worker will", order_id, exc_info=True)


async def deliver_pending(deps: Deps, *, limit: int = 20) -> int:
    """The worker: orders left PLACED (their process died, or rendering failed) get their
    document. Returns how many were delivered."""
    before = deps.clock.now() - WORKER_AFTER
    async with deps.db.read() as session:
        ids = list(
            (
                await session.execute(
                    select(col(Order.id))
                    .where(col(Order.status) == OrderStatus.PLACED, col(Order.placed_at) < before)
                    .order_by(col(Order.id))
                    .limit(limit)
                )
            ).scalars()
        )
    done = 0
    for order_id in ids:
        try:
            done += await deliver(deps, order_id)
        except Exception:
            log.exception("order %s: making its document failed", order_id)
    return done
