"""The sandbox's checkout page: what it shows, what it refuses, and that it tells nothing
about payments a payer cannot decide. These are rules of HTTP and HTML, not of a database:
they run on SQLite only (test_sandbox.py runs the payment states on both backends)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette

from gql.clock import FrozenClock
from gql.models.psp import SandboxPayment
from gql.psp.port import PaymentMethod, ProviderStatus
from gql.services.shared.formatting import format_cents
from tests.psp.support import (
    IBAN,
    RETURN_URL,
    checkout_path,
    decide,
    provider,
    sandbox,
    start,
    stored_payment,
    webhooks,
)
from tests.support.api import make_settings, running_app


@pytest.fixture
async def app(sqlite_url: str, tmp_path: Path, clock: FrozenClock) -> AsyncIterator[Starlette]:
    async with running_app(make_settings(sqlite_url, tmp_path / "data"), clock) as application:
        yield application


async def test_a_started_payment_is_open_and_its_checkout_page_shows_it_in_dutch_and_english(
    app: Starlette, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    # given
    started = await start(app, amount_cents=1250, description="Tegoed storten")

    # when
    dutch = await client.get(checkout_path(started))
    english = await client.get(checkout_path(started), headers={"accept-language": "en"})

    # then
    assert started.status is ProviderStatus.OPEN
    assert started.payment_url == f"http://127.0.0.1:8000{checkout_path(started)}"
    assert started.expires_at == clock.now() + timedelta(minutes=15)
    assert len(started.provider_id) >= 22  # at least 128 random bits
    assert dutch.status_code == english.status_code == 200
    assert format_cents(1250, "nl") in dutch.text and "Betalen" in dutch.text
    assert format_cents(1250, "en") in english.text and ">Pay<" in english.text
    assert "Tegoed storten" in dutch.text and 'name="iban"' in dutch.text
    assert "<script" not in dutch.text
    policy = dutch.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "style-src 'sha256-" in policy
    assert "form-action 'self' http://127.0.0.1:5173" in policy
    status = await provider(app).get_status(started.provider_id)
    assert status is not None and status.status is ProviderStatus.OPEN
    assert (status.amount_cents, status.method, status.metadata) == (
        1250,
        PaymentMethod.IDEAL,
        {"payment": "42"},
    )
    assert await webhooks(app) == []


@pytest.mark.parametrize(
    ("iban", "name", "error"),
    [
        ("NL91ABNA0417164301", "A. Betaler", "Dit IBAN is ongeldig."),
        (IBAN, "   ", "Vul de naam van de rekeninghouder in"),
    ],
    ids=["checksum", "no-name"],
)
async def test_an_invalid_payer_shows_the_form_again_with_an_error_and_changes_nothing(
    app: Starlette, client: httpx.AsyncClient, iban: str, name: str, error: str
) -> None:
    # given
    started = await start(app)

    # when
    response = await decide(client, started, "pay", iban=iban, name=name)

    # then
    assert response.status_code == 400
    assert error in response.text
    assert f'value="{iban}"' in response.text  # what was typed stays
    assert 'name="token"' in response.text
    assert (await stored_payment(app, started.provider_id)).status is ProviderStatus.OPEN
    assert await webhooks(app) == []


async def test_a_credit_card_payment_is_paid_without_payer_details(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    # given
    started = await start(app, method=PaymentMethod.CREDIT_CARD)
    page = await client.get(checkout_path(started), headers={"accept-language": "en"})

    # when
    response = await decide(client, started, "pay")

    # then
    assert "Credit card" in page.text and 'name="iban"' not in page.text
    assert response.status_code == 303
    status = await provider(app).get_status(started.provider_id)
    assert status is not None and status.status is ProviderStatus.PAID
    assert (status.payer_iban, status.payer_name) == (None, None)


@pytest.mark.parametrize("token", [None, "", "0" * 64, "another payment's token", "é"])
async def test_a_checkout_form_without_its_page_token_is_refused_and_changes_nothing(
    app: Starlette, client: httpx.AsyncClient, token: str | None
) -> None:
    # given: another site posts to a payment's address
    started = await start(app)
    other = await start(app)
    if token == "another payment's token":
        token = sandbox(app).form_token(other.provider_id)
    form = {"decision": "pay", "iban": IBAN, "name": "A. Aanvaller"}
    if token is not None:
        form["token"] = token

    # when
    response = await client.post(checkout_path(started), data=form)

    # then
    assert response.status_code == 403
    assert "niet van de betaalpagina" in response.text
    assert (await stored_payment(app, started.provider_id)).status is ProviderStatus.OPEN
    assert await webhooks(app) == []


async def test_unknown_and_decided_payments_get_the_same_neutral_page(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    # given
    decided = await start(app)
    await decide(client, decided, "cancel")
    unknown_id = "tr_" + "A" * 32

    # when
    pages = [
        await client.get(checkout_path(decided)),
        await client.get(f"/sandbox/checkout/{unknown_id}"),
        await client.get("/sandbox/checkout/1"),
    ]

    # then
    assert {page.status_code for page in pages} == {404}
    assert len({page.text for page in pages}) == 1
    assert "Deze betaling bestaat niet of kan niet meer worden afgerond." in pages[0].text
    assert "€" not in pages[0].text and RETURN_URL not in pages[0].text
    assert await provider(app).get_status(unknown_id) is None
    assert await provider(app).get_status("1") is None


@pytest.mark.parametrize(
    "changes",
    [
        {"amount_cents": 0},
        {"amount_cents": -100},
        {"description": " "},
        {"webhook_url": "ftp://receiver.test/webhook"},
        {"return_url": "/relative"},
        {"metadata": {"note": "x" * 2000}},
    ],
    ids=["zero", "negative", "no-description", "webhook-not-http", "return-relative", "metadata"],
)
async def test_start_payment_refuses_what_a_provider_would_refuse_and_stores_nothing(
    app: Starlette, changes: dict[str, object]
) -> None:
    # given
    arguments: dict[str, object] = {
        "amount_cents": 500,
        "description": "Tegoed storten",
        "method": PaymentMethod.IDEAL,
        "return_url": RETURN_URL,
        "webhook_url": "http://receiver.test/webhook",
        "metadata": {},
        **changes,
    }

    # when / then
    with pytest.raises(ValueError):
        await provider(app).start_payment(**arguments)  # type: ignore[arg-type]
    async with app.state.deps.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(SandboxPayment)) == 0
