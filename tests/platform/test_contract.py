"""frontend-contract/: the schema, the operations, their TypeScript types and the trusted documents.

The committed files must be what the code builds; every operation must be valid and must work
against a real server; trusted-documents mode must run the manifest's documents and nothing else.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pyotp
import pytest
from asgi_lifespan import LifespanManager
from graphql import (
    FragmentDefinitionNode,
    OperationDefinitionNode,
    build_schema,
    parse,
    print_ast,
    validate,
)
from starlette.applications import Starlette

from gql import contract
from gql.app import create_app
from gql.cli import main
from gql.clock import FrozenClock
from gql.demo import DEMO_REQUEST
from gql.schema.root import executor, schema
from gql.services.shared.formatting import AMSTERDAM
from tests.support.api import http_client, make_settings, outbox
from tests.support.documents import pdf_document
from tests.support.factories import code_in, pdf_text, token_in
from tests.support.live import (
    LiveServer,
    MailFolder,
    create_staff,
    free_port,
    live_server,
    pay_at_the_sandbox,
    run_toegang,
    server_env,
)

FRONTEND = Path(__file__).resolve().parents[2] / "frontend-contract"
OPERATIONS = FRONTEND / "operations"
SCHEMA_FILE = FRONTEND / "schema.graphql"
GENERATED = FRONTEND / "generated" / "operations.ts"
NODE_MODULES = FRONTEND / "node_modules"

INTROSPECTION = "{ __schema { types { name } } }"
TYPE_INTROSPECTION = '{ __type(name: "Viewer") { name } }'
AD_HOC_VIEWER = "query { viewer { id } }"

# The demo register (gql/demo.py): 90000002 has no direct-debit mandate yet, 90000003 has a
# postal address.
BIKES_KVK = "90000002"
BIKES_EMAIL = "fietsen@vandijk.example"
FOUNDATION_KVK = "90000003"
# The business demo account, main user of Bakkerij De Zon B.V. (90000001), which already has
# one filing in the demo data (the year before last).
BAKERY_CODE = "DEMA-BZNS-2345"
BAKERY_PASSWORD = "koffie met appeltaart om tien uur"
BAKERY_EMAIL = "info@bakkerijdezon.example"
BAKERY_KVK = "90000001"

FIRST_PASSWORD = "een lange zin als wachtwoord 42"
SECOND_PASSWORD = "nog een andere lange zin voor later"
THIRD_PASSWORD = "de derde zin die ik als wachtwoord kies"
STAFF_PASSWORD = "een lange zin voor het back office"
# A valid Dutch IBAN (the standard example): pays the top-up, gets the refund, signs a mandate.
IBAN = "NL91ABNA0417164300"


def operation_files() -> list[Path]:
    return sorted(OPERATIONS.glob("*.graphql"))


def document(name: str) -> str:
    """The exact text of operations/<name>.graphql, as a client sends it."""
    return (OPERATIONS / f"{name}.graphql").read_bytes().decode("utf-8")


def require_node_modules() -> None:
    assert (NODE_MODULES / ".package-lock.json").exists(), (
        "frontend-contract/node_modules is missing: run "
        "`cd frontend-contract && npm ci --no-audit --no-fund` (make test does)"
    )


# -- the committed files are what the code builds ---------------------------------------------


def test_schema_graphql_is_exactly_what_the_code_builds() -> None:
    # given
    built = schema.as_str().rstrip("\n") + "\n"
    # when
    committed = SCHEMA_FILE.read_text()
    # then
    assert committed == built, (
        "frontend-contract/schema.graphql is stale: run "
        "`.venv/bin/toegang export-schema > frontend-contract/schema.graphql`"
    )


def test_every_operation_is_one_named_operation_that_is_valid_against_the_schema() -> None:
    # given
    sdl = build_schema(SCHEMA_FILE.read_text())
    files = operation_files()
    # when
    problems: dict[str, list[str]] = {}
    for path in files:
        parsed = parse(path.read_text())
        operations = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
        found = [str(e) for e in validate(sdl, parsed)]
        if len(operations) != 1 or operations[0].name is None:
            found.append("needs exactly one operation, and it must be named")
        elif operations[0].name.value != path.stem:
            found.append(f"the operation is named {operations[0].name.value}, the file {path.name}")
        if found:
            problems[path.name] = found
    # then
    assert len(files) >= 16
    assert problems == {}


def test_a_fragment_repeated_in_several_operations_is_the_same_everywhere() -> None:
    # given: each file is self-contained, so a shared fragment (ErrorFields) is repeated
    printed: dict[str, set[str]] = {}
    # when
    for path in operation_files():
        for definition in parse(path.read_text()).definitions:
            if isinstance(definition, FragmentDefinitionNode):
                printed.setdefault(definition.name.value, set()).add(print_ast(definition))
    # then
    assert "ErrorFields" in printed
    assert {name: len(texts) for name, texts in printed.items() if len(texts) > 1} == {}


def test_the_trusted_documents_manifest_is_exactly_what_the_operations_give() -> None:
    # given
    built = contract.render_manifest(contract.build_manifest(OPERATIONS))
    # when
    committed = contract.MANIFEST.read_bytes()
    # then
    assert committed == built, (
        "gql/data/trusted-documents.json is stale: run `.venv/bin/toegang export-trusted-documents`"
    )
    manifest = contract.build_manifest(OPERATIONS)
    assert len(manifest) == len(operation_files())
    for doc_id, text in manifest.items():
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", doc_id)
        assert contract.document_id(text) == doc_id


def test_toegang_export_trusted_documents_writes_the_committed_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given
    target = tmp_path / "trusted-documents.json"
    # when
    main(["export-trusted-documents", "--output", str(target)])
    # then
    assert target.read_bytes() == contract.MANIFEST.read_bytes()
    assert f"{len(operation_files())} trusted documents written" in capsys.readouterr().out


def test_the_committed_typescript_types_are_exactly_what_codegen_makes(tmp_path: Path) -> None:
    # given
    require_node_modules()
    fresh = tmp_path / "operations.ts"
    # when
    done = subprocess.run(
        ["node", "scripts/codegen.mjs", str(fresh)],
        cwd=FRONTEND,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # then
    assert done.returncode == 0, done.stderr
    assert GENERATED.read_text() == fresh.read_text(), (
        "frontend-contract/generated/operations.ts is stale: run "
        "`cd frontend-contract && npm run codegen`"
    )
    for path in operation_files():
        [operation] = [
            d for d in parse(path.read_text()).definitions if isinstance(d, OperationDefinitionNode)
        ]
        kind = operation.operation.value.capitalize()
        assert f"export type {path.stem}{kind} = " in fresh.read_text()
        assert f"export type {path.stem}{kind}Variables = " in fresh.read_text()


# -- trusted-documents mode -------------------------------------------------------------------


@pytest.fixture
async def trusted_app(
    sqlite_url: str, tmp_path: Path, clock: FrozenClock
) -> AsyncIterator[Starlette]:
    settings = make_settings(sqlite_url, tmp_path / "data", trusted_documents_only=True)
    application = create_app(settings, clock=clock)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def trusted_client(trusted_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(trusted_app) as c:
        yield c


@pytest.fixture
async def default_app(
    sqlite_url: str, tmp_path: Path, clock: FrozenClock
) -> AsyncIterator[Starlette]:
    application = create_app(make_settings(sqlite_url, tmp_path / "data"), clock=clock)
    async with LifespanManager(application):
        yield application


async def test_trusted_documents_mode_runs_a_manifest_document_sent_by_its_id(
    trusted_client: httpx.AsyncClient,
) -> None:
    # given
    doc_id = contract.document_id(document("Node"))
    # when
    response = await trusted_client.post(
        "/graphql", json={"documentId": doc_id, "variables": {"id": "Vmlld2VyOjE="}}
    )
    # then
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"node": None}}


async def test_trusted_documents_mode_runs_the_identical_text_of_a_manifest_document(
    trusted_client: httpx.AsyncClient,
) -> None:
    # given
    text = document("Viewer")
    # when
    response = await trusted_client.post("/graphql", json={"query": text, "variables": {}})
    # then
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"viewer": None}}


async def test_trusted_documents_mode_refuses_an_unknown_text_before_it_runs(
    trusted_app: Starlette, trusted_client: httpx.AsyncClient
) -> None:
    # given: a known mutation with one space more is an unknown document
    text = document("RequestPasswordReset").replace("{", " {", 1)
    variables = {"input": {"accessCode": "DEMA-PRVT-2345"}}
    # when
    response = await trusted_client.post(
        "/graphql",
        json={"query": text, "variables": variables},
        headers={"accept": "application/graphql-response+json"},
    )
    # then
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/graphql-response+json")
    body = response.json()
    assert "data" not in body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert "only trusted documents" in error["message"]
    assert await outbox(trusted_app) == []


async def test_trusted_documents_mode_refuses_an_unknown_document_id(
    trusted_client: httpx.AsyncClient,
) -> None:
    # given
    unknown = contract.document_id("query Unknown { viewer { id } }")
    # when
    response = await trusted_client.post("/graphql", json={"documentId": unknown})
    # then
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert error["message"].startswith("Unknown documentId")


async def test_trusted_documents_mode_refuses_introspection_and_ad_hoc_queries(
    trusted_client: httpx.AsyncClient,
) -> None:
    # given
    documents = [INTROSPECTION, TYPE_INTROSPECTION, AD_HOC_VIEWER]
    # when
    responses = [await trusted_client.post("/graphql", json={"query": d}) for d in documents]
    # then
    for response in responses:
        assert response.status_code == 400
        assert "data" not in response.json()
        assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_the_trusted_documents_executor_refuses_introspection_even_for_a_trusted_text() -> (
    None
):
    # given: the executor trusted-documents mode runs with, asked directly
    locked = executor(introspection=False)
    # when
    schema_result = await locked.execute(INTROSPECTION)
    type_result = await locked.execute(TYPE_INTROSPECTION)
    typename_result = await locked.execute("{ __typename }")
    # then
    assert schema_result.data is None and schema_result.errors
    assert "introspection has been disabled" in schema_result.errors[0].message
    assert type_result.data is None and type_result.errors
    assert typename_result.errors is None and typename_result.data == {"__typename": "Query"}


async def test_trusted_documents_mode_serves_no_graphiql(
    trusted_client: httpx.AsyncClient,
) -> None:
    # when
    page = await trusted_client.get("/graphql", headers={"accept": "text/html"})
    assets = await trusted_client.get("/graphiql-assets/index.html")
    # then
    # Only text/html is acceptable and there is no GraphiQL: 406, a JSON error.
    assert page.status_code == 406
    assert page.headers["content-type"].startswith("application/json")
    assert assets.status_code == 404


async def test_the_default_mode_allows_introspection_and_serves_graphiql(
    default_app: Starlette,
) -> None:
    # given
    async with http_client(default_app) as client:
        # when
        introspection = await client.post("/graphql", json={"query": INTROSPECTION})
        page = await client.get("/graphql", headers={"accept": "text/html"})
        by_id = await client.post(
            "/graphql", json={"documentId": contract.document_id(document("Viewer"))}
        )
    # then
    assert introspection.status_code == 200
    names = {t["name"] for t in introspection.json()["data"]["__schema"]["types"]}
    assert {"Viewer", "Error", "InvalidInput"} <= names
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert by_id.json() == {"data": {"viewer": None}}


# -- every operation against a live server ----------------------------------------------------


class Scenario:
    """Runs the operations of frontend-contract/operations by their trusted-document id."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.ran: set[str] = set()
        self.ids = {
            path.stem: contract.document_id(document(path.stem)) for path in operation_files()
        }

    def run(
        self,
        client: httpx.Client,
        name: str,
        variables: dict[str, Any] | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        response = client.post(
            "/graphql",
            json={"documentId": self.ids[name], "variables": variables or {}},
            headers={"accept": "application/graphql-response+json", **(headers or {})},
        )
        return self._data(name, response)

    def upload(
        self,
        client: httpx.Client,
        name: str,
        variables: dict[str, Any],
        files: dict[str, tuple[str, tuple[str, bytes, str]]],
        *,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """A multipart request (GraphQL multipart request spec) carrying the documentId:
        `files` maps a form key to (variable path, (filename, bytes, declared type))."""
        operations = {"documentId": self.ids[name], "variables": variables}
        mapping = {key: [path] for key, (path, _) in files.items()}
        response = client.post(
            "/graphql",
            data={"operations": json.dumps(operations), "map": json.dumps(mapping)},
            files={key: upload for key, (_, upload) in files.items()},
            headers={
                "accept": "application/graphql-response+json",
                "graphql-require-preflight": "1",
                **(headers or {}),
            },
        )
        return self._data(name, response)

    def _data(self, name: str, response: httpx.Response) -> dict[str, Any]:
        assert response.status_code == 200, f"{name}: {response.text}"
        body: dict[str, Any] = response.json()
        assert "errors" not in body, f"{name}: {body}"
        self.ran.add(name)
        data: dict[str, Any] = body["data"]
        return data


def wait_until_settled(
    scenario: Scenario, client: httpx.Client, payment_id: str, *, timeout: float = 10.0
) -> dict[str, Any]:
    """The payment once it left OPEN: the worker delivers the provider's webhook."""
    deadline = time.monotonic() + timeout
    while True:
        node: dict[str, Any] = scenario.run(client, "Payment", {"id": payment_id})["node"]
        if node["status"] != "OPEN" or time.monotonic() > deadline:
            return node
        time.sleep(0.05)


@pytest.fixture
def contract_env(sqlite_url: str, tmp_path: Path) -> dict[str, str]:
    # No SMTP host: mail goes to data/mail as .eml files. Trusted-documents mode: the scenario
    # proves that the manifest alone carries a client through every flow.
    return server_env(
        database_url=sqlite_url,
        data_dir=tmp_path / "data",
        port=free_port(),
        TOEGANG_TRUSTED_DOCUMENTS_ONLY="1",
    )


@pytest.fixture
def contract_server(contract_env: dict[str, str], tmp_path: Path) -> Iterator[LiveServer]:
    run_toegang(["seed-demo"], contract_env)
    with live_server(contract_env, log_path=tmp_path / "server.log") as running:
        yield running


@pytest.mark.e2e
def test_every_operation_runs_against_a_live_server_in_a_happy_path_scenario(
    contract_server: LiveServer, contract_env: dict[str, str]
) -> None:
    scenario = Scenario(contract_server)
    mail = MailFolder(Path(contract_env["TOEGANG_DATA_DIR"]) / "mail")
    email_address = "anna.devries@example.nl"
    with contract_server.client() as spa, contract_server.client() as staff_app:
        # A private access code: requested, mailed, signed in with a cookie.
        requested = scenario.run(
            spa,
            "RequestAccessCode",
            {
                "input": {
                    "usage": "PRIVATE",
                    "name": "Anna de Vries",
                    "email": email_address,
                    "password": FIRST_PASSWORD,
                }
            },
        )["requestAccessCode"]
        assert (requested["__typename"], requested["delivery"]) == (
            "RequestAccessCodePayload",
            "EMAIL",
        )
        code = code_in(mail.next_to(email_address, "Je toegangscode voor het Handelsregister"))
        signed_in = scenario.run(
            spa, "LogIn", {"input": {"accessCode": code, "password": FIRST_PASSWORD}}
        )["logIn"]
        assert signed_in["__typename"] == "LogInPayload"
        assert signed_in["token"] is None and "toegang_session" in spa.cookies

        viewer = scenario.run(spa, "Viewer")["viewer"]
        assert (viewer["accessCode"], viewer["usage"]) == (code, "PRIVATE")
        node = scenario.run(spa, "Node", {"id": viewer["id"]})["node"]
        assert (node["__typename"], node["accessCode"]) == ("Viewer", code)

        changed = scenario.run(
            spa,
            "ChangePassword",
            {"input": {"currentPassword": FIRST_PASSWORD, "newPassword": SECOND_PASSWORD}},
        )["changePassword"]
        assert changed["__typename"] == "ChangePasswordPayload"
        logged_out = scenario.run(spa, "LogOut", {"input": {"clientMutationId": "bye"}})["logOut"]
        assert logged_out == {"__typename": "LogOutPayload", "clientMutationId": "bye"}
        assert scenario.run(spa, "Viewer") == {"viewer": None}

        # Forgotten password: reset with the mailed token.
        reset_asked = scenario.run(spa, "RequestPasswordReset", {"input": {"accessCode": code}})
        assert reset_asked["requestPasswordReset"]["__typename"] == "RequestPasswordResetPayload"
        reset_token = token_in(mail.next_to(email_address, "Wachtwoord opnieuw instellen"))
        reset = scenario.run(
            spa, "ResetPassword", {"input": {"token": reset_token, "newPassword": THIRD_PASSWORD}}
        )["resetPassword"]
        assert reset["__typename"] == "ResetPasswordPayload"

        # Lost access code: a new one after the mailed confirmation; the password stays.
        new_asked = scenario.run(spa, "RequestNewAccessCode", {"input": {"email": email_address}})
        assert new_asked["requestNewAccessCode"]["__typename"] == "RequestNewAccessCodePayload"
        confirm_token = token_in(mail.next_to(email_address, "Bevestig je nieuwe toegangscode"))
        confirmed = scenario.run(spa, "ConfirmNewAccessCode", {"input": {"token": confirm_token}})
        assert confirmed["confirmNewAccessCode"]["__typename"] == "ConfirmNewAccessCodePayload"
        new_code = code_in(mail.next_to(email_address, "Je toegangscode voor het Handelsregister"))
        assert new_code != code
        again = scenario.run(
            spa, "LogIn", {"input": {"accessCode": new_code, "password": THIRD_PASSWORD}}
        )["logIn"]
        assert again["__typename"] == "LogInPayload"

        # Two devices sign in with device sessions; the phone refreshes, lists the sessions
        # and ends the tablet's; the browser then signs out everywhere else.
        with contract_server.client() as phone, contract_server.client() as tablet:
            devices = [
                scenario.run(
                    device,
                    "LogIn",
                    {
                        "input": {
                            "accessCode": new_code,
                            "password": THIRD_PASSWORD,
                            "session": "TOKEN",
                            "deviceName": name,
                        }
                    },
                )["logIn"]
                for device, name in ((phone, "Phone"), (tablet, "Tablet"))
            ]
            assert all(d["__typename"] == "LogInPayload" and d["refreshToken"] for d in devices)
            refreshed = scenario.run(
                phone, "RefreshSession", {"input": {"refreshToken": devices[0]["refreshToken"]}}
            )["refreshSession"]
            assert refreshed["__typename"] == "RefreshSessionPayload", refreshed
            phone_bearer = {"authorization": f"Bearer {refreshed['token']}"}
            listed = scenario.run(phone, "Sessions", {"first": 10}, headers=phone_bearer)
            by_name = {
                e["node"]["deviceName"]: e["node"] for e in listed["viewer"]["sessions"]["edges"]
            }
            assert by_name["Phone"]["current"] and not by_name["Tablet"]["current"]
            ended = scenario.run(
                phone,
                "EndSession",
                {"input": {"sessionId": by_name["Tablet"]["id"]}},
                headers=phone_bearer,
            )["endSession"]
            assert ended["__typename"] == "EndSessionPayload"
            others = scenario.run(spa, "EndOtherSessions", {"input": {}})["endOtherSessions"]
            assert others["__typename"] == "EndOtherSessionsPayload"
            gone = scenario.run(
                phone, "RefreshSession", {"input": {"refreshToken": refreshed["refreshToken"]}}
            )["refreshSession"]
            assert gone["__typename"] == "InvalidToken"

        # Two business requests wait for the staff check (neither organisation has a mandate).
        for name, address, kvk in (
            ("Kees van Dijk", BIKES_EMAIL, BIKES_KVK),
            ("Els Groen", "els.groen@example.nl", FOUNDATION_KVK),
        ):
            mandate = {"iban": "NL91ABNA0417164300", "accountHolder": name, "consent": True}
            business = scenario.run(
                spa,
                "RequestAccessCode",
                {
                    "input": {
                        "usage": "BUSINESS",
                        "name": name,
                        "email": address,
                        "password": FIRST_PASSWORD,
                        "kvkNumber": kvk,
                        "mandate": mandate,
                    }
                },
            )["requestAccessCode"]
            assert business["__typename"] == "RequestAccessCodePayload", business
            assert business["expectedBy"] is not None

        # Staff sign in (a cookie session: staff cannot start device sessions) with a TOTP
        # code, then decide.
        staff_code, secret = create_staff(contract_env, STAFF_PASSWORD)
        staff_login = scenario.run(
            staff_app,
            "LogIn",
            {
                "input": {
                    "accessCode": staff_code,
                    "password": STAFF_PASSWORD,
                    "totp": pyotp.TOTP(secret).now(),
                }
            },
        )["logIn"]
        assert staff_login["__typename"] == "LogInPayload" and staff_login["token"] is None
        bearer: dict[str, str] = {}  # the cookie goes with every request of staff_app

        pending = scenario.run(
            staff_app, "StaffAccessCodeRequests", {"status": "PENDING", "first": 10}, headers=bearer
        )["staff"]["accessCodeRequests"]
        by_email = {e["node"]["email"]: e["node"] for e in pending["edges"]}
        assert set(by_email) == {BIKES_EMAIL, "els.groen@example.nl", DEMO_REQUEST["email"]}
        approved = scenario.run(
            staff_app,
            "StaffApproveAccessCodeRequest",
            {"input": {"requestId": by_email[BIKES_EMAIL]["id"]}},
            headers=bearer,
        )["staffApproveAccessCodeRequest"]
        assert approved["__typename"] == "StaffApproveAccessCodeRequestPayload"
        assert (approved["request"]["status"], approved["request"]["deliveredBy"]) == (
            "APPROVED",
            "EMAIL",
        )
        rejected = scenario.run(
            staff_app,
            "StaffRejectAccessCodeRequest",
            {
                "input": {
                    "requestId": by_email["els.groen@example.nl"]["id"],
                    "reason": "U staat niet ingeschreven als bestuurder.",
                }
            },
            headers=bearer,
        )["staffRejectAccessCodeRequest"]
        assert rejected["__typename"] == "StaffRejectAccessCodeRequestPayload"
        assert rejected["request"]["status"] == "REJECTED"
        request_node = scenario.run(
            staff_app, "Node", {"id": by_email[BIKES_EMAIL]["id"]}, headers=bearer
        )["node"]
        assert (request_node["__typename"], request_node["status"]) == (
            "AccessCodeRequest",
            "APPROVED",
        )

        # Roles in an organisation: Lisa's demo request makes a second code of the bike shop;
        # she becomes its main user, and the code of Kees, who left, is deactivated.
        lisa = scenario.run(
            staff_app,
            "StaffApproveAccessCodeRequest",
            {"input": {"requestId": by_email[DEMO_REQUEST["email"]]["id"]}},
            headers=bearer,
        )["staffApproveAccessCodeRequest"]
        assert lisa["__typename"] == "StaffApproveAccessCodeRequestPayload"
        shop = scenario.run(
            staff_app, "StaffOrganisationCodes", {"kvkNumber": BIKES_KVK}, headers=bearer
        )["staff"]["organisationCodes"]
        assert [(c["email"], c["isMainUser"], c["active"]) for c in shop] == [
            (BIKES_EMAIL, True, True),
            (DEMO_REQUEST["email"], False, True),
        ]
        kees, lisa_code = shop
        named = scenario.run(
            staff_app,
            "StaffMakeMainUser",
            {"input": {"accountId": lisa_code["id"]}},
            headers=bearer,
        )["staffMakeMainUser"]
        assert named["__typename"] == "StaffMakeMainUserPayload"
        assert (named["account"]["isMainUser"], named["previousMainUser"]["id"]) == (
            True,
            kees["id"],
        )
        stopped = scenario.run(
            staff_app,
            "StaffDeactivateAccessCode",
            {"input": {"accountId": kees["id"]}},
            headers=bearer,
        )["staffDeactivateAccessCode"]
        assert stopped["__typename"] == "StaffDeactivateAccessCodePayload"
        assert (stopped["account"]["active"], stopped["account"]["isMainUser"]) == (False, False)
        # Both told to the organisation's registered e-mail address (Kees's own address).
        assert kees["accessCode"] in mail.next_to(
            BIKES_EMAIL, "Fietsenmakerij Van Dijk heeft een nieuwe hoofdgebruiker"
        )
        assert kees["accessCode"] in mail.next_to(
            BIKES_EMAIL, "Een toegangscode van Fietsenmakerij Van Dijk is stopgezet"
        )

        # A registered address change, read back, and the audit trail of it all.
        new_address = {
            "street": "Nieuwe Binnenweg",
            "houseNumber": "10A",
            "postalCode": "3014 GA",
            "city": "Rotterdam",
        }
        recorded = scenario.run(
            staff_app,
            "StaffRecordAddressChange",
            {"input": {"kvkNumber": BIKES_KVK, "visitingAddress": new_address}},
            headers=bearer,
        )["staffRecordAddressChange"]
        assert recorded["__typename"] == "StaffRecordAddressChangePayload"
        company = scenario.run(staff_app, "StaffCompany", {"kvkNumber": BIKES_KVK}, headers=bearer)
        assert company["staff"]["company"]["visitingAddress"] == new_address
        # Maintenance: scheduled (a Saturday night four weeks ahead), shown to anybody in
        # Dutch and English next to the demo window, then cancelled and gone again.
        today = datetime.now(AMSTERDAM).date()
        saturday = today + timedelta(days=28 + (5 - today.weekday()) % 7)
        starts = datetime(saturday.year, saturday.month, saturday.day, 22, tzinfo=AMSTERDAM)
        scheduled = scenario.run(
            staff_app,
            "StaffScheduleMaintenance",
            {
                "input": {
                    "startsAt": starts.isoformat(),
                    "endsAt": (starts + timedelta(hours=8)).isoformat(),
                    "noticeNl": "Onderhoud aan de betaalkoppeling.",
                    "noticeEn": "Maintenance of the payment link.",
                }
            },
            headers=bearer,
        )["staffScheduleMaintenance"]
        assert scheduled["__typename"] == "StaffScheduleMaintenancePayload", scheduled
        assert scheduled["outsideUsualHours"] is False
        window_id = scheduled["window"]["id"]
        with contract_server.client() as visitor:
            dutch = scenario.run(visitor, "ServiceStatus")["serviceStatus"]
            english = scenario.run(visitor, "ServiceStatus", headers={"accept-language": "en"})
        assert dutch["available"] is True and dutch["current"] is None
        assert {w["id"]: w["notice"] for w in dutch["upcoming"]}[window_id] == (
            "Onderhoud aan de betaalkoppeling."
        )
        assert {w["id"]: w["notice"] for w in english["serviceStatus"]["upcoming"]}[window_id] == (
            "Maintenance of the payment link."
        )
        assert len(dutch["upcoming"]) == 2  # with the demo window
        cancelled = scenario.run(
            staff_app, "StaffCancelMaintenance", {"input": {"windowId": window_id}}, headers=bearer
        )["staffCancelMaintenance"]
        assert cancelled["__typename"] == "StaffCancelMaintenancePayload", cancelled
        assert cancelled["window"]["cancelledAt"] is not None
        with contract_server.client() as visitor:
            after = scenario.run(visitor, "ServiceStatus")["serviceStatus"]
        assert window_id not in {w["id"] for w in after["upcoming"]}

        trail = scenario.run(staff_app, "StaffAuditTrail", {"first": 10}, headers=bearer)
        edges = trail["staff"]["auditTrail"]["edges"]
        assert len(edges) >= 3
        assert all(e["node"]["actorId"] == staff_login["viewer"]["id"] for e in edges)

        # The business demo account files last year's accounts (a PDF over multipart, by
        # documentId), lists its filings, downloads the new version and reads its calendar.
        today = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
        year_end = date(today.year - 1, 12, 31).isoformat()
        pdf = pdf_document(f"Jaarrekening Bakkerij De Zon B.V. {year_end}")
        with contract_server.client() as bakery:
            bakery_login = scenario.run(
                bakery, "LogIn", {"input": {"accessCode": BAKERY_CODE, "password": BAKERY_PASSWORD}}
            )["logIn"]
            assert bakery_login["__typename"] == "LogInPayload"
            filed = scenario.upload(
                bakery,
                "FileAnnualReport",
                {
                    "input": {
                        "kvkNumber": BAKERY_KVK,
                        "financialYearEnd": year_end,
                        "document": None,
                    }
                },
                {"0": ("variables.input.document", ("jaarrekening.pdf", pdf, "application/pdf"))},
            )["fileAnnualReport"]
            assert filed["__typename"] == "FileAnnualReportPayload", filed
            assert (filed["report"]["financialYearEnd"], filed["version"]["version"]) == (
                year_end,
                1,
            )
            assert filed["version"]["sha256"] == hashlib.sha256(pdf).hexdigest()
            assert filed["version"]["downloadExpiresAt"] is None  # a cookie session
            receipt = mail.next_to(
                BAKERY_EMAIL, "Ontvangstbevestiging jaarrekening Bakkerij De Zon B.V."
            )
            assert filed["version"]["sha256"] in receipt

            reports = scenario.run(bakery, "AnnualReports", {"first": 10})["annualReports"]
            listed = [e["node"] for e in reports["edges"]]
            assert [r["financialYearEnd"] for r in listed] == [
                year_end,
                date(today.year - 2, 12, 31).isoformat(),
            ]
            [version] = listed[0]["versions"]
            assert version["sha256"] == filed["version"]["sha256"]
            download = bakery.get(version["downloadUrl"])
            assert download.status_code == 200 and download.content == pdf
            assert download.headers["content-type"] == "application/pdf"

            calendar = scenario.run(bakery, "AnnualReportCalendar")["annualReportCalendar"]
            assert (calendar["kvkNumber"], calendar["obligation"]) == (BAKERY_KVK, "MUST_FILE")
            by_year = {y["financialYearEnd"]: y for y in calendar["years"]}
            assert (by_year[year_end]["status"], by_year[year_end]["filedOn"]) == (
                "FILED",
                today.isoformat(),
            )
            assert calendar["overdueYears"] == sum(
                y["status"] == "OVERDUE" for y in calendar["years"]
            )

        # Staff read the company's filings, with the network each version came from.
        staff_reports = scenario.run(
            staff_app, "StaffAnnualReports", {"kvkNumber": BAKERY_KVK, "first": 10}, headers=bearer
        )["annualReports"]
        newest = staff_reports["edges"][0]["node"]
        assert (newest["financialYearEnd"], newest["versions"][0]["sha256"]) == (
            year_end,
            hashlib.sha256(pdf).hexdigest(),
        )
        assert newest["versions"][0]["filedFrom"] == "127.0.0.0/24"

        # Anna's balance: topped up with iDEAL on the sandbox's checkout page (the worker
        # delivers its webhook), half asked back twice; staff approve one and reject the other.
        method = scenario.run(spa, "PaymentMethod")["viewer"]["paymentMethod"]
        assert (method["method"], method["canChange"], method["mandate"]) == ("BALANCE", True, None)
        top_up = {"amountCents": 2000, "method": "IDEAL", "idempotencyKey": str(uuid.uuid4())}
        started = scenario.run(spa, "TopUp", {"input": top_up})["topUp"]
        assert started["__typename"] == "TopUpPayload", started
        payment = started["payment"]
        assert (payment["status"], payment["amountCents"]) == ("OPEN", 2000)
        again = scenario.run(spa, "TopUp", {"input": top_up})["topUp"]
        assert again["payment"]["id"] == payment["id"]  # the same key: the same payment
        paid = pay_at_the_sandbox(spa, payment["paymentUrl"])
        assert paid.status_code == 303 and "/betaling/" in paid.headers["location"]
        settled = wait_until_settled(scenario, spa, payment["id"])
        assert (settled["__typename"], settled["status"]) == ("Payment", "PAID")
        assert "20,00" in mail.next_to(email_address, "Je tegoed is aangevuld")
        topped_up = scenario.run(spa, "Balance", {"first": 10})["balance"]
        assert (topped_up["balanceCents"], topped_up["availableCents"]) == (2000, 2000)
        [entry] = [e["node"] for e in topped_up["transactions"]["edges"]]
        assert (entry["kind"], entry["amountCents"]) == ("TOP_UP", 2000)
        refund_ids = []
        for cents in (1000, 500):
            refund = {"amountCents": cents, "iban": IBAN, "accountHolder": "Anna de Vries"}
            asked = scenario.run(spa, "RequestRefund", {"input": refund})["requestRefund"]
            assert asked["__typename"] == "RequestRefundPayload", asked
            assert asked["refundRequest"]["status"] == "REQUESTED"
            refund_ids.append(asked["refundRequest"]["id"])
        too_much = {"amountCents": 1000, "iban": IBAN, "accountHolder": "Anna de Vries"}
        refused = scenario.run(spa, "RequestRefund", {"input": too_much})["requestRefund"]
        assert (refused["__typename"], refused["availableCents"]) == ("InsufficientBalance", 500)

        waiting = scenario.run(
            staff_app, "StaffRefundRequests", {"status": "REQUESTED", "first": 10}, headers=bearer
        )["staff"]["refundRequests"]
        annas = {e["node"]["id"]: e["node"] for e in waiting["edges"]}
        assert set(refund_ids) <= set(annas)
        assert [annas[i]["ibanFundedBalance"] for i in refund_ids] == [True, True]
        approved_refund = scenario.run(
            staff_app,
            "StaffApproveRefund",
            {"input": {"refundRequestId": refund_ids[0]}},
            headers=bearer,
        )["staffApproveRefund"]
        assert approved_refund["__typename"] == "StaffApproveRefundPayload", approved_refund
        assert approved_refund["refundRequest"]["status"] == "APPROVED"
        rejected_refund = scenario.run(
            staff_app,
            "StaffRejectRefund",
            {"input": {"refundRequestId": refund_ids[1], "reason": "Gebruik eerst je tegoed."}},
            headers=bearer,
        )["staffRejectRefund"]
        assert rejected_refund["__typename"] == "StaffRejectRefundPayload", rejected_refund
        assert rejected_refund["refundRequest"]["status"] == "REJECTED"
        decided = scenario.run(spa, "Balance", {"first": 10})["balance"]
        assert (decided["balanceCents"], decided["heldCents"], decided["availableCents"]) == (
            1000,
            0,
            1000,
        )
        assert [e["node"]["status"] for e in decided["refundRequests"]["edges"]] == [
            "REJECTED",
            "APPROVED",
        ]

        # Products, read without signing in; Anna orders an extract of the bakery from her
        # balance, reads it back, downloads its document and finds it with a filter.
        with contract_server.client() as visitor:
            catalog = {p["code"]: p for p in scenario.run(visitor, "Products")["products"]}
        extract = catalog["EXTRACT"]
        assert (extract["orderable"], extract["vatCents"]) == (True, 0)
        assert extract["needsFinancialYearEnd"] is False and extract["priceCents"] > 0
        assert catalog["ANNUAL_ACCOUNTS"]["needsFinancialYearEnd"] is True
        order_input = {
            "productCode": "EXTRACT",
            "kvkNumber": BAKERY_KVK,
            "idempotencyKey": str(uuid.uuid4()),
        }
        placed = scenario.run(spa, "PlaceOrder", {"input": order_input})["placeOrder"]
        assert placed["__typename"] == "PlaceOrderPayload", placed
        order = placed["order"]
        assert (order["productCode"], order["paymentMethod"], order["priceCents"]) == (
            "EXTRACT",
            "BALANCE",
            extract["priceCents"],
        )
        assert order["reference"] in placed["message"]
        replayed = scenario.run(spa, "PlaceOrder", {"input": order_input})["placeOrder"]
        assert replayed["order"]["id"] == order["id"]  # the same key: the same order
        read_back = scenario.run(spa, "Order", {"id": order["id"]})["node"]
        assert (read_back["__typename"], read_back["reference"], read_back["status"]) == (
            "Order",
            order["reference"],
            "DELIVERED",
        )
        assert read_back["company"]["name"] == "Bakkerij De Zon B.V."
        assert read_back["product"]["name"] == extract["name"]
        assert read_back["downloadExpiresAt"] is None  # a cookie session
        document_response = spa.get(read_back["downloadUrl"])
        assert document_response.status_code == 200, document_response.text
        assert document_response.headers["content-type"] == "application/pdf"
        assert document_response.content.startswith(b"%PDF")
        assert "Bakkerij De Zon B.V." in pdf_text(document_response.content)
        paid_orders = scenario.run(spa, "Balance", {"first": 10})["balance"]
        assert paid_orders["availableCents"] == 1000 - extract["priceCents"]
        today = datetime.now(AMSTERDAM).date().isoformat()
        filtered = scenario.run(
            spa,
            "Orders",
            {
                "status": "DELIVERED",
                "kvkNumber": BAKERY_KVK,
                "placedFrom": today,
                "placedUntil": today,
                "first": 10,
            },
        )["orders"]
        assert [e["node"]["id"] for e in filtered["edges"]] == [order["id"]]
        assert filtered["pageInfo"]["hasNextPage"] is False
        elsewhere = scenario.run(spa, "Orders", {"kvkNumber": FOUNDATION_KVK})["orders"]
        assert elsewhere["edges"] == []

        # Anna reads this month's balance statement and downloads it as PDF and as CSV; it
        # adds up to what `balance` says now.
        month = datetime.now(AMSTERDAM).strftime("%Y-%m")
        made = scenario.run(spa, "BalanceStatement", {"month": month})["balanceStatement"]
        assert made["__typename"] == "BalanceStatement", made
        assert [e["kind"] for e in made["entries"]][-1] == "ORDER"
        assert (
            made["openingCents"] + sum(e["amountCents"] for e in made["entries"])
            == (made["closingCents"])
        )
        now_balance = scenario.run(spa, "Balance", {"first": 1})["balance"]
        assert made["closingCents"] == now_balance["balanceCents"]
        statement_pdf = spa.get(made["pdfUrl"])
        assert statement_pdf.status_code == 200, statement_pdf.text
        assert statement_pdf.headers["content-type"] == "application/pdf"
        assert "Saldo-overzicht" in pdf_text(statement_pdf.content)
        statement_csv = spa.get(made["csvUrl"])
        assert statement_csv.status_code == 200, statement_csv.text
        assert statement_csv.content.startswith(b"\xef\xbb\xbfDatum en tijd;")
        future = f"{int(month[:4]) + 1}-{month[5:]}"
        refused_month = scenario.run(spa, "BalanceStatement", {"month": future})
        assert refused_month["balanceStatement"]["field"] == ["month"]

        # Anna asks the service centre a question (a topic of the form); staff find it in
        # their queue with the demo business's invoice-address question and answer it; the
        # answer is mailed to her and shows with her question.
        topics = scenario.run(spa, "QuestionTopics")["questionTopics"]
        assert [t["topic"] for t in topics if t["needsAddresses"]] == ["INVOICE_ADDRESS"]
        question_text = "Kan ik mijn tegoed ook gebruiken voor een gewaarmerkt uittreksel?"
        asked = scenario.run(
            spa, "AskQuestion", {"input": {"topic": "PAYMENT_METHOD", "text": question_text}}
        )["askQuestion"]
        assert asked["__typename"] == "AskQuestionPayload", asked
        assert question_text in mail.next_to(email_address, "We hebben je vraag ontvangen")
        queue = scenario.run(
            staff_app, "StaffQuestions", {"status": "OPEN", "first": 10}, headers=bearer
        )["staff"]["questions"]
        waiting = {e["node"]["id"]: e["node"] for e in queue["edges"]}
        assert waiting[asked["question"]["id"]]["askedBy"].startswith("Anna de Vries (")
        assert [q["kvkNumber"] for q in waiting.values() if q["topic"] == "INVOICE_ADDRESS"] == [
            BAKERY_KVK
        ]
        reply = "Ja, elk product dat je bestelt kun je met je tegoed betalen."
        answered = scenario.run(
            staff_app,
            "StaffAnswerQuestion",
            {"input": {"questionId": asked["question"]["id"], "answer": reply}},
            headers=bearer,
        )["staffAnswerQuestion"]
        assert answered["__typename"] == "StaffAnswerQuestionPayload", answered
        assert reply in mail.next_to(email_address, "Antwoord op je vraag aan het servicecenter")
        [mine] = scenario.run(spa, "Questions", {"first": 10})["questions"]["edges"]
        assert (mine["node"]["status"], mine["node"]["answer"]) == ("ANSWERED", reply)

        # Without an access code: the digitally certified extract, paid with iDEAL on the
        # sandbox's checkout page; the e-mailed link downloads the sealed PDF.
        buyer = "koper@example.nl"
        with contract_server.client() as visitor:
            bought = scenario.run(
                visitor,
                "BuyCertifiedExtract",
                {
                    "input": {
                        "kvkNumber": BAKERY_KVK,
                        "email": buyer,
                        "method": "IDEAL",
                        "idempotencyKey": str(uuid.uuid4()),
                    }
                },
            )["buyCertifiedExtract"]
            assert bought["__typename"] == "BuyCertifiedExtractPayload", bought
            assert (bought["order"]["status"], bought["payment"]["status"]) == (
                "AWAITING_PAYMENT",
                "OPEN",
            )
            assert (
                bought["payment"]["amountCents"]
                == catalog["CERTIFIED_EXTRACT_DIGITAL"]["priceCents"]
            )
            paid_extract = pay_at_the_sandbox(visitor, bought["payment"]["paymentUrl"])
            assert paid_extract.status_code == 303
            ready = mail.next_to(buyer, "Je digitaal gewaarmerkt uittreksel")
            assert bought["order"]["reference"] in ready
            link = re.search(rf"{re.escape(contract_server.url)}/uittreksel/\S+", ready)
            assert link is not None, ready
            sealed = visitor.get(link.group(0))
        assert sealed.status_code == 200, sealed.text
        assert sealed.headers["content-type"] == "application/pdf"
        assert sealed.content.startswith(b"%PDF")
        assert "Bakkerij De Zon B.V." in pdf_text(sealed.content)

        # The bakery's main user signs a new direct-debit mandate.
        with contract_server.client() as bakery:
            bakery_login = scenario.run(
                bakery, "LogIn", {"input": {"accessCode": BAKERY_CODE, "password": BAKERY_PASSWORD}}
            )["logIn"]
            assert bakery_login["__typename"] == "LogInPayload"
            mandate = {"iban": IBAN, "accountHolder": "Bakkerij De Zon B.V.", "consent": True}
            changed_method = scenario.run(
                bakery,
                "ChangePaymentMethod",
                {"input": {"method": "DIRECT_DEBIT", "mandate": mandate}},
            )["changePaymentMethod"]
            assert changed_method["__typename"] == "ChangePaymentMethodPayload", changed_method
            now_paying = scenario.run(bakery, "PaymentMethod")["viewer"]["paymentMethod"]
        assert now_paying == changed_method["paymentMethod"]
        assert (now_paying["method"], now_paying["mandate"]["ibanMasked"]) == (
            "DIRECT_DEBIT",
            "NL91 **** **** 4300",
        )

    # Every document in operations/ took part: a new one needs a step above.
    assert scenario.ran == {path.stem for path in operation_files()}
