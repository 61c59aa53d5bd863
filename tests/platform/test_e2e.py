"""End to end through a real `toegang serve` process, a real SMTP server and the real CLI."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest

from gql.services.shared.workdays import business_check_expected_by
from tests.support.factories import LOG_IN, OTHER_PASSWORD, PASSWORD, VIEWER, code_in, pdf_text
from tests.support.live import (
    LiveServer,
    SmtpInbox,
    body_text,
    create_staff,
    free_port,
    live_server,
    run_toegang,
    server_env,
    smtp_inbox,
    wait_for_file,
)

pytestmark = pytest.mark.e2e

REQUEST_ACCESS_CODE = """
mutation RequestAccessCode($input: RequestAccessCodeInput!) {
  requestAccessCode(input: $input) {
    __typename
    ... on RequestAccessCodePayload { usage delivery expectedBy message }
    ... on Error { code message field }
    ... on InvalidInput { problems { field message } }
  }
}
"""

LOG_OUT = """
mutation LogOut {
  logOut(input: {clientMutationId: "bye"}) {
    __typename
    ... on LogOutPayload { clientMutationId }
    ... on Error { code message }
  }
}
"""

PENDING_REQUESTS = """
query PendingRequests {
  staff {
    accessCodeRequests(status: PENDING, first: 100) {
      edges { node { id name email kvkNumber companyName emailMatchesRegister status hasMandate } }
    }
  }
}
"""

APPROVE = """
mutation Approve($input: StaffApproveAccessCodeRequestInput!) {
  staffApproveAccessCodeRequest(input: $input) {
    __typename
    ... on StaffApproveAccessCodeRequestPayload { request { id status deliveredBy decidedAt } }
    ... on Error { code message field }
  }
}
"""

# Demo register (gql/demo.py): 90000001 has a mandate (the demo business account's), and
# 90000002 has none yet.
BAKERY_KVK = "90000001"
BAKERY_EMAIL = "info@bakkerijdezon.example"
BIKES_KVK = "90000002"
BIKES_EMAIL = "fietsen@vandijk.example"


@pytest.fixture
def inbox() -> Iterator[SmtpInbox]:
    with smtp_inbox() as box:
        yield box


@pytest.fixture
def env(sqlite_url: str, tmp_path: Path, inbox: SmtpInbox) -> dict[str, str]:
    return server_env(
        database_url=sqlite_url,
        data_dir=tmp_path / "data",
        port=free_port(),
        TOEGANG_SMTP_HOST="127.0.0.1",
        TOEGANG_SMTP_PORT=str(inbox.port),
    )


@pytest.fixture
def server(env: dict[str, str], tmp_path: Path) -> Iterator[LiveServer]:
    with live_server(env, log_path=tmp_path / "server.log") as running:
        yield running


@pytest.fixture
def demo_register(env: dict[str, str]) -> None:
    run_toegang(["seed-demo"], env)


def post(
    client: httpx.Client,
    document: str,
    variables: dict[str, Any] | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    response = client.post(
        "/graphql", json={"query": document, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def log_in(client: httpx.Client, code: str, password: str, **extra: Any) -> httpx.Response:
    variables = {"input": {"accessCode": code, "password": password, **extra}}
    response = client.post("/graphql", json={"query": LOG_IN, "variables": variables})
    assert response.status_code == 200, response.text
    return response


def addressed_to(recipient: str, subject: str) -> Any:
    def matches(message: EmailMessage) -> bool:
        return message["To"] == recipient and message["Subject"] == subject

    return matches


def staff_signs_in(client: httpx.Client, env: dict[str, str]) -> None:
    code, secret = create_staff(env, OTHER_PASSWORD)
    signed_in = log_in(client, code, OTHER_PASSWORD, totp=pyotp.TOTP(secret).now())
    assert signed_in.json()["data"]["logIn"]["__typename"] == "LogInPayload"


def business_application(name: str, email: str, kvk_number: str, **extra: Any) -> dict[str, Any]:
    return {
        "input": {
            "usage": "BUSINESS",
            "name": name,
            "email": email,
            "password": PASSWORD,
            "kvkNumber": kvk_number,
            **extra,
        }
    }


def pending_request_of(staff: httpx.Client, email: str) -> dict[str, Any]:
    edges = post(staff, PENDING_REQUESTS)["data"]["staff"]["accessCodeRequests"]["edges"]
    [node] = [e["node"] for e in edges if e["node"]["email"] == email]
    return dict(node)


def test_a_private_access_code_arrives_by_mail_and_signs_in_with_cookie_and_token_until_logout(
    server: LiveServer, inbox: SmtpInbox
) -> None:
    # given: an applicant asks for a private access code
    email = "anna.devries@example.nl"
    with server.client() as applicant:
        requested = post(
            applicant,
            REQUEST_ACCESS_CODE,
            {
                "input": {
                    "usage": "PRIVATE",
                    "name": "Anna de Vries",
                    "email": email,
                    "password": PASSWORD,
                }
            },
        )
    assert requested["data"]["requestAccessCode"] == {
        "__typename": "RequestAccessCodePayload",
        "usage": "PRIVATE",
        "delivery": "EMAIL",
        "expectedBy": None,
        "message": f"Je toegangscode is per e-mail verstuurd naar {email}.",
    }
    mail = inbox.wait_for(addressed_to(email, "Je toegangscode voor het Handelsregister"))
    code = code_in(body_text(mail))

    with server.client() as browser, server.client() as phone, server.client() as stranger:
        # when: a browser signs in with a cookie, a phone with a bearer token
        by_cookie = log_in(browser, code.lower(), PASSWORD)
        cookie = browser.cookies["toegang_session"]
        by_token = log_in(phone, code, PASSWORD, session="TOKEN", deviceName="Phone").json()[
            "data"
        ]["logIn"]
        bearer = {"Authorization": f"Bearer {by_token['token']}"}

        # then: both see the account
        assert by_cookie.json()["data"]["logIn"]["__typename"] == "LogInPayload"
        assert by_cookie.json()["data"]["logIn"]["token"] is None
        set_cookie = by_cookie.headers["set-cookie"]
        assert set_cookie.startswith("toegang_session=")
        assert "HttpOnly" in set_cookie and "Secure" not in set_cookie
        assert by_token["__typename"] == "LogInPayload" and len(by_token["token"]) >= 22
        assert (
            "set-cookie"
            not in log_in(stranger, code, PASSWORD, session="TOKEN", deviceName="Phone").headers
        )
        for client, headers in ((browser, {}), (phone, bearer)):
            viewer = post(client, VIEWER, headers=headers)["data"]["viewer"]
            assert (viewer["accessCode"], viewer["email"], viewer["usage"]) == (
                code,
                email,
                "PRIVATE",
            )

        # when: both sign out
        out_cookie = browser.post("/graphql", json={"query": LOG_OUT})
        out_token = post(phone, LOG_OUT, headers=bearer)

        # then: the sessions ended server side; the old cookie and token are worthless
        assert out_cookie.json()["data"]["logOut"] == {
            "__typename": "LogOutPayload",
            "clientMutationId": "bye",
        }
        assert out_token["data"]["logOut"]["__typename"] == "LogOutPayload"
        assert 'toegang_session=""' in out_cookie.headers["set-cookie"]
        assert post(browser, VIEWER) == {"data": {"viewer": None}}
        assert post(phone, VIEWER, headers=bearer) == {"data": {"viewer": None}}
        assert post(stranger, VIEWER, headers={"Cookie": f"toegang_session={cookie}"}) == {
            "data": {"viewer": None}
        }
        again = post(stranger, LOG_OUT, headers=bearer)
        assert again["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_business_code_for_an_email_outside_the_register_goes_by_letter_after_the_staff_check(
    server: LiveServer, env: dict[str, str], inbox: SmtpInbox, demo_register: None
) -> None:
    # given: an applicant whose e-mail is not the organisation's e-mail in the register
    email = "jan.bakker@example.nl"
    before = business_check_expected_by(datetime.now(UTC))
    with server.client() as applicant:
        requested = post(
            applicant, REQUEST_ACCESS_CODE, business_application("Jan Bakker", email, BAKERY_KVK)
        )
    after = business_check_expected_by(datetime.now(UTC))
    result = requested["data"]["requestAccessCode"]
    assert result["__typename"] == "RequestAccessCodePayload"
    assert (result["usage"], result["delivery"]) == ("BUSINESS", None)
    assert result["expectedBy"] in {before.isoformat(), after.isoformat()}
    inbox.wait_for(addressed_to(email, "We hebben je aanvraag ontvangen"))

    with server.client() as staff, server.client() as bakker:
        staff_signs_in(staff, env)
        request = pending_request_of(staff, email)
        assert request["emailMatchesRegister"] is False
        assert (request["kvkNumber"], request["status"]) == (BAKERY_KVK, "PENDING")

        # when
        approved = post(staff, APPROVE, {"input": {"requestId": request["id"]}})

        # then: a letter with the code goes to the organisation, no code by e-mail
        payload = approved["data"]["staffApproveAccessCodeRequest"]
        assert payload["__typename"] == "StaffApproveAccessCodeRequestPayload"
        assert (payload["request"]["status"], payload["request"]["deliveredBy"]) == (
            "APPROVED",
            "POST",
        )
        letter = wait_for_file(Path(env["TOEGANG_DATA_DIR"]) / "letters", "*.pdf")
        assert letter.read_bytes().startswith(b"%PDF")
        text = pdf_text(letter)
        assert "Jan Bakker" in text and "Bakkerij De Zon B.V." in text
        code = code_in(text)
        assert all(code not in body_text(m) for m in inbox.to(email))

        # and the code from the letter signs in
        signed_in = log_in(bakker, code, PASSWORD).json()["data"]["logIn"]
        assert signed_in["__typename"] == "LogInPayload"
        viewer = post(bakker, VIEWER)["data"]["viewer"]
        assert (viewer["accessCode"], viewer["usage"], viewer["kvkNumber"]) == (
            code,
            "BUSINESS",
            BAKERY_KVK,
        )
        assert viewer["isMainUser"] is False  # the demo business account came first


def test_a_business_code_for_the_registered_email_arrives_by_mail_after_the_staff_check(
    server: LiveServer, env: dict[str, str], inbox: SmtpInbox, demo_register: None
) -> None:
    # given: the applicant uses the organisation's registered e-mail; no mandate exists yet
    mandate = {"iban": "NL91ABNA0417164300", "accountHolder": "K. van Dijk", "consent": True}
    with server.client() as applicant:
        requested = post(
            applicant,
            REQUEST_ACCESS_CODE,
            business_application("Kees van Dijk", BIKES_EMAIL, BIKES_KVK, mandate=mandate),
        )
    assert requested["data"]["requestAccessCode"]["__typename"] == "RequestAccessCodePayload"

    with server.client() as staff, server.client() as kees:
        staff_signs_in(staff, env)
        request = pending_request_of(staff, BIKES_EMAIL)
        assert (request["emailMatchesRegister"], request["hasMandate"]) == (True, True)

        # when
        approved = post(staff, APPROVE, {"input": {"requestId": request["id"]}})

        # then: the code arrives by e-mail, and no letter is written
        payload = approved["data"]["staffApproveAccessCodeRequest"]
        assert payload["request"]["deliveredBy"] == "EMAIL"
        mail = inbox.wait_for(addressed_to(BIKES_EMAIL, "Je toegangscode voor het Handelsregister"))
        code = code_in(body_text(mail))
        assert not (Path(env["TOEGANG_DATA_DIR"]) / "letters").exists()

        # and it signs in as the organisation's first code, its main user
        assert log_in(kees, code, PASSWORD).json()["data"]["logIn"]["__typename"] == (
            "LogInPayload"
        )
        viewer = post(kees, VIEWER)["data"]["viewer"]
        assert (viewer["accessCode"], viewer["kvkNumber"], viewer["isMainUser"]) == (
            code,
            BIKES_KVK,
            True,
        )
