"""Over HTTPS the session cookie is `__Host-toegang_session` with Secure (SPEC §6, sessions)."""

from __future__ import annotations

import json
import shutil
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from tests.support.factories import LOG_IN, VIEWER
from tests.support.live import (
    LiveServer,
    free_port,
    live_server,
    run_toegang,
    server_env,
    uvicorn_factory_command,
)

pytestmark = pytest.mark.e2e

# The private demo account of `toegang seed-demo`.
DEMO_CODE = "DEMA-PRVT-2345"
DEMO_PASSWORD = "groene appels en rode peren"
WRONG_PASSWORD = "blauwe appels en gele peren"


@pytest.fixture(scope="module")
def https_server(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[LiveServer]:
    """uvicorn with TLS (a throwaway CA's certificate for 127.0.0.1) and the demo data.

    Shared by the tests of this module, which only sign the demo account in.
    """
    folder = tmp_path_factory.mktemp("https")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    key_file, cert_file = folder / "server.key", folder / "server.pem"
    cert.private_key_pem.write_to_path(str(key_file))
    with cert_file.open("wb") as out:
        for pem in cert.cert_chain_pems:
            out.write(pem.bytes())
    trust = ssl.create_default_context()
    ca.configure_trust(trust)
    database = folder / "toegang.db"
    shutil.copyfile(sqlite_template, database)
    port = free_port()
    env = server_env(
        database_url=f"sqlite+aiosqlite:///{database}",
        data_dir=folder / "data",
        port=port,
        TOEGANG_PUBLIC_URL=f"https://127.0.0.1:{port}",
    )
    run_toegang(["seed-demo"], env)
    command = uvicorn_factory_command(port, ssl_keyfile=key_file, ssl_certfile=cert_file)
    with live_server(
        env, log_path=folder / "server.log", command=command, scheme="https", verify=trust
    ) as server:
        yield server


def test_over_https_log_in_sets_a_secure_host_prefixed_cookie_that_signs_the_viewer_in(
    https_server: LiveServer,
) -> None:
    # given
    variables = {"input": {"accessCode": DEMO_CODE, "password": DEMO_PASSWORD}}
    with https_server.client() as browser:
        # when
        response = browser.post("/graphql", json={"query": LOG_IN, "variables": variables})
        viewer = browser.post("/graphql", json={"query": VIEWER})

    # then
    assert response.status_code == 200
    assert response.json()["data"]["logIn"]["__typename"] == "LogInPayload"
    name_value, *attributes = [p.strip() for p in response.headers["set-cookie"].split(";")]
    name, _, token = name_value.partition("=")
    assert name == "__Host-toegang_session"
    assert len(token) >= 22
    flags = {a.split("=")[0].lower(): a.partition("=")[2] for a in attributes}
    assert flags == {
        "httponly": "",
        "max-age": flags["max-age"],
        "path": "/",
        "samesite": "lax",
        "secure": "",
    }
    assert 0 < int(flags["max-age"]) <= 12 * 3600
    assert viewer.json() == {
        "data": {
            "viewer": {
                "id": viewer.json()["data"]["viewer"]["id"],
                "accessCode": DEMO_CODE,
                "name": "Sanne de Vries",
                "email": "sanne.devries@example.nl",
                "usage": "PRIVATE",
                "kvkNumber": None,
                "isMainUser": False,
            }
        }
    }
    assert "strict-transport-security" not in response.headers  # development, not production
    # the JSON access log of the factory
    lines = [json.loads(line) for line in https_server.log().splitlines() if line.startswith("{")]
    assert any(line.get("path") == "/graphql" for line in lines)


def test_over_https_the_cookie_without_its_host_prefix_signs_nobody_in(
    https_server: LiveServer,
) -> None:
    # given: a session cookie, replayed under the plain-http development name
    variables = {"input": {"accessCode": DEMO_CODE, "password": WRONG_PASSWORD}}
    with https_server.client() as browser, https_server.client() as other:
        failed = browser.post("/graphql", json={"query": LOG_IN, "variables": variables})
        variables["input"]["password"] = DEMO_PASSWORD
        browser.post("/graphql", json={"query": LOG_IN, "variables": variables})
        token = browser.cookies["__Host-toegang_session"]

        # when
        viewer = other.post(
            "/graphql", json={"query": VIEWER}, headers={"Cookie": f"toegang_session={token}"}
        )

    # then
    assert failed.json()["data"]["logIn"]["__typename"] == "InvalidCredentials"
    assert "set-cookie" not in failed.headers
    assert viewer.json() == {"data": {"viewer": None}}
