"""The load generator: a process of its own (asyncio + httpx) with a bounded, fixed mix of
requests spread round-robin over the app processes, recording every answer.

Each private user loops over: a top-up (checkout page pressed as a payer does, then the
provider's webhook duplicated to two processes and an older one replayed after it), an order
from the balance whose idempotency key is used again on another process, every other round
the same key sent to two processes at once, a refund request (staff decide it), a right and
a wrong sign-in, every third round a password-reset request. Business users order by direct
debit (keys reused likewise); the filer files an annual report; staff decide refunds and queue
the monthly invoice run. A connection refused (a killed process) moves on to the next process,
as a load balancer would; a connection lost in flight is recorded with its moment and port.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import re
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from typing import Any

import httpx
import orjson
import pyotp

from gql.psp.sandbox import signed_headers
from gql.settings import Settings

PAYER_IBAN = "NL91ABNA0417164300"
_TOKEN = re.compile(r'name="token" value="([0-9a-f]{64})"')
COMPANIES = [f"900000{n:02d}" for n in range(1, 13)]

COOKIE = "cookie:"
LOG_IN = """mutation($input: LogInInput!) { logIn(input: $input) { __typename
  ... on LogInPayload { token } ... on Error { code } } }"""
TOP_UP = """mutation($input: TopUpInput!) { topUp(input: $input) { __typename
  ... on TopUpPayload { payment { id paymentUrl } } ... on Error { code } } }"""
PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { __typename
  ... on PlaceOrderPayload { order { id reference } } ... on Error { code } } }"""
REFUND = """mutation($input: RequestRefundInput!) { requestRefund(input: $input) { __typename
  ... on RequestRefundPayload { refundRequest { id } } ... on Error { code } } }"""
APPROVE = """mutation($input: StaffApproveRefundInput!) { staffApproveRefund(input: $input) {
  __typename ... on Error { code } } }"""
REJECT = """mutation($input: StaffRejectRefundInput!) { staffRejectRefund(input: $input) {
  __typename ... on Error { code } } }"""
RUN = """mutation($input: StaffRunInvoicesInput!) { staffRunInvoices(input: $input) {
  __typename ... on StaffRunInvoicesPayload { run { month status } } ... on Error { code } } }"""
FILE = """mutation($input: FileAnnualReportInput!) { fileAnnualReport(input: $input) {
  __typename ... on FileAnnualReportPayload { report { id } version { version sha256 } }
  ... on Error { code } } }"""
RESET = """mutation($input: RequestPasswordResetInput!) { requestPasswordReset(input: $input) {
  __typename ... on Error { code } } }"""


@dataclass
class Results:
    """Everything the load saw; written as JSON for the checks."""

    started: float = 0.0
    ended: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    outcomes: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    server_errors: list[dict[str, Any]] = field(default_factory=list)
    lost: list[dict[str, Any]] = field(default_factory=list)
    failovers: int = 0
    orders: list[dict[str, Any]] = field(default_factory=list)  # acknowledged
    key_conflicts: list[dict[str, Any]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)
    refunds: list[int] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    filings: list[dict[str, Any]] = field(default_factory=list)
    runs: int = 0
    decided_twice: list[int] = field(default_factory=list)  # both of two decisions at once ok

    def to_json(self) -> bytes:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["latencies"] = dict(self.latencies)
        data["outcomes"] = {k: dict(v) for k, v in self.outcomes.items()}
        return orjson.dumps(data)


def pk_of(global_id: str) -> int:
    import base64

    return int(base64.urlsafe_b64decode(global_id.encode()).decode().split(":", 1)[1])


class Load:
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.ports: list[int] = config["ports"]
        self.seeded: dict[str, Any] = config["seeded"]
        self.deadline = 0.0
        self.results = Results()
        self.rotation = itertools.count()
        self.refund_queue: asyncio.Queue[int] = asyncio.Queue()
        self.provider_settings = Settings(
            secret_key=config["secret_key"], psp_webhook_secret=config["psp_secret"]
        )
        # An idle connection is dropped after 2 s, before uvicorn's 5 s keep-alive timeout: at
        # 5 s on both sides a request can cross the server's close and be lost for nothing.
        self.http = httpx.AsyncClient(
            timeout=30,
            limits=httpx.Limits(
                max_connections=64, max_keepalive_connections=32, keepalive_expiry=2.0
            ),
        )
        self.random = random.Random(config.get("seed", 13))
        self.pdf = config["pdf"]

    @property
    def running(self) -> bool:
        return time.monotonic() < self.deadline

    # ---- transport ---------------------------------------------------------------------

    async def send(self, op: str, method: str, path: str, **kwargs: Any) -> httpx.Response | None:
        """One request to the next process in turn; on to the next while one refuses to
        connect (killed); None when the connection was lost in flight."""
        first = next(self.rotation)
        for attempt in range(len(self.ports) * 3):
            port = self.ports[(first + attempt) % len(self.ports)]
            started = time.monotonic()
            try:
                response = await self.http.request(
                    method, f"http://127.0.0.1:{port}{path}", **kwargs
                )
            except httpx.ConnectError:
                self.results.failovers += 1
                if attempt % len(self.ports) == len(self.ports) - 1:
                    await asyncio.sleep(0.2)
                continue
            except httpx.TransportError as exc:
                self.results.outcomes[op]["lost"] += 1
                self.results.lost.append(
                    {"at": time.time(), "port": port, "op": op, "error": type(exc).__name__}
                )
                return None
            self.results.latencies[op].append((time.monotonic() - started) * 1000)
            if response.status_code >= 500:
                self._server_error(op, port, response.status_code, response.text)
            return response
        self.results.outcomes[op]["unreachable"] += 1
        return None

    def _server_error(self, op: str, port: int, status: int, text: str) -> None:
        self.results.outcomes[op]["server_error"] += 1
        self.results.server_errors.append(
            {"at": time.time(), "port": port, "op": op, "status": status, "body": text[:500]}
        )

    async def gql(
        self,
        op: str,
        document: str,
        variables: dict[str, Any],
        *,
        token: str | None = None,
        files: dict[str, Any] | None = None,
    ) -> tuple[str, dict[str, Any]]:
        """('ok' | 'refused' | 'server_error' | 'lost', the mutation's result)."""
        headers = {}
        if token and token.startswith(COOKIE):  # staff: a browser session
            headers = {"Cookie": token.removeprefix(COOKIE)}
        elif token:
            headers = {"Authorization": f"Bearer {token}"}
        if files is None:
            response = await self.send(
                op,
                "POST",
                "/graphql",
                json={"query": document, "variables": variables},
                headers=headers,
            )
        else:
            response = await self.send(
                op,
                "POST",
                "/graphql",
                data={
                    "operations": orjson.dumps(
                        {"query": document, "variables": variables}
                    ).decode(),
                    "map": orjson.dumps({"0": ["variables.input.document"]}).decode(),
                },
                files=files,
                headers={**headers, "graphql-require-preflight": "1"},
            )
        if response is None:
            return "lost", {}
        if response.status_code >= 500:
            return "server_error", {}
        try:
            body = response.json()
        except ValueError:
            self._server_error(op, 0, response.status_code, response.text)
            return "server_error", {}
        errors = body.get("errors") or []
        codes = [str((e.get("extensions") or {}).get("code")) for e in errors]
        if any(code in {"INTERNAL_SERVER_ERROR", "None"} for code in codes):
            self._server_error(op, 0, response.status_code, response.text)
            return "server_error", {}
        if errors or not body.get("data"):
            self.results.outcomes[op]["refused:" + ",".join(codes)] += 1
            return "refused", {}
        result: dict[str, Any] = next(iter(body["data"].values()))
        typename = result.get("__typename", "")
        if typename.endswith("Payload"):
            self.results.outcomes[op]["ok"] += 1
            return "ok", result
        self.results.outcomes[op]["refused:" + typename] += 1
        return "refused", result

    # ---- operations --------------------------------------------------------------------

    async def log_in(self, op: str, code: str, password: str, totp: str | None = None) -> str:
        """A device session's access token; for staff (TOTP), who cannot start device
        sessions, their browser session's cookie (prefixed "cookie:")."""
        variables: dict[str, Any] = {"input": {"accessCode": code, "password": password}}
        if totp:
            variables["input"]["totp"] = totp
        else:
            variables["input"] |= {"session": "TOKEN", "deviceName": "soak"}
        kind, result = await self.gql(op, LOG_IN, variables)
        cookie = "; ".join(f"{name}={value}" for name, value in self.http.cookies.items())
        self.http.cookies.clear()
        if kind != "ok":
            return ""
        return COOKIE + cookie if totp else str(result["token"])

    async def top_up(self, token: str, previous: list[str]) -> None:
        key = str(uuid.uuid4())
        amount = 500 + self.random.randrange(0, 5000)
        kind, result = await self.gql(
            "topUp",
            TOP_UP,
            {"input": {"amountCents": amount, "method": "IDEAL", "idempotencyKey": key}},
            token=token,
        )
        if kind != "ok":
            return
        payment = result["payment"]
        # The same key again on another process: the same payment, not a second one.
        again, repeated = await self.gql(
            "topUp again",
            TOP_UP,
            {"input": {"amountCents": amount, "method": "IDEAL", "idempotencyKey": key}},
            token=token,
        )
        if again == "ok" and repeated["payment"]["id"] != payment["id"]:
            self.results.key_conflicts.append(
                {"key": key, "payments": [payment["id"], repeated["payment"]["id"]]}
            )
        provider_id = str(payment["paymentUrl"]).rsplit("/", 1)[1]
        record = {"id": pk_of(payment["id"]), "provider_id": provider_id, "paid": False}
        self.results.payments.append(record)
        path = f"/sandbox/checkout/{provider_id}"
        page = await self.send("checkout page", "GET", path)
        found = _TOKEN.search(page.text) if page is not None and page.status_code == 200 else None
        if found is None:
            return
        self.results.outcomes["checkout page"]["ok"] += 1
        pressed = await self.send(
            "checkout pay",
            "POST",
            path,
            data={"token": found.group(1), "decision": "pay", "iban": PAYER_IBAN, "name": "P."},
        )
        if pressed is not None and pressed.status_code == 303:
            record["paid"] = True
            self.results.outcomes["checkout pay"]["ok"] += 1
        # The provider's webhook twice at once, to two processes, then an older one again.
        await asyncio.gather(self.webhook(provider_id), self.webhook(provider_id))
        if previous:
            await self.webhook(previous[-1])
        previous.append(provider_id)

    async def webhook(self, provider_id: str) -> None:
        body = orjson.dumps({"id": provider_id})
        headers = signed_headers(self.provider_settings, body, now=datetime.now(UTC))
        response = await self.send("webhook", "POST", "/psp/webhook", content=body, headers=headers)
        if response is not None and response.status_code < 300:
            self.results.outcomes["webhook"]["ok"] += 1

    async def order(self, token: str, *, twice_at_once: bool, how: str) -> None:
        key = str(uuid.uuid4())
        variables = {
            "input": {
                "productCode": "EXTRACT",
                "kvkNumber": self.random.choice(COMPANIES),
                "idempotencyKey": key,
            }
        }
        op = f"placeOrder ({how})"
        answers: list[tuple[str, dict[str, Any]]]
        if twice_at_once:
            answers = list(
                await asyncio.gather(
                    self.gql(op, PLACE, variables, token=token),
                    self.gql(op, PLACE, variables, token=token),
                )
            )
        else:
            answers = [await self.gql(op, PLACE, variables, token=token)]
            answers.append(await self.gql(op + " again", PLACE, variables, token=token))
        if any(kind == "lost" for kind, _ in answers):
            # The connection died with its process: a client tries again with the same key.
            await asyncio.sleep(0.5)
            answers.append(await self.gql(op + " after lost", PLACE, variables, token=token))
        references = set()
        for kind, result in answers:
            if kind == "ok":
                order = result["order"]
                references.add(order["reference"])
                self.results.orders.append(
                    {"key": key, "reference": order["reference"], "id": pk_of(order["id"])}
                )
        if len(references) > 1:
            self.results.key_conflicts.append({"key": key, "references": sorted(references)})

    async def refund(self, token: str) -> None:
        kind, result = await self.gql(
            "requestRefund",
            REFUND,
            {
                "input": {
                    "amountCents": 100,
                    "iban": PAYER_IBAN,
                    "accountHolder": "P. Pieterse",
                    "reason": "soak",
                }
            },
            token=token,
        )
        if kind == "ok":
            refund_id = pk_of(result["refundRequest"]["id"])
            self.results.refunds.append(refund_id)
            self.refund_queue.put_nowait(refund_id)

    # ---- users -------------------------------------------------------------------------

    async def private_user(self, n: int) -> None:
        code = self.seeded["private"][n]
        token = await self.log_in("logIn (right)", code, self.config["password"])
        wrong = self.seeded["wrong_targets"]
        previous: list[str] = []
        for round_ in itertools.count():
            if not self.running:
                return
            if not token:
                token = await self.log_in("logIn (right)", code, self.config["password"])
                continue
            await self.top_up(token, previous)
            await self.order(token, twice_at_once=round_ % 2 == 1, how="balance")
            await self.refund(token)
            await self.log_in("logIn (right)", code, self.config["password"])
            await self.log_in("logIn (wrong)", wrong[(n + round_) % len(wrong)], "fout wachtwoord")
            if round_ % 3 == 0:
                await self.gql("requestPasswordReset", RESET, {"input": {"accessCode": code}})

    async def business_user(self, n: int) -> None:
        code = self.seeded["business"][n]
        token = ""
        for round_ in itertools.count():
            if not self.running:
                return
            if not token:
                token = await self.log_in("logIn (right)", code, self.config["password"])
                continue
            await self.order(token, twice_at_once=round_ % 2 == 1, how="direct debit")

    async def filer(self) -> None:
        token = ""
        year_end = date.fromisoformat(self.config["year_end"])
        while self.running:
            if not token:
                token = await self.log_in(
                    "logIn (right)", self.seeded["filer"], self.seeded["filer_password"]
                )
                continue
            kind, result = await self.gql(
                "fileAnnualReport",
                FILE,
                {
                    "input": {
                        "kvkNumber": "90000001",
                        "financialYearEnd": year_end.isoformat(),
                        "document": None,
                    }
                },
                token=token,
                files={"0": ("jaarrekening.pdf", self.pdf, "application/pdf")},
            )
            if kind == "ok":
                self.results.filings.append(
                    {
                        "report": pk_of(result["report"]["id"]),
                        "version": result["version"]["version"],
                    }
                )
            await asyncio.sleep(0.5)

    async def staff(self) -> None:
        token = ""
        last_run = 0.0
        decided = 0
        while self.running or not self.refund_queue.empty():
            if not token:
                totp = pyotp.TOTP(self.seeded["staff_totp"]).now()
                token = await self.log_in(
                    "logIn (staff)", self.seeded["staff"], self.config["password"], totp
                )
                if not token:
                    await asyncio.sleep(1)
                continue
            if time.monotonic() - last_run > 10 and self.running:
                last_run = time.monotonic()
                kind, _ = await self.gql(
                    "staffRunInvoices",
                    RUN,
                    {"input": {"month": self.seeded["last_month"]}},
                    token=token,
                )
                self.results.runs += kind == "ok"
            try:
                refund_id = await asyncio.wait_for(self.refund_queue.get(), timeout=1)
            except TimeoutError:
                continue
            approve = decided % 2 == 0
            # Every third refund: the same decision sent to two processes at once.
            copies = 2 if decided % 3 == 0 else 1
            decided += 1
            global_id = _global_id("RefundRequest", refund_id)
            if approve:
                op, document, variables = (
                    "staffApproveRefund",
                    APPROVE,
                    {"input": {"refundRequestId": global_id}},
                )
            else:
                op, document, variables = (
                    "staffRejectRefund",
                    REJECT,
                    {"input": {"refundRequestId": global_id, "reason": "soak"}},
                )
            answers = await asyncio.gather(
                *(self.gql(op, document, variables, token=token) for _ in range(copies))
            )
            oks = sum(1 for kind, _ in answers if kind == "ok")
            if oks > 1:
                self.results.decided_twice.append(refund_id)
            if oks:
                self.results.decisions.append(
                    {"id": refund_id, "decision": "APPROVED" if approve else "REJECTED"}
                )

    async def run(self) -> Results:
        self.results.started = time.time()
        self.deadline = time.monotonic() + self.config["seconds"]
        users = [self.private_user(n) for n in range(len(self.seeded["private"]))]
        users += [self.business_user(n) for n in range(len(self.seeded["business"]))]
        users += [self.filer(), self.staff()]
        await asyncio.gather(*users)
        self.results.ended = time.time()
        await self.http.aclose()
        return self.results


def _global_id(type_name: str, pk: int) -> str:
    import base64

    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode()


def run_load(config: dict[str, Any], out: str) -> None:
    """The entry point of the load process: runs, then writes its results to `out`."""
    results = asyncio.run(Load(config).run())
    with open(out, "wb") as handle:
        handle.write(results.to_json())
