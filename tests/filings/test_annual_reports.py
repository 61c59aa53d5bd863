"""Filing annual reports over the API: uploads, versions, downloads, who may see what."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette

from gql.clock import FrozenClock
from gql.files.access import signed_link
from gql.models.files import FileChunk, StoredFile
from gql.models.filings import AnnualReport, AnnualReportVersion
from gql.schema.types.ids import parse_global_id
from tests.support.api import gql, gql_upload, http_client, outbox
from tests.support.documents import (
    KVK_NUMBER,
    YEAR_END,
    billion_laughs,
    elf_binary,
    external_entity,
    pdf_document,
    xbrl_instance,
    zip_archive,
    zip_bomb,
)
from tests.support.factories import add_account, add_company, add_staff, log_in, totp_now

FILE = """
mutation File($input: FileAnnualReportInput!) {
  fileAnnualReport(input: $input) {
    __typename
    ... on FileAnnualReportPayload {
      message
      report { id kvkNumber financialYearEnd versions { version } }
      version { version format size sha256 filedBy downloadUrl downloadExpiresAt }
    }
    ... on XbrlMismatch { expected found }
    ... on InvalidInput { problems { field message } }
    ... on Error { code message field }
  }
}
"""
REPORTS = """
query Reports($kvkNumber: String, $year: Date) {
  annualReports(kvkNumber: $kvkNumber, financialYearEnd: $year) {
    edges { node { id kvkNumber financialYearEnd versions {
      version format size sha256 filedBy filedFrom downloadUrl downloadExpiresAt } } }
  }
}
"""
OTHER_KVK = "87654321"


def variables(kvk: str = KVK_NUMBER, year: date = YEAR_END) -> dict[str, Any]:
    return {"input": {"kvkNumber": kvk, "financialYearEnd": year.isoformat(), "document": None}}


def document(content: bytes, name: str = "jaarrekening.pdf", kind: str = "application/pdf") -> Any:
    return {"0": ("variables.input.document", (name, content, kind))}


async def file(
    client: httpx.AsyncClient, content: bytes, *, kvk: str = KVK_NUMBER, year: date = YEAR_END
) -> dict[str, Any]:
    response = await gql_upload(client, FILE, variables(kvk, year), document(content))
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["data"]["fileAnnualReport"]
    return result


async def stored_counts(app: Starlette) -> tuple[int, int, int, int]:
    async with app.state.deps.db.read() as session:
        counts = []
        for table in (StoredFile, FileChunk, AnnualReport, AnnualReportVersion):
            counts.append(int(await session.scalar(select(func.count()).select_from(table)) or 0))
        return tuple(counts)  # type: ignore[return-value]


@pytest.fixture
async def organisation(app: Starlette, clock: FrozenClock) -> dict[str, str]:
    """A company that must file, its main user and a second code, and another company."""
    clock.advance(days=0)
    await add_company(app, kvk_number=KVK_NUMBER)
    await add_company(app, kvk_number=OTHER_KVK, name="Ander Bedrijf B.V.")
    main = await add_account(
        app, usage="BUSINESS", kvk_number=KVK_NUMBER, is_main_user=True, email="main@bedrijf.nl"
    )
    second = await add_account(
        app, usage="BUSINESS", kvk_number=KVK_NUMBER, email="tweede@bedrijf.nl", name="Tweede"
    )
    other = await add_account(
        app, usage="BUSINESS", kvk_number=OTHER_KVK, is_main_user=True, email="ander@ander.nl"
    )
    return {"main": main, "second": second, "other": other}


async def signed_in(app: Starlette, code: str, **login: Any) -> httpx.AsyncClient:
    client = http_client(app)
    result = await log_in(client, code, **login)
    assert result["__typename"] == "LogInPayload", result
    return client


async def test_a_pdf_is_filed_stored_with_its_sha256_and_a_receipt_is_mailed(
    app: Starlette, organisation: dict[str, str]
) -> None:
    # given
    content = pdf_document()
    client = await signed_in(app, organisation["main"])
    # when
    result = await file(client, content)
    # then
    assert result["__typename"] == "FileAnnualReportPayload", result
    version = result["version"]
    assert (version["version"], version["format"], version["size"]) == (1, "PDF", len(content))
    assert version["sha256"] == hashlib.sha256(content).hexdigest()
    download = await client.get(version["downloadUrl"])
    assert download.status_code == 200
    assert download.content == content
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["cache-control"] == "no-store"
    [receipt] = [m for m in await outbox(app) if m.template == "annual_report_receipt"]
    assert receipt.recipient == "main@bedrijf.nl"
    assert version["sha256"] in receipt.body and "versie" in receipt.body.lower()
    await client.aclose()


async def test_a_zip_with_an_xbrl_instance_and_a_pdf_is_accepted(
    app: Starlette, organisation: dict[str, str]
) -> None:
    # given
    archive = zip_archive(
        {"jaarrekening.xbrl": xbrl_instance(), "jaarrekening.pdf": pdf_document()}
    )
    client = await signed_in(app, organisation["second"])
    # when
    result = await file(client, archive)
    # then: every code of the organisation files
    assert result["__typename"] == "FileAnnualReportPayload", result
    assert result["version"]["format"] == "ZIP"
    await client.aclose()


HOSTILE = [
    pytest.param(zip_bomb(200), "UnsafeDocument", ["document"], id="zip-bomb"),
    pytest.param(
        zip_archive({"../jaarrekening.xbrl": xbrl_instance()}),
        "UnsafeDocument",
        ["document"],
        id="dot-dot-path",
    ),
    pytest.param(
        zip_archive({"/etc/jaarrekening.xbrl": xbrl_instance()}),
        "UnsafeDocument",
        ["document"],
        id="absolute-path",
    ),
    pytest.param(elf_binary(), "UnsupportedDocument", ["document"], id="elf-named-pdf"),
    pytest.param(billion_laughs(), "UnsafeDocument", ["document"], id="billion-laughs"),
    pytest.param(
        external_entity("file:///etc/passwd"), "UnsafeDocument", ["document"], id="external-entity"
    ),
    pytest.param(xbrl_instance(OTHER_KVK), "XbrlMismatch", ["kvkNumber"], id="other-kvk-number"),
    pytest.param(
        xbrl_instance(year_end=date(2023, 12, 31)),
        "XbrlMismatch",
        ["financialYearEnd"],
        id="other-year-end",
    ),
]


@pytest.mark.parametrize(("content", "typename", "field"), HOSTILE)
async def test_a_hostile_or_wrong_upload_is_refused_with_a_typed_error_and_nothing_is_stored(
    app: Starlette, organisation: dict[str, str], content: bytes, typename: str, field: list[str]
) -> None:
    # given
    client = await signed_in(app, organisation["main"])
    before = await stored_counts(app)
    # when
    result = await file(client, content)
    # then
    assert result["__typename"] == typename, result
    assert result["field"] == field
    assert result["message"]
    assert await stored_counts(app) == before
    assert [m for m in await outbox(app) if m.template == "annual_report_receipt"] == []
    await client.aclose()


async def test_three_versions_for_one_year_are_all_listed_and_downloadable_byte_for_byte(
    app: Starlette, organisation: dict[str, str]
) -> None:
    # given: a first filing and two corrections
    contents = [pdf_document(f"Jaarrekening versie {n}") for n in (1, 2, 3)]
    client = await signed_in(app, organisation["main"])
    for content in contents:
        assert (await file(client, content))["__typename"] == "FileAnnualReportPayload"
    # when
    body = await gql(client, REPORTS, {"kvkNumber": KVK_NUMBER})
    # then
    [edge] = body["data"]["annualReports"]["edges"]
    versions = edge["node"]["versions"]
    assert [v["version"] for v in versions] == [1, 2, 3]
    for version, content in zip(versions, contents, strict=True):
        assert version["sha256"] == hashlib.sha256(content).hexdigest()
        assert version["filedFrom"] is None  # staff only
        download = await client.get(version["downloadUrl"])
        assert download.content == content
    await client.aclose()


async def test_another_organisation_cannot_file_list_or_download_and_is_answered_as_missing(
    app: Starlette, organisation: dict[str, str]
) -> None:
    # given: a filing of the organisation
    owner = await signed_in(app, organisation["main"])
    filed = await file(owner, pdf_document())
    url = filed["version"]["downloadUrl"]
    outsider = await signed_in(app, organisation["other"])
    anonymous = http_client(app)
    # when
    filing = await file(outsider, pdf_document())
    unknown = await file(outsider, pdf_document(), kvk="11112222")
    listed = await gql(outsider, REPORTS, {"kvkNumber": KVK_NUMBER})
    downloads = [await c.get(url) for c in (outsider, anonymous)]
    missing = await outsider.get("/files/999999")
    node = await gql(
        outsider, "query($id: ID!) { node(id: $id) { id } }", {"id": filed["report"]["id"]}
    )
    # then
    assert (filing["__typename"], filing["field"]) == ("NotFound", ["kvkNumber"])
    assert {k: filing[k] for k in ("code", "message")} == {
        k: unknown[k] for k in ("code", "message")
    }
    assert listed["data"]["annualReports"]["edges"] == []
    assert {(r.status_code, r.content) for r in downloads} == {
        (missing.status_code, missing.content)
    }
    assert missing.status_code == 404
    assert node["data"]["node"] is None
    for client in (owner, outsider, anonymous):
        await client.aclose()


async def test_a_private_account_cannot_file(app: Starlette) -> None:
    # given
    client = await signed_in(app, await add_account(app))
    # when
    response = await gql_upload(client, FILE, variables(), document(pdf_document()))
    # then
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await client.aclose()


async def test_a_multipart_post_without_the_preflight_header_is_refused_even_with_a_session(
    app: Starlette, organisation: dict[str, str]
) -> None:
    # given
    client = await signed_in(app, organisation["main"])
    before = await stored_counts(app)
    # when
    response = await client.post(
        "/graphql",
        data={"operations": '{"query": "{ __typename }"}', "map": "{}"},
        files={"0": ("x.pdf", pdf_document(), "application/pdf")},
    )
    # then
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "CSRF"
    assert await stored_counts(app) == before
    await client.aclose()


async def test_a_document_sent_as_json_instead_of_a_file_is_refused(
    app: Starlette, organisation: dict[str, str]
) -> None:
    # given
    client = await signed_in(app, organisation["main"])
    sent = variables()
    sent["input"]["document"] = "JVBERi0xLjQK"
    # when
    body = await gql(client, FILE, sent)
    # then
    result = body["data"]["fileAnnualReport"]
    assert (result["__typename"], result["field"]) == ("InvalidInput", ["document"])
    await client.aclose()


async def test_a_year_that_has_not_ended_cannot_be_filed(
    app: Starlette, organisation: dict[str, str], clock: FrozenClock
) -> None:
    # given
    client = await signed_in(app, organisation["main"])
    next_year = date(clock.now().year + 1, 12, 31)
    # when
    result = await file(client, pdf_document(), year=next_year)
    # then
    assert (result["__typename"], result["field"]) == ("InvalidInput", ["financialYearEnd"])
    await client.aclose()


async def test_a_bearer_client_downloads_through_a_signed_link_that_expires_and_fits_one_file(
    app: Starlette, organisation: dict[str, str], clock: FrozenClock
) -> None:
    # given: a mobile app (bearer token, no cookie) files two years
    app_client = http_client(app)
    login = await log_in(app_client, organisation["main"], session="TOKEN")
    bearer = {"authorization": f"Bearer {login['token']}"}
    first = await gql_upload(
        app_client, FILE, variables(), document(pdf_document("A")), headers=bearer
    )
    second = await gql_upload(
        app_client,
        FILE,
        variables(year=date(2023, 12, 31)),
        document(pdf_document("B")),
        headers=bearer,
    )
    link = first.json()["data"]["fileAnnualReport"]["version"]["downloadUrl"]
    other_link = second.json()["data"]["fileAnnualReport"]["version"]["downloadUrl"]
    assert "signature=" in link
    plain = http_client(app)  # no cookie, no token: the link is the proof
    # when
    fresh = await plain.get(link)
    other_file_id = other_link.split("/files/")[1].split("?")[0]
    swapped = await plain.get(link.replace(link.split("/files/")[1].split("?")[0], other_file_id))
    clock.advance(seconds=app.state.deps.settings.download_link_seconds + 1)
    expired = await plain.get(link)
    # then
    assert fresh.status_code == 200 and fresh.content == pdf_document("A")
    assert swapped.status_code == 404
    assert expired.status_code == 404
    for client in (app_client, plain):
        await client.aclose()


async def test_a_signed_link_made_for_staff_reads_as_staff_and_expires_when_it_says(
    app: Starlette, organisation: dict[str, str]
) -> None:
    # given: a filing, and staff signed in (staff cannot start device sessions, so the API
    # never hands them a signed link; one is made for them here)
    owner = await signed_in(app, organisation["main"])
    content = pdf_document("S")
    await file(owner, content)
    staff_app = http_client(app)
    code, secret = await add_staff(app)
    login = await log_in(staff_app, code, totp=totp_now(app, secret))
    body = await gql(staff_app, REPORTS, {"kvkNumber": KVK_NUMBER})
    [edge] = body["data"]["annualReports"]["edges"]
    [version] = edge["node"]["versions"]
    file_id = int(version["downloadUrl"].rsplit("/", 1)[1])
    staff_id = parse_global_id(login["viewer"]["id"])
    assert staff_id is not None
    deps = app.state.deps
    # when
    link, expires = signed_link(
        deps.settings, file_id=file_id, account_id=staff_id[1], now=deps.clock.now()
    )
    plain = http_client(app)
    fetched = await plain.get(link)
    # then: the link works without a cookie, and says exactly when it stops (whole seconds)
    assert fetched.status_code == 200 and fetched.content == content
    assert f"expires={int(expires.timestamp())}&" in link
    assert expires.microsecond == 0
    for client in (owner, staff_app, plain):
        await client.aclose()


async def test_staff_read_the_filings_of_any_company_with_where_they_came_from(
    app: Starlette, organisation: dict[str, str], staff: httpx.AsyncClient
) -> None:
    # given
    owner = await signed_in(app, organisation["main"])
    content = pdf_document()
    await file(owner, content)
    # when
    body = await gql(staff, REPORTS, {"kvkNumber": KVK_NUMBER})
    # then
    [edge] = body["data"]["annualReports"]["edges"]
    [version] = edge["node"]["versions"]
    assert version["filedFrom"] == "127.0.0.0/24"
    assert (await staff.get(version["downloadUrl"])).content == content
    await owner.aclose()
