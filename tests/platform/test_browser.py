"""In a real headless Chromium against a real `toegang serve`: GraphiQL, the example SPA on a
second origin (also paying a top-up on the sandbox's checkout page, and ordering a product
and downloading its document), and a page on another site that tries to read and change the
victim's data.

One server, one SPA site and one browser serve the whole module; every test gets a fresh
browser context (its own cookie jar).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Response, expect

from tests.support.browser import EXAMPLE_SPA, StaticSite, chromium, static_site
from tests.support.documents import pdf_document
from tests.support.factories import code_in, pdf_text
from tests.support.live import (
    LiveServer,
    MailFolder,
    free_port,
    live_server,
    pay_at_the_sandbox,
    run_toegang,
    server_env,
)

pytestmark = pytest.mark.browser

# The private demo account of `toegang seed-demo` (gql/demo.py).
VICTIM_CODE = "DEMA-PRVT-2345"
VICTIM_PASSWORD = "groene appels en rode peren"
VICTIM_NAME = "Sanne de Vries"
ATTACKER_PASSWORD = "het wachtwoord van de aanvaller 1234"
# The business demo account: main user of Bakkerij De Zon B.V. (90000001), which must file
# annual accounts, filed one year in the demo data and left earlier years unfiled.
BUSINESS_CODE = "DEMA-BZNS-2345"
BUSINESS_PASSWORD = "koffie met appeltaart om tien uur"
BUSINESS_KVK = "90000001"
BUSINESS_NAME = "Bakkerij De Zon B.V."

TIMEOUT_MS = 10_000

LOG_IN = """
mutation LogIn($input: LogInInput!) {
  logIn(input: $input) {
    __typename
    ... on LogInPayload { viewer { name } }
    ... on Error { code message }
  }
}
"""

VIEWER = "query Viewer { viewer { name accessCode } }"

REQUEST_ACCESS_CODE = """
mutation RequestAccessCode($input: RequestAccessCodeInput!) {
  requestAccessCode(input: $input) { __typename }
}
"""

TOP_UP = """
mutation TopUp($input: TopUpInput!) {
  topUp(input: $input) {
    __typename
    ... on TopUpPayload { payment { paymentUrl } }
    ... on Error { code message }
  }
}
"""

BALANCE = "query { balance { balanceCents } }"

# In GraphiQL every document carries the default document's operation name: GraphiQL sends
# the operation name it last parsed from the editor, so a new name could arrive a moment late.
GRAPHIQL_VIEWER = "query SignInAsDemo { viewer { name accessCode } }"
GRAPHIQL_LOG_IN = (
    "mutation SignInAsDemo { logIn(input: {"
    f'accessCode: "{VICTIM_CODE}", password: "{VICTIM_PASSWORD}"'
    "}) { __typename ... on LogInPayload { viewer { name } } } }"
)

# What the attacker wants done: each field has an effect the server side can see.
EVIL_MUTATION = (
    "mutation Evil { "
    f'requestPasswordReset(input: {{accessCode: "{VICTIM_CODE}"}}) {{ __typename }} '
    f'changePassword(input: {{currentPassword: "{VICTIM_PASSWORD}", '
    f'newPassword: "{ATTACKER_PASSWORD}"}}) {{ __typename }} '
    "logOut(input: {}) { __typename } }"
)

# The attacker's page. Every attempt stores what the page could see in window.results.
EVIL_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Gefeliciteerd!</title></head>
<body>
<h1>U heeft een prijs gewonnen</h1>
<script>
const CONFIG = __CONFIG__;
const API = CONFIG.api;
window.results = {};

async function attempt(name, run) {
  try {
    window.results[name] = await run();
  } catch (error) {
    window.results[name] = 'blocked: ' + error.name;
  }
}

async function readable(response) {
  return 'read ' + response.status + ': ' + (await response.text());
}

async function opaque(response) {
  return response.type + ' ' + response.status + ': ' + (await response.text());
}

// A classic form POST into a hidden frame; afterwards try to look inside the frame.
function submitForm(name, enctype, fields) {
  return new Promise((resolve) => {
    const frame = document.createElement('iframe');
    frame.name = name;
    document.body.appendChild(frame);
    const form = document.createElement('form');
    form.method = 'POST';
    form.action = API;
    form.enctype = enctype;
    form.target = name;
    for (const [key, value] of fields) {
      const input = document.createElement('input');
      input.type = 'hidden';
      input.name = key;
      input.value = value;
      form.appendChild(input);
    }
    document.body.appendChild(form);
    frame.addEventListener('load', () => {
      try {
        const doc = frame.contentDocument;
        resolve(doc ? 'read: ' + doc.documentElement.innerText : 'unreadable');
      } catch (error) {
        resolve('unreadable');
      }
    }, { once: true });
    form.submit();
  });
}

async function main() {
  const json = (query) => JSON.stringify({ query });
  // (a) read and write with a credentialed JSON POST: needs a CORS preflight.
  await attempt('json-read', async () => readable(await fetch(API, {
    method: 'POST', credentials: 'include',
    headers: { 'content-type': 'application/json' }, body: json(CONFIG.read),
  })));
  await attempt('json-mutation', async () => readable(await fetch(API, {
    method: 'POST', credentials: 'include',
    headers: { 'content-type': 'application/json' }, body: json(CONFIG.evil),
  })));
  // (b) a GET query, credentialed, mode cors: the answer has no Access-Control-Allow-Origin.
  await attempt('get-read', async () => readable(await fetch(
    API + '?query=' + encodeURIComponent(CONFIG.read), { credentials: 'include' })));
  // ... and the mutation over GET, where nobody reads the answer.
  await attempt('get-mutation', async () => opaque(await fetch(
    API + '?query=' + encodeURIComponent(CONFIG.evil), { mode: 'no-cors', credentials: 'include' })));
  // (c) an HTML form, application/x-www-form-urlencoded.
  await attempt('form-urlencoded', () => submitForm(
    'frame-urlencoded', 'application/x-www-form-urlencoded', [['query', CONFIG.evil]]));
  // (d) an HTML form, multipart/form-data (also in the shape of the GraphQL multipart spec).
  await attempt('form-multipart', () => submitForm('frame-multipart', 'multipart/form-data', [
    ['operations', json(CONFIG.evil)], ['map', '{}'], ['query', CONFIG.evil]]));
  // (e) an HTML form, text/plain, shaped so that the body is valid JSON.
  await attempt('form-text', () => submitForm('frame-text', 'text/plain', [
    ['{"query": ' + JSON.stringify(CONFIG.evil) + ', "padding": "', '"}']]));
  // (f) a no-cors fetch with a text/plain JSON body.
  await attempt('no-cors-text', async () => opaque(await fetch(API, {
    method: 'POST', mode: 'no-cors', credentials: 'include',
    headers: { 'content-type': 'text/plain' }, body: json(CONFIG.evil),
  })));
  // (g) a no-cors fetch that asks for JSON: the browser drops the header (text/plain).
  await attempt('no-cors-json', async () => opaque(await fetch(API, {
    method: 'POST', mode: 'no-cors', credentials: 'include',
    headers: { 'content-type': 'application/json' }, body: json(CONFIG.evil),
  })));
  window.done = true;
}

main();
</script>
</body></html>
"""

# Non-JSON POSTs the evil page sends; each must reach the server and be refused with 403.
FORM_AND_NO_CORS_POSTS = 5
FORMS = 3


@dataclass
class Stack:
    """The server under test and the sites around it."""

    server: LiveServer
    spa: StaticSite
    database: Path
    mail: MailFolder

    @property
    def graphql(self) -> str:
        return f"{self.server.url}/graphql"

    @property
    def origin(self) -> str:
        return self.server.url


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Stack]:
    """`toegang serve` with demo data, and the example SPA on another port of 127.0.0.1."""
    root = tmp_path_factory.mktemp("browser")
    database = root / "toegang.db"
    shutil.copyfile(sqlite_template, database)
    api_port = free_port()
    api_origin = f"http://127.0.0.1:{api_port}"
    # The SPA is served under a strict CSP: no inline script or style, connections only to the API.
    spa_csp = (
        "default-src 'none'; script-src 'self'; style-src 'self'; "
        f"connect-src {api_origin}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    with static_site(EXAMPLE_SPA, headers={"content-security-policy": spa_csp}) as spa:
        env = server_env(
            database_url=f"sqlite+aiosqlite:///{database}",
            data_dir=root / "data",
            port=api_port,
            TOEGANG_PUBLIC_URL=api_origin,
            TOEGANG_CORS_ORIGINS=spa.origin(),
        )
        run_toegang(["seed-demo"], env)
        with live_server(env, log_path=root / "server.log") as server:
            yield Stack(
                server=server, spa=spa, database=database, mail=MailFolder(root / "data" / "mail")
            )


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context()
    ctx.set_default_timeout(TIMEOUT_MS)
    try:
        yield ctx
    finally:
        ctx.close()


def api_post(context: BrowserContext, stack: Stack, query: str, variables: Any = None) -> Any:
    """A JSON POST from the browser context's cookie jar (Playwright's request API)."""
    response = context.request.post(
        stack.graphql,
        data=json.dumps({"query": query, "variables": variables or {}}),
        headers={"content-type": "application/json"},
    )
    assert response.status == 200, response.text()
    return response.json()


def sign_in_with_password(stack: Stack, password: str) -> str:
    """logIn over plain HTTP, outside the browser; the result's __typename."""
    with stack.server.client() as http:
        variables = {"input": {"accessCode": VICTIM_CODE, "password": password}}
        body = http.post("/graphql", json={"query": LOG_IN, "variables": variables}).json()
    return str(body["data"]["logIn"]["__typename"])


def outbox_count(stack: Stack) -> int:
    """Rows in the outbox table, read straight from the server's SQLite file."""
    conn = sqlite3.connect(f"file:{stack.database}?mode=ro", uri=True)
    try:
        (count,) = conn.execute("SELECT count(*) FROM outbox_message").fetchone()
    finally:
        conn.close()
    return int(count)


def collect_errors(page: Page) -> list[str]:
    """Script errors and console errors of `page` (a CSP violation is one), as they happen.

    The browser's own request for /favicon.ico, which neither site has, does not count.
    """
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.location["url"].endswith("/favicon.ico"):
            errors.append(f"{message.text} ({message.location['url']})")

    page.on("console", on_console)
    return errors


def result_text(page: Page) -> str:
    """The visible text of GraphiQL's result pane (Monaco renders spaces as U+00A0)."""
    return page.inner_text(".result-window .view-lines").replace("\xa0", " ")


def wait_for_result(page: Page, expected: str) -> None:
    page.wait_for_function(
        """expected => {
            const lines = document.querySelector('.result-window .view-lines');
            return lines && lines.innerText.replaceAll('\\u00a0', ' ').includes(expected);
        }""",
        arg=expected,
    )


def run_in_graphiql(page: Page, document: str) -> None:
    """Replace the editor's text with `document` and run it with Ctrl+Enter."""
    page.locator(".graphiql-query-editor .monaco-editor").click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.insert_text(document)
    page.keyboard.press("ControlOrMeta+Enter")


def test_graphiql_runs_a_query_and_signs_in_without_loading_anything_from_elsewhere(
    stack: Stack, context: BrowserContext
) -> None:
    # given
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    page = context.new_page()
    errors = collect_errors(page)
    # when
    page.goto(stack.graphql)
    page.locator(".graphiql-query-editor .monaco-editor").wait_for()
    page.locator(".graphiql-execute-button").click()
    # The default document signs in with the demo account and reads who that is.
    wait_for_result(page, '"__typename": "LogInPayload"')
    default_result = result_text(page)
    run_in_graphiql(page, GRAPHIQL_LOG_IN)
    wait_for_result(page, '"__typename": "LogInPayload"')
    run_in_graphiql(page, GRAPHIQL_VIEWER)
    wait_for_result(page, f'"accessCode": "{VICTIM_CODE}"')
    # then
    assert '"name": "Sanne de Vries"' in default_result
    assert f'"name": "{VICTIM_NAME}"' in result_text(page)
    [cookie] = context.cookies(stack.origin)
    assert cookie["name"] == "toegang_session"
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert cookie["secure"] is False
    own = urlsplit(stack.origin).netloc
    elsewhere = [
        url
        for url in requested
        if not url.startswith(("data:", "blob:")) and urlsplit(url).netloc != own
    ]
    assert requested
    assert elsewhere == []
    assert errors == []


def test_the_example_spa_on_another_origin_signs_in_with_the_cookie_shows_the_viewer_and_signs_out(
    stack: Stack, context: BrowserContext
) -> None:
    # given
    page = context.new_page()
    errors = collect_errors(page)
    page.goto(stack.spa.url(f"index.html?api={quote(stack.graphql, safe='')}"))
    page.locator("body[data-state='signed-out']").wait_for()
    page.fill("#access-code", VICTIM_CODE.lower())
    page.fill("#password", ATTACKER_PASSWORD)
    page.click("#sign-in-button")
    page.locator("#error:not([hidden])").wait_for()
    refusal = page.inner_text("#error")
    # when
    page.fill("#password", VICTIM_PASSWORD)
    page.click("#sign-in-button")
    page.locator("body[data-state='signed-in']").wait_for()
    shown_name = page.inner_text("#viewer-name")
    shown_code = page.inner_text("#viewer-access-code")
    [cookie] = context.cookies(stack.origin)
    page.click("#sign-out-button")
    page.locator("body[data-state='signed-out']").wait_for()
    # then
    assert refusal != ""
    assert shown_name == VICTIM_NAME
    assert shown_code == VICTIM_CODE
    assert cookie["name"] == "toegang_session"
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert page.inner_text("#status") == "Niet ingelogd."
    assert page.locator("#signed-in").is_hidden()
    assert context.cookies(stack.origin) == []
    assert api_post(context, stack, VIEWER)["data"]["viewer"] is None
    # The old cookie value no longer works anywhere: the session ended server side.
    with stack.server.client(cookies={cookie["name"]: cookie["value"]}) as http:
        replay = http.post("/graphql", json={"query": VIEWER}).json()
    assert replay["data"]["viewer"] is None
    page.reload()
    page.locator("body[data-state='signed-out']").wait_for()
    assert errors == []


def test_the_example_spa_files_a_pdf_for_a_business_account_and_shows_filings_and_deadlines(
    stack: Stack, context: BrowserContext, tmp_path: Path
) -> None:
    # given: a signed-in business account, and last year's accounts as a PDF on disk
    year_end = date(datetime.now(ZoneInfo("Europe/Amsterdam")).year - 1, 12, 31).isoformat()
    content = pdf_document(f"Jaarrekening Bakkerij De Zon B.V. {year_end}")
    pdf = tmp_path / "jaarrekening.pdf"
    pdf.write_bytes(content)
    page = context.new_page()
    errors = collect_errors(page)
    page.goto(stack.spa.url(f"index.html?api={quote(stack.graphql, safe='')}"))
    page.locator("body[data-state='signed-out']").wait_for()
    page.fill("#access-code", BUSINESS_CODE)
    page.fill("#password", BUSINESS_PASSWORD)
    page.click("#sign-in-button")
    page.locator("#annual-reports[data-state='ready']").wait_for()
    suggested = page.input_value("#financial-year-end")
    # when: filed through the page (FormData, multipart, the preflight header)
    page.set_input_files("#report-file", pdf)
    page.fill("#financial-year-end", year_end)
    page.click("#file-report-button")
    filed = page.locator(f"#report-list li[data-year-end='{year_end}']")
    filed.wait_for()
    page.locator("#annual-reports[data-state='ready']").wait_for()
    with page.expect_download() as downloading:
        filed.locator("a.download").click()
    download = downloading.value
    # then: the receipt, the filing with its link, the same bytes back
    assert suggested == year_end  # the newest year still to file
    assert "gedeponeerd (versie 1)" in page.inner_text("#report-result")
    assert filed.locator("a.download").inner_text().startswith("versie 1 (PDF")
    assert page.locator("#report-list li").count() == 2  # with the demo filing
    assert download.suggested_filename == f"jaarrekening-90000001-{year_end}-v1.pdf"
    assert Path(download.path()).read_bytes() == content
    # ... and the calendar: the year filed, the unfiled years before it overdue and marked
    assert page.get_attribute(f"#calendar-body tr[data-year-end='{year_end}']", "data-status") == (
        "FILED"
    )
    overdue_rows = page.locator("#calendar-body tr.overdue")
    overdue = overdue_rows.count()
    assert overdue > 0
    assert page.locator("#calendar-body tr[data-status='OVERDUE']").count() == overdue
    assert f"{overdue} boekjaren zijn te laat" in page.inner_text("#overdue-summary")
    assert overdue_rows.first.evaluate("row => getComputedStyle(row.cells[0]).color") == (
        "rgb(160, 0, 0)"
    )
    assert page.locator("#error").is_hidden()
    assert errors == []


def test_the_example_spa_takes_no_api_url_from_its_address_unless_it_is_a_loopback_address(
    stack: Stack, context: BrowserContext
) -> None:
    # given
    page = context.new_page()
    # when
    page.goto(stack.spa.url("index.html?api=https%3A%2F%2Fapi.evil.example%2Fgraphql"))
    page.locator("body:not([data-state='loading'])").wait_for()
    # then: the URL of config.js (the CSP of the SPA site keeps the page from reaching it)
    assert page.inner_text("#api-url") == "http://127.0.0.1:8000/graphql"


@pytest.mark.parametrize(
    ("attacker_host", "cookie_goes_along"),
    [
        # Another site: SameSite=Lax keeps the cookie off every request of the page.
        pytest.param("localhost", False, id="another-site"),
        # Same site as the API (a site ignores the port), so the cookie does go along with the
        # forms: only the server's own rules (JSON or a preflight header; CORS) stop this one.
        pytest.param("127.0.0.1", True, id="same-site-other-origin"),
    ],
)
def test_a_page_from_elsewhere_can_neither_read_the_victims_data_nor_change_anything(
    stack: Stack,
    context: BrowserContext,
    tmp_path: Path,
    attacker_host: str,
    cookie_goes_along: bool,
) -> None:
    # given
    signed_in = api_post(
        context,
        stack,
        LOG_IN,
        {"input": {"accessCode": VICTIM_CODE, "password": VICTIM_PASSWORD}},
    )
    assert signed_in["data"]["logIn"]["__typename"] == "LogInPayload"
    mail_before = outbox_count(stack)
    config = {"api": stack.graphql, "read": VIEWER, "evil": EVIL_MUTATION}
    (tmp_path / "evil.html").write_text(EVIL_PAGE.replace("__CONFIG__", json.dumps(config)))
    answers: list[Response] = []
    context.on(
        "response",
        lambda response: (
            answers.append(response) if response.url.split("?")[0] == stack.graphql else None
        ),
    )
    # when
    with static_site(tmp_path) as attacker:
        page = context.new_page()
        page.goto(attacker.url("evil.html", host=attacker_host))
        page.wait_for_function("window.done === true")
        results: dict[str, str] = page.evaluate("window.results")
        posts = [
            (a.status, a.request.is_navigation_request(), "cookie" in a.request.all_headers())
            for a in answers
            if a.request.method == "POST"
        ]
        page.close()
    # then: the page saw nothing
    assert results == {
        "json-read": "blocked: TypeError",
        "json-mutation": "blocked: TypeError",
        "get-read": "blocked: TypeError",
        "get-mutation": "opaque 0: ",
        "form-urlencoded": "unreadable",
        "form-multipart": "unreadable",
        "form-text": "unreadable",
        "no-cors-text": "opaque 0: ",
        "no-cors-json": "opaque 0: ",
    }
    # ... the non-JSON posts did reach the server, which refused each (no preflight header)
    assert [status for status, _, _ in posts] == [403] * FORM_AND_NO_CORS_POSTS
    assert [cookie for _, form, cookie in posts if form] == [cookie_goes_along] * FORMS
    # ... and nothing changed: no reset mail, the session lives, the old password still works
    assert outbox_count(stack) == mail_before
    assert api_post(context, stack, VIEWER)["data"]["viewer"]["name"] == VICTIM_NAME
    assert sign_in_with_password(stack, ATTACKER_PASSWORD) == "InvalidCredentials"
    assert sign_in_with_password(stack, VICTIM_PASSWORD) == "LogInPayload"


def new_private_account(stack: Stack, email: str, password: str) -> str:
    """A private access code of its own (empty balance), requested over HTTP and read from
    its mail; the code."""
    variables = {
        "input": {"usage": "PRIVATE", "name": "Pim Jansen", "email": email, "password": password}
    }
    with stack.server.client() as http:
        body = http.post(
            "/graphql", json={"query": REQUEST_ACCESS_CODE, "variables": variables}
        ).json()
    assert body["data"]["requestAccessCode"]["__typename"] == "RequestAccessCodePayload", body
    return code_in(stack.mail.next_to(email, "Je toegangscode voor het Handelsregister"))


def shown(page: Page, selector: str) -> str:
    """The text of `selector`, with the no-break space of nl money formatting as a space."""
    return page.inner_text(selector).replace("\xa0", " ")


def test_the_example_spa_tops_up_a_private_balance_through_the_checkout_page_and_shows_it(
    stack: Stack, context: BrowserContext
) -> None:
    # given: a new private account, signed in to the SPA, with an empty balance
    password = "een lange zin als wachtwoord voor mijn tegoed"
    code = new_private_account(stack, "pim.jansen@example.nl", password)
    page = context.new_page()
    errors = collect_errors(page)
    spa_url = stack.spa.url(f"index.html?api={quote(stack.graphql, safe='')}")
    page.goto(spa_url)
    page.locator("body[data-state='signed-out']").wait_for()
    page.fill("#access-code", code)
    page.fill("#password", password)
    page.click("#sign-in-button")
    page.locator("#balance[data-state='ready']").wait_for()
    before = shown(page, "#balance-amount")
    # when: EUR 10 by iDEAL, paid on the sandbox's checkout page
    page.fill("#top-up-amount", "10")
    page.click("#top-up-button")
    page.wait_for_url(f"{stack.origin}/sandbox/checkout/*")
    page.fill("#iban", "NL91 ABNA 0417 1643 00")
    page.fill("#name", "P. Jansen")
    page.click("button[value=pay]")
    page.wait_for_url(f"{stack.spa.origin()}/index.html?*")
    page.locator("#payment-result[data-status='PAID']").wait_for(timeout=15_000)
    page.locator("#balance[data-state='ready']").wait_for()
    # then: the outcome and the new balance, in euros the Dutch way
    assert before == "€ 0,00"
    assert shown(page, "#payment-result") == "Je storting van € 10,00 is ontvangen."
    assert shown(page, "#balance-amount") == "€ 10,00"
    assert shown(page, "#balance-held") == "€ 0,00"
    assert shown(page, "#balance-available") == "€ 10,00"
    rows = page.locator("#transactions-body tr")
    assert rows.count() == 1
    assert rows.first.get_attribute("data-kind") == "TOP_UP"
    assert shown(page, "#transactions-body tr td:nth-child(3)") == "€ 10,00"
    # ... back on the address it left from, without the return marker (a reload shows no
    # outcome again), and the balance is the API's own
    assert page.url == spa_url
    assert api_post(context, stack, "query { balance { balanceCents } }")["data"] == {
        "balance": {"balanceCents": 1000}
    }
    assert page.locator("#error").is_hidden()
    assert errors == []


def funded_private_account(stack: Stack, email: str, password: str, cents: int) -> str:
    """A new private access code whose balance holds `cents`: topped up over HTTP and paid on
    the sandbox's checkout page, once the worker delivered the provider's webhook; the code."""
    code = new_private_account(stack, email, password)
    with stack.server.client() as http:
        variables = {"input": {"accessCode": code, "password": password}}
        signed_in = http.post("/graphql", json={"query": LOG_IN, "variables": variables}).json()
        assert signed_in["data"]["logIn"]["__typename"] == "LogInPayload", signed_in
        top_up = {"amountCents": cents, "method": "IDEAL", "idempotencyKey": str(uuid.uuid4())}
        started = http.post(
            "/graphql", json={"query": TOP_UP, "variables": {"input": top_up}}
        ).json()["data"]["topUp"]
        assert started["__typename"] == "TopUpPayload", started
        assert pay_at_the_sandbox(http, started["payment"]["paymentUrl"]).status_code == 303
        deadline = time.monotonic() + 10
        while True:
            body = http.post("/graphql", json={"query": BALANCE}).json()
            if body["data"]["balance"]["balanceCents"] == cents:
                return code
            assert time.monotonic() < deadline, body
            time.sleep(0.05)


def euros(cents: int) -> str:
    """Cents as the SPA shows them (nl), with a plain space: 290 -> "€ 2,90"."""
    return f"€ {cents // 100},{cents % 100:02d}"


def test_the_example_spa_orders_an_extract_from_the_balance_and_downloads_its_pdf(
    stack: Stack, context: BrowserContext
) -> None:
    # given: a private account with EUR 20 on its balance; the products, read anonymously
    password = "een lange zin als wachtwoord voor mijn bestelling"
    code = funded_private_account(stack, "joke.bakker@example.nl", password, 2000)
    catalog = api_post(context, stack, "query { products { code priceCents } }")["data"]
    price = {p["code"]: p["priceCents"] for p in catalog["products"]}["EXTRACT"]
    page = context.new_page()
    errors = collect_errors(page)
    page.goto(stack.spa.url(f"index.html?api={quote(stack.graphql, safe='')}"))
    page.locator("body[data-state='signed-out']").wait_for()
    page.locator("#products[data-state='ready']").wait_for()
    listed_price = shown(page, "#products-body tr[data-code='EXTRACT'] td:nth-child(2)")
    vat_statement = page.inner_text("#vat-statement")
    not_orderable = page.get_attribute("#products-body tr[data-code='FILED_DOCUMENT']", "class")
    page.fill("#access-code", code)
    page.fill("#password", password)
    page.click("#sign-in-button")
    page.locator("#orders[data-state='ready']").wait_for()
    page.locator("#balance[data-state='ready']").wait_for()
    empty_before = page.locator("#orders-empty").is_visible()
    offered = page.eval_on_selector_all(
        "#order-product option", "options => options.map(o => o.value)"
    )
    # ... the financial year end is asked only for a product about filed annual accounts
    page.select_option("#order-product", "ANNUAL_ACCOUNTS")
    year_end_for_accounts = page.locator("#order-year-end").is_visible()
    page.select_option("#order-product", "EXTRACT")
    year_end_for_extract = page.locator("#order-year-end").is_visible()
    # when: an extract of the bakery, ordered from the balance
    page.fill("#order-kvk-number", BUSINESS_KVK)
    page.click("#place-order-button")
    row = page.locator("#orders-body tr[data-status='DELIVERED']")
    row.wait_for()
    expect(page.locator("#balance-available")).to_have_text(
        euros(2000 - price).replace(" ", "\xa0")
    )
    with (
        page.expect_request(f"{stack.origin}/files/*") as fetching,
        page.expect_download() as downloading,
    ):
        row.locator("a.download").click()
    download = downloading.value
    content = Path(download.path()).read_bytes()
    sent_cookie = fetching.value.all_headers().get("cookie", "")
    # then: the product list, in euros the Dutch way, without VAT
    assert listed_price == euros(price)
    assert vat_statement == "Over producten van het Handelsregister wordt geen btw berekend."
    assert not_orderable == "not-orderable" and "FILED_DOCUMENT" not in offered
    assert (empty_before, year_end_for_accounts, year_end_for_extract) == (True, True, False)
    # ... the order as the API has it, in the list, with the price gone from the balance
    [order] = [
        e["node"]
        for e in api_post(
            context, stack, "query { orders { edges { node { reference placedAt } } } }"
        )["data"]["orders"]["edges"]
    ]
    assert page.inner_text("#order-result") == f"Je bestelling {order['reference']} is geplaatst."
    assert page.locator("#orders-body tr").count() == 1
    cells = [shown(page, f"#orders-body tr td:nth-child({n})") for n in range(1, 8)]
    placed_at = datetime.fromisoformat(order["placedAt"]).astimezone(ZoneInfo("Europe/Amsterdam"))
    assert cells[:5] == [
        order["reference"],
        "Uittreksel Handelsregister",
        BUSINESS_NAME,
        "Geleverd",
        euros(price),
    ]
    assert placed_at.strftime("%H:%M") in cells[5] and str(placed_at.year) in cells[5]
    assert cells[6] == "Downloaden"
    assert shown(page, "#balance-amount") == euros(2000 - price)
    # ... and its document, downloaded with the session cookie from the API's own origin
    assert download.url.startswith(f"{stack.origin}/files/")
    assert fetching.value.is_navigation_request() and "toegang_session=" in sent_cookie
    assert download.suggested_filename.endswith(".pdf")
    assert content.startswith(b"%PDF")
    assert BUSINESS_NAME in pdf_text(content)
    assert page.url.startswith(stack.spa.origin())  # the attachment left the page where it was
    assert page.locator("#error").is_hidden()
    assert errors == []
