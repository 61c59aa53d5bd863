"""The balance as a model of state (Hypothesis): top-ups, the provider's answers, webhooks
and refunds in any order, checked against a model and the ledger's invariants after each step.

Everything goes through the real app, in process: GraphQL over HTTP for the customer and
staff, the sandbox's checkout page for the payer, signed webhooks to /psp/webhook (the
sandbox's own deliveries, our own, and replays of captured ones in other orders), and the
worker's jobs (the sandbox's expiry, the app's reconciliation) on a frozen clock, and some
identical requests sent at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select, text

from gql.clock import FrozenClock
from gql.models.psp import SandboxPayment
from gql.psp import sandbox
from gql.psp.sandbox import SandboxProvider, signed_headers, webhook_signature
from gql.reader import Read
from gql.schema.types.ids import key_of, to_global_id
from gql.services.payments import payments
from gql.services.shared.hashing import HashParameters, PasswordHashing
from tests.ledger.support import (
    APPROVE_REFUND,
    BALANCE,
    REJECT_REFUND,
    REQUEST_REFUND,
    TOP_UP,
    Databases,
    Entry,
    PostgresCopies,
    RecordingTransport,
    Sent,
    SqliteCopies,
    Totals,
    assert_ledger_invariants,
)
from tests.support.api import gql, http_client, make_settings, running_app
from tests.support.backoffice import STAFF_IP
from tests.support.factories import add_account, add_staff, log_in, totp_now

# A fresh app and database per example (about 0.2 s of CPU with its first top-ups), then
# up to 30 steps of about 15 ms each: 25 examples on SQLite take about 18 s, 8 on
# PostgreSQL (for its own locking under the requests sent at once) about 10 s. More would
# pass the time this suite may take; TOEGANG_LEDGER_EXAMPLES=1000 explores further (some
# minutes), e.g. after a change of payments, refunds or the ledger.
_MORE = os.environ.get("TOEGANG_LEDGER_EXAMPLES")
EXAMPLES = {"sqlite": int(_MORE or 25), "postgresql": int(_MORE or 8)}
STEPS = 30
PAYMENT_MINUTES = 15  # the sandbox's expiry (TOEGANG_PSP_PAYMENT_MINUTES, its default)
# Sooner than a session's idle end (30 minutes), whatever the requests between.
SIGN_IN_AGAIN_AFTER = timedelta(minutes=25)
IBAN = "NL91ABNA0417164300"
# The ledger is not about passwords: the cheapest argon2id keeps each example's setup fast.
CHEAP_HASHING = HashParameters(memory_kib=8, time_cost=1, parallelism=1)


@dataclass
class Payment:
    """What the model expects of one top-up, at the app (`app`) and at the provider."""

    pk: int
    public_id: str
    provider_id: str
    amount_cents: int
    created_at: datetime
    expires_at: datetime
    app: str = "OPEN"
    provider: str = "OPEN"
    checked_at: datetime | None = None


@dataclass
class Refund:
    pk: int
    amount_cents: int
    status: str = "REQUESTED"


SANDBOX_STATUSES = Read(select(SandboxPayment.provider_id, SandboxPayment.status))
DECISIONS = {"pay": "PAID", "cancel": "CANCELED", "fail": "FAILED"}


class LedgerMachine(RuleBasedStateMachine):
    """One private account that tops up and asks money back; one staff member deciding."""

    def __init__(self, databases: Databases, folder: Path) -> None:
        super().__init__()
        self.databases, self.folder = databases, folder
        self.loop = asyncio.new_event_loop()
        self.stack = contextlib.AsyncExitStack()
        self.payments: dict[int, Payment] = {}
        self.keys: dict[str, tuple[int, int, str]] = {}  # key -> (payment, amount, method)
        self.refunds: dict[int, Refund] = {}
        self.queued: list[str] = []  # provider ids whose webhook the sandbox has not sent
        self.captured: list[Sent] = []  # signed webhook calls that reached the app
        self.seen: dict[int, Entry] = {}
        self.key_numbers = itertools.count(1)
        self.run(self._start())

    # ---- plumbing ------------------------------------------------------------------------

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    async def _start(self) -> None:
        self.folder.mkdir(parents=True)
        self.database_url = await self.databases.create(self.folder)
        self.clock = FrozenClock(datetime.fromisoformat("2026-03-02T09:00:00+00:00"))
        config = make_settings(
            self.database_url, self.folder / "data", psp_payment_minutes=PAYMENT_MINUTES
        )
        hashing = PasswordHashing(CHEAP_HASHING, concurrency=2)
        self.app = await self.stack.enter_async_context(running_app(config, self.clock, hashing))
        self.deps = self.app.state.deps
        self.sandbox = SandboxProvider(self.deps.db, self.deps.settings, self.clock)
        self.customer = await self.stack.enter_async_context(http_client(self.app))
        self.staff = await self.stack.enter_async_context(http_client(self.app, ip=STAFF_IP))
        self.webhooks = RecordingTransport(self.app)
        self.worker_http = await self.stack.enter_async_context(
            httpx.AsyncClient(transport=self.webhooks)
        )
        self.customer_code = await add_account(self.app, usage="PRIVATE")
        async with self.deps.db.read() as session:
            self.customer_id = await session.scalar(text("SELECT id FROM account"))
        self.staff_code, self.staff_secret = await add_staff(self.app)
        await self._sign_in()

    async def _sign_in(self) -> None:
        """Both sign in afresh (a session ends after 30 idle minutes)."""
        signed_in = await log_in(self.customer, self.customer_code)
        assert signed_in["__typename"] == "LogInPayload", signed_in
        totp = totp_now(self.app, self.staff_secret)
        signed_in = await log_in(self.staff, self.staff_code, totp=totp)
        assert signed_in["__typename"] == "LogInPayload", signed_in
        self.signed_in_at = self.now()

    def teardown(self) -> None:
        try:
            self.run(self.stack.aclose())
            self.run(self.databases.drop(self.database_url))
        finally:
            self.loop.close()
            shutil.rmtree(self.folder, ignore_errors=True)

    async def _graphql(self, client: httpx.AsyncClient, document: str, **input: Any) -> Any:
        body = await gql(client, document, {"input": input})
        assert "errors" not in body, body
        (result,) = body["data"].values()
        return result

    def now(self) -> datetime:
        return self.clock.now()

    def available(self) -> int:
        return self.balance() - self.held()

    def balance(self) -> int:
        paid = sum(p.amount_cents for p in self.payments.values() if p.app == "PAID")
        out = sum(r.amount_cents for r in self.refunds.values() if r.status == "APPROVED")
        return paid - out

    def held(self) -> int:
        return sum(r.amount_cents for r in self.refunds.values() if r.status == "REQUESTED")

    # ---- the model of the provider and the app -------------------------------------------

    def provider_answers(self, payment: Payment) -> str:
        """get_status: an open payment past its expiry is stored EXPIRED, with a webhook."""
        if payment.provider == "OPEN" and payment.expires_at <= self.now():
            payment.provider = "EXPIRED"
            self.queued.append(payment.provider_id)
        return payment.provider

    def app_asks(self, payment: Payment) -> None:
        """settle_from_provider: out of OPEN once; into PAID from anything but PAID."""
        status = self.provider_answers(payment)
        if (
            status != "OPEN"
            and payment.app != "PAID"
            and (status == "PAID" or payment.app == "OPEN")
        ):
            payment.app = status

    def webhook_arrived(self, sent: Sent) -> None:
        """What a webhook call should have got, and what it does to the model."""
        timestamp = int(sent.headers[sandbox.TIMESTAMP_HEADER.lower()])
        fresh = abs(self.now().timestamp() - timestamp) <= sandbox.TIMESTAMP_TOLERANCE_SECONDS
        assert sent.status == (200 if fresh else 400), sent
        provider_id = orjson.loads(sent.body)["id"]
        payment = next((p for p in self.payments.values() if p.provider_id == provider_id), None)
        if fresh and payment is not None:
            self.app_asks(payment)

    async def _post_webhook(self, body: bytes, headers: dict[str, str]) -> Sent:
        await self.worker_http.post(
            f"{self.deps.settings.public_url}/psp/webhook", content=body, headers=headers
        )
        return self.webhooks.sent[-1]

    async def _public_id(self, pk: int) -> str:
        """The id in the return page's address (the payer's browser has it from the redirect)."""
        async with self.deps.db.read() as session:
            found = await session.scalar(
                text("SELECT public_id FROM payment WHERE id = :pk"), {"pk": pk}
            )
        return str(found)

    def pick_payment(self, data: st.DataObject) -> Payment:
        return self.payments[data.draw(st.sampled_from(sorted(self.payments)), label="payment")]

    # ---- rules: top-ups ------------------------------------------------------------------

    @initialize(
        top_ups=st.lists(
            st.tuples(st.integers(500, 30_000), st.sampled_from(["IDEAL", "CREDIT_CARD"])),
            min_size=1,
            max_size=3,
        ),
        funded=st.booleans(),
        refund_cents=st.one_of(st.none(), st.integers(1, 500)),
    )
    def some_top_ups_are_started(
        self, top_ups: list[tuple[int, str]], funded: bool, refund_cents: int | None
    ) -> None:
        """Every example starts with payments to decide, often with money to ask back and
        sometimes with a refund to decide (Hypothesis leaves some rules out of each example,
        so a long chain of rules is rare)."""
        for amount, method in top_ups:
            self.start_top_up(amount, method)
        if funded:
            self.payer_decides(self.payments[min(self.payments)], "pay")
            self.sandbox_delivers_its_webhooks()
            if refund_cents is not None:
                self.ask_money_back(refund_cents)

    @rule(
        amount=st.integers(500, 30_000),
        method=st.sampled_from(["IDEAL", "CREDIT_CARD"]),
    )
    def start_top_up(self, amount: int, method: str) -> None:
        key = f"key-{next(self.key_numbers)}"
        result = self.run(
            self._graphql(
                self.customer, TOP_UP, amountCents=amount, method=method, idempotencyKey=key
            )
        )
        assert result["__typename"] == "TopUpPayload", result
        self.remember(result["payment"], key=key, amount=amount, method=method)

    def remember(self, payment: dict[str, Any], *, key: str, amount: int, method: str) -> None:
        """A top-up just started: OPEN, expiring after PAYMENT_MINUTES."""
        assert (payment["status"], payment["amountCents"]) == ("OPEN", amount), payment
        pk = key_of(payment["id"], "Payment")
        provider_id = payment["paymentUrl"].rsplit("/", 1)[1]
        public_id = self.run(self._public_id(pk))
        expires_at = self.now() + timedelta(minutes=PAYMENT_MINUTES)
        self.payments[pk] = Payment(pk, public_id, provider_id, amount, self.now(), expires_at)
        self.keys[key] = (pk, amount, method)

    @precondition(lambda self: self.keys)
    @rule(data=st.data())
    def retry_top_up_with_the_same_key(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(sorted(self.keys)), label="key")
        pk, amount, method = self.keys[key]
        result = self.run(
            self._graphql(
                self.customer, TOP_UP, amountCents=amount, method=method, idempotencyKey=key
            )
        )
        assert result["__typename"] == "TopUpPayload", result
        assert result["payment"]["id"] == to_global_id("Payment", pk)
        assert result["payment"]["status"] == self.payments[pk].app

    @rule(amount=st.integers(500, 30_000))
    def the_same_top_up_is_sent_twice_at_once(self, amount: int) -> None:
        key = f"key-{next(self.key_numbers)}"
        top_up = {"amountCents": amount, "method": "IDEAL", "idempotencyKey": key}

        async def at_once() -> list[Any]:
            calls = [self._graphql(self.customer, TOP_UP, **top_up) for _ in range(2)]
            return list(await asyncio.gather(*calls))

        results = self.run(at_once())
        # One payment: the other answers with it, or asks to be sent again (still running).
        started = [r["payment"] for r in results if r["__typename"] == "TopUpPayload"]
        assert started and len({p["id"] for p in started}) == 1, results
        assert all(
            r["__typename"] in {"TopUpPayload", "IdempotencyKeyInProgress"} for r in results
        ), results
        self.remember(started[0], key=key, amount=amount, method="IDEAL")

    @precondition(lambda self: self.keys)
    @rule(data=st.data(), change=st.sampled_from(["amount", "method"]))
    def reuse_a_key_for_another_top_up(self, data: st.DataObject, change: str) -> None:
        key = data.draw(st.sampled_from(sorted(self.keys)), label="key")
        _, amount, method = self.keys[key]
        if change == "amount":
            amount += 1
        else:
            method = "IDEAL" if method == "CREDIT_CARD" else "CREDIT_CARD"
        result = self.run(
            self._graphql(
                self.customer, TOP_UP, amountCents=amount, method=method, idempotencyKey=key
            )
        )
        assert result["__typename"] == "IdempotencyKeyReused", result
        # then no payment was made: the invariant compares the payments with the model's

    @precondition(lambda self: self.payments)
    @rule(data=st.data(), decision=st.sampled_from(sorted(DECISIONS)))
    def payer_decides_on_the_checkout_page(self, data: st.DataObject, decision: str) -> None:
        self.payer_decides(self.pick_payment(data), decision)

    def payer_decides(self, payment: Payment, decision: str) -> None:
        decidable = payment.provider == "OPEN" and payment.expires_at > self.now()
        path = f"/sandbox/checkout/{payment.provider_id}"
        page = self.run(self.customer.get(path))
        assert page.status_code == (200 if decidable else 404), page.text
        # The form's token as the page holds it (an expired or decided page shows none).
        form = {"token": self.sandbox.form_token(payment.provider_id), "decision": decision}
        if decision == "pay":
            form |= {"iban": IBAN, "name": "Piet Pieterse"}  # iDEAL asks; a card ignores it
        response = self.run(self.customer.post(path, data=form))
        assert response.status_code == (303 if decidable else 404), response.text
        if decidable:
            payment.provider = DECISIONS[decision]
            self.queued.append(payment.provider_id)

    @precondition(lambda self: self.payments)
    @rule(data=st.data())
    def payer_returns_to_the_return_page(self, data: st.DataObject) -> None:
        payment = self.pick_payment(data)
        now, every = self.now(), payments.ASK_WHEN_READ
        response = self.run(self.customer.get(f"/betaling/{payment.public_id}"))
        assert response.status_code == 200, response.text
        # An open payment is asked about at the provider, at most every few seconds.
        if payment.app == "OPEN" and (
            payment.checked_at is None or payment.checked_at < now - every
        ):
            payment.checked_at = now
            self.app_asks(payment)

    # ---- rules: webhooks and the worker --------------------------------------------------

    @rule()
    def sandbox_delivers_its_webhooks(self) -> None:
        before = len(self.webhooks.sent)
        while self.run(sandbox.deliver_webhooks(self.deps, self.worker_http)):
            pass
        delivered = self.webhooks.sent[before:]
        expected, self.queued = self.queued, []
        assert sorted(orjson.loads(s.body)["id"] for s in delivered) == sorted(expected)
        for sent in delivered:
            self.webhook_arrived(sent)
        self.captured += delivered

    @precondition(lambda self: self.payments)
    @rule(data=st.data())
    def a_signed_webhook_arrives(self, data: st.DataObject) -> None:
        payment = self.pick_payment(data)
        body = orjson.dumps({"id": payment.provider_id})
        sent = self.run(
            self._post_webhook(body, signed_headers(self.deps.settings, body, now=self.now()))
        )
        self.webhook_arrived(sent)
        self.captured.append(sent)

    @precondition(lambda self: self.payments)
    @rule(data=st.data(), copies=st.integers(2, 4))
    def duplicate_webhooks_arrive_at_once(self, data: st.DataObject, copies: int) -> None:
        payment = self.pick_payment(data)
        body = orjson.dumps({"id": payment.provider_id})
        headers = signed_headers(self.deps.settings, body, now=self.now())

        async def at_once() -> list[Sent]:
            posts = [self._post_webhook(body, headers) for _ in range(copies)]
            await asyncio.gather(*posts)
            return self.webhooks.sent[-copies:]

        arrived = self.run(at_once())
        for sent in arrived:
            self.webhook_arrived(sent)
        self.captured.append(arrived[0])

    @precondition(lambda self: self.captured)
    @rule(data=st.data())
    def captured_webhooks_are_replayed_in_another_order(self, data: st.DataObject) -> None:
        replays = data.draw(
            st.lists(st.sampled_from(range(len(self.captured))), min_size=1, max_size=6),
            label="replayed calls, in this order",
        )
        for index in replays:
            original = self.captured[index]
            sent = self.run(self._post_webhook(original.body, original.headers))
            self.webhook_arrived(sent)

    @precondition(lambda self: self.payments)
    @rule(data=st.data(), forgery=st.sampled_from(["bad signature", "unknown payment"]))
    def a_forged_or_unknown_webhook_changes_nothing(
        self, data: st.DataObject, forgery: str
    ) -> None:
        payment = self.pick_payment(data)
        if forgery == "bad signature":
            body = orjson.dumps({"id": payment.provider_id})
            headers = signed_headers(self.deps.settings, body, now=self.now())
            timestamp = headers[sandbox.TIMESTAMP_HEADER]
            headers[sandbox.SIGNATURE_HEADER] = webhook_signature(
                b"not the secret", timestamp, body
            )
            expected = 401
        else:
            body = orjson.dumps({"id": "tr_" + "x" * 32})
            headers = signed_headers(self.deps.settings, body, now=self.now())
            expected = 200
        sent = self.run(self._post_webhook(body, headers))
        assert sent.status == expected, sent

    @rule(seconds=st.one_of(st.sampled_from([61, 301, 899, 900, 901]), st.integers(1, 1200)))
    def time_passes(self, seconds: int) -> None:
        self.clock.advance(seconds=seconds)
        if self.now() - self.signed_in_at >= SIGN_IN_AGAIN_AFTER:
            self.run(self._sign_in())

    @rule()
    def sandbox_expires_what_nobody_decided(self) -> None:
        expired = self.run(sandbox.expire_payments(self.deps))
        due = [
            p for p in self.payments.values() if p.provider == "OPEN" and p.expires_at <= self.now()
        ]
        assert expired == len(due)
        for payment in due:
            payment.provider = "EXPIRED"
            self.queued.append(payment.provider_id)

    @rule()
    def worker_reconciles_open_payments(self) -> None:
        now = self.now()
        candidates = sorted(
            (
                p
                for p in self.payments.values()
                if p.app == "OPEN"
                and p.created_at < now - payments.ASK_AFTER
                and (p.checked_at is None or p.checked_at < now - payments.ASK_EVERY)
            ),
            key=lambda p: (p.checked_at is not None, p.pk),
        )
        settled = self.run(payments.reconcile_open_payments(self.deps, now=now))
        changed = 0
        for payment in candidates:
            payment.checked_at = now
            before = payment.app
            self.app_asks(payment)
            changed += payment.app != before
        assert settled == changed

    # ---- rules: refunds ------------------------------------------------------------------

    @rule(data=st.data())
    def customer_asks_money_back(self, data: st.DataObject) -> None:
        available = self.available()
        amount = data.draw(
            st.one_of(st.integers(1, available + 1_000), st.just(max(available, 1))),
            label="amount",
        )
        self.ask_money_back(amount)

    def ask_money_back(self, amount: int) -> None:
        available = self.available()
        result = self.run(
            self._graphql(
                self.customer,
                REQUEST_REFUND,
                amountCents=amount,
                iban=IBAN,
                accountHolder="Piet Pieterse",
            )
        )
        if amount <= available:
            assert result["__typename"] == "RequestRefundPayload", result
            refund = result["refundRequest"]
            assert (refund["status"], refund["amountCents"]) == ("REQUESTED", amount)
            pk = key_of(refund["id"], "RefundRequest")
            self.refunds[pk] = Refund(pk, amount)
        else:
            assert result["__typename"] == "InsufficientBalance", result
            assert (result["availableCents"], result["requiredCents"]) == (available, amount)

    @precondition(lambda self: self.refunds)
    @rule(data=st.data(), approve=st.booleans())
    def staff_decide_a_refund(self, data: st.DataObject, approve: bool) -> None:
        refund = self.refunds[data.draw(st.sampled_from(sorted(self.refunds)), label="refund")]
        ids = {"refundRequestId": to_global_id("RefundRequest", refund.pk)}
        if approve:
            result = self.run(self._graphql(self.staff, APPROVE_REFUND, **ids))
        else:
            result = self.run(
                self._graphql(self.staff, REJECT_REFUND, **ids, reason="Niet van deze rekening")
            )
        if refund.status != "REQUESTED":
            assert result["__typename"] == "InvalidState", result
            return
        assert result["refundRequest"]["status"] == ("APPROVED" if approve else "REJECTED"), result
        refund.status = "APPROVED" if approve else "REJECTED"

    # Two requests at once (a double submission, two devices). Hypothesis needs each step's
    # outcome to be the same whichever request wins, so both ask the same: exactly the ones
    # that fit are granted, and staff members decide a refund the same way.

    @rule(data=st.data())
    def the_same_refund_is_asked_twice_at_once(self, data: st.DataObject) -> None:
        available = self.available()
        amount = data.draw(st.integers(1, max(available, 1)), label="amount")

        async def at_once() -> list[Any]:
            ask = {"amountCents": amount, "iban": IBAN, "accountHolder": "Piet Pieterse"}
            calls = [self._graphql(self.customer, REQUEST_REFUND, **ask) for _ in range(2)]
            return list(await asyncio.gather(*calls))

        results = self.run(at_once())
        granted = [r for r in results if r["__typename"] == "RequestRefundPayload"]
        assert len(granted) == min(2, available // amount), results
        for result in results:
            if result in granted:
                pk = key_of(result["refundRequest"]["id"], "RefundRequest")
                self.refunds[pk] = Refund(pk, amount)
            else:
                assert result["__typename"] == "InsufficientBalance", result

    @precondition(lambda self: self.refunds)
    @rule(data=st.data(), approve=st.booleans())
    def two_staff_members_decide_a_refund_at_once(self, data: st.DataObject, approve: bool) -> None:
        refund = self.refunds[data.draw(st.sampled_from(sorted(self.refunds)), label="refund")]
        ids = {"refundRequestId": to_global_id("RefundRequest", refund.pk)}

        def decide() -> Any:
            if approve:
                return self._graphql(self.staff, APPROVE_REFUND, **ids)
            return self._graphql(self.staff, REJECT_REFUND, **ids, reason="Dubbel verzoek")

        async def at_once() -> list[Any]:
            return list(await asyncio.gather(decide(), decide()))

        names = sorted(r["__typename"] for r in self.run(at_once()))
        if refund.status != "REQUESTED":
            assert names == ["InvalidState", "InvalidState"], names
            return
        decided = "StaffApproveRefundPayload" if approve else "StaffRejectRefundPayload"
        assert names == ["InvalidState", decided], names
        refund.status = "APPROVED" if approve else "REJECTED"

    @rule()
    def customer_reads_the_balance(self) -> None:
        body = self.run(gql(self.customer, BALANCE))
        assert body["data"]["balance"] == {
            "balanceCents": self.balance(),
            "heldCents": self.held(),
            "availableCents": self.available(),
        }

    # ---- after every step ----------------------------------------------------------------

    @invariant()
    def the_ledger_and_the_model_agree(self) -> None:
        self.run(self._check())

    async def _check(self) -> None:
        ledger = await assert_ledger_invariants(self.app, self.seen)
        assert set(ledger.totals) <= {self.customer_id}  # staff have no balance
        assert ledger.totals.get(self.customer_id, Totals(0, 0)) == Totals(
            self.balance(), self.held()
        )
        assert ledger.top_ups == {p.pk: p.app for p in self.payments.values()}
        assert ledger.refunds == {r.pk: r.status for r in self.refunds.values()}
        provider = dict(await self.deps.db.reader.all(SANDBOX_STATUSES))
        assert provider == {p.provider_id: p.provider for p in self.payments.values()}


# Hypothesis shrinks a failure for up to five minutes: the default timeout would cut that short.
@pytest.mark.timeout(600)
def test_the_ledger_follows_its_model_whatever_the_order_of_payments_webhooks_and_refunds(
    backend: str, request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path
) -> None:
    databases: Databases = (
        SqliteCopies(sqlite_template)
        if backend == "sqlite"
        else PostgresCopies(request.getfixturevalue("postgres_server"))
    )
    examples = itertools.count()
    run_state_machine_as_test(
        lambda: LedgerMachine(databases, tmp_path / f"example-{next(examples)}"),
        settings=settings(
            max_examples=EXAMPLES[backend],
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
