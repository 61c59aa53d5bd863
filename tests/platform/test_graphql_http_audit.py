"""GraphQL over HTTP: the server audit of the pinned graphql-http against a live server.

The audit is frontend-contract/scripts/audit.mjs (graphql-http's `serverAudits`); it needs
`npm ci` in frontend-contract (make test runs it).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.live import LiveServer, free_port, live_server, server_env

FRONTEND = Path(__file__).resolve().parents[2] / "frontend-contract"


@pytest.fixture
def server(sqlite_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    env = server_env(database_url=sqlite_url, data_dir=tmp_path / "data", port=free_port())
    with live_server(env, log_path=tmp_path / "server.log") as running:
        yield running


@pytest.mark.e2e
def test_the_graphql_http_server_audit_passes_with_no_errors_and_no_warnings(
    server: LiveServer,
) -> None:
    # given
    assert (FRONTEND / "node_modules" / "graphql-http").exists(), (
        "run `cd frontend-contract && npm ci --no-audit --no-fund` first (make test does)"
    )
    # when
    done = subprocess.run(
        ["node", "scripts/audit.mjs", f"{server.url}/graphql"],
        cwd=FRONTEND,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # then
    assert done.stdout, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["errors"], summary["warnings"]) == (0, 0), json.dumps(
        summary["details"], indent=2
    )
    assert summary["ok"] >= 50
    assert done.returncode == 0


async def test_the_audits_post_without_a_json_content_type_meets_the_csrf_rule_not_the_executor(
    client: httpx.AsyncClient,
) -> None:
    # given: audit 9ABE posts without a content type; fetch then sends text/plain, as a plain
    # HTML form or a no-cors fetch from another site can
    body = json.dumps({"query": "{ __typename }"})
    # when
    refused = await client.post(
        "/graphql", content=body, headers={"content-type": "text/plain;charset=UTF-8"}
    )
    with_preflight_header = await client.post(
        "/graphql",
        content=body,
        headers={"content-type": "text/plain", "graphql-require-preflight": "1"},
    )
    # then
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["code"] == "CSRF"
    assert "data" not in refused.json()
    assert with_preflight_header.status_code == 415
    assert "data" not in with_preflight_header.json()
