"""The content check of an uploaded annual report (SPEC §3.5; §6, uploads).

Pure unit tests: every file is built here or in tests/support/documents.py, written to
the test's own folder, and inspected. A refused file leaves that folder, the working
directory and the temp folder exactly as they were.
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfWriter

from gql import i18n
from gql.services.filings.inspection import (
    DocumentFormat,
    InspectedDocument,
    InspectionLimits,
    InvalidXbrlError,
    UnsafeDocumentError,
    UnsupportedDocumentError,
    XbrlMismatchError,
    inspect_document,
)
from gql.services.shared.errors import DomainError
from tests.support.documents import (
    KVK_NUMBER,
    YEAR_END,
    RawMember,
    billion_laughs,
    deflated_zeros,
    elf_binary,
    external_entity,
    pdf_document,
    raw_zip,
    windows_executable,
    xbrl_instance,
    zip_archive,
    zip_bomb,
)

XBRL = xbrl_instance()
PDF = pdf_document()
# After a full flush these bytes open a block of the reserved type: no inflater goes on.
GARBAGE = b"\xff" * 4096


@dataclass(frozen=True)
class Workspace:
    """The test's folder: uploads go here, and so would anything the inspection wrote."""

    root: Path

    def upload(self, data: bytes, name: str = "upload") -> Path:
        path = self.root / name
        path.write_bytes(data)
        return path

    def files(self) -> set[Path]:
        return {path for path in self.root.rglob("*") if not path.is_dir()}


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """The working directory and Python's temp folder moved into the test's folder, so
    that `files()` would list whatever an inspection wrote to either."""
    (tmp_path / "cwd").mkdir()
    (tmp_path / "tmp").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    return Workspace(tmp_path)


def inspect(path: Path, **limits: int) -> InspectedDocument:
    return inspect_document(
        path,
        kvk_number=KVK_NUMBER,
        financial_year_end=YEAR_END,
        limits=InspectionLimits(**limits),
    )


def texts_of(error: DomainError) -> list[str]:
    """The error's message in both languages, as a client reads it."""
    return [
        i18n.text(error.key, language, **error.message_params(language))
        for language in i18n.LANGUAGES
    ]


def assert_refused(error: DomainError, message_key: str) -> None:
    """The situation's own text, on the document field, with every parameter filled in."""
    assert error.key == message_key
    assert error.field_path == ("document",)
    assert all("{" not in text for text in texts_of(error))


# ---- accepted ------------------------------------------------------------------------------


def test_a_pdf_with_a_page_is_accepted_as_a_pdf(workspace: Workspace) -> None:
    # given
    upload = workspace.upload(PDF, "jaarrekening.pdf")
    # when
    result = inspect(upload)
    # then
    assert result == InspectedDocument(DocumentFormat.PDF, "application/pdf", ())
    assert workspace.files() == {upload}


def test_a_pdf_behind_a_few_bytes_of_junk_is_still_a_pdf_as_readers_accept_it(
    workspace: Workspace,
) -> None:
    # given: `%PDF-` within the first kilobyte, not at its start
    upload = workspace.upload(b"junk line\n" * 10 + PDF)
    # when
    result = inspect(upload)
    # then
    assert result.format is DocumentFormat.PDF


def test_a_valid_xbrl_instance_is_accepted_as_xml(workspace: Workspace) -> None:
    # given
    upload = workspace.upload(XBRL, "jaarrekening.xbrl")
    # when
    result = inspect(upload)
    # then
    assert result == InspectedDocument(DocumentFormat.XBRL, "application/xml", ())
    assert workspace.files() == {upload}


def test_the_kind_comes_from_the_content_not_from_the_name(workspace: Workspace) -> None:
    # given: an XBRL instance with a byte-order mark, uploaded as "report.pdf"
    upload = workspace.upload(b"\xef\xbb\xbf" + XBRL, "report.pdf")
    # when
    result = inspect(upload)
    # then
    assert result.format is DocumentFormat.XBRL


@pytest.mark.parametrize(
    "end",
    [
        "2024-12-31",
        "2024-12-31Z",
        "2024-12-31+01:00",
        "2024-12-31T23:59:59",
        "2024-12-31T24:00:00",
        "2025-01-01T00:00:00",  # midnight after the year end: the end of 31 December
    ],
)
def test_a_period_ending_on_the_year_end_is_accepted_in_every_xbrl_form_of_it(
    workspace: Workspace, end: str
) -> None:
    # given
    upload = workspace.upload(xbrl_instance(end_date=end, instant=end))
    # when
    result = inspect(upload)
    # then
    assert result.format is DocumentFormat.XBRL


def test_a_zip_with_one_xbrl_instance_and_one_pdf_is_accepted_with_its_member_names(
    workspace: Workspace,
) -> None:
    # given: as a zip program makes it, with a folder entry
    archive = zip_archive(
        {"jaarrekening/": b"", "jaarrekening/rapport.xbrl": XBRL, "jaarrekening/rapport.pdf": PDF}
    )
    upload = workspace.upload(archive, "jaarrekening.zip")
    # when
    result = inspect(upload)
    # then: the folder is left out
    assert result == InspectedDocument(
        DocumentFormat.ZIP,
        "application/zip",
        ("jaarrekening/rapport.xbrl", "jaarrekening/rapport.pdf"),
    )
    assert workspace.files() == {upload}


def test_a_zip_written_as_a_stream_with_data_descriptors_and_zip64_is_accepted(
    workspace: Workspace,
) -> None:
    # given: sizes after the data and in ZIP64 fields, as streaming zip tools write them
    stream = _Unseekable()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("rapport.xbrl", "w", force_zip64=True) as member:
            member.write(XBRL)
        with archive.open("rapport.pdf", "w") as member:
            member.write(PDF)
    upload = workspace.upload(bytes(stream.written))
    # when
    result = inspect(upload)
    # then
    assert result.members == ("rapport.xbrl", "rapport.pdf")


class _Unseekable(io.RawIOBase):
    def __init__(self) -> None:
        self.written = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.written += data
        return len(data)


# ---- not an accepted kind ------------------------------------------------------------------


def test_an_elf_binary_named_report_pdf_is_refused_as_unsupported(workspace: Workspace) -> None:
    # given
    upload = workspace.upload(elf_binary(), "report.pdf")
    # when
    with pytest.raises(UnsupportedDocumentError) as refused:
        inspect(upload)
    # then
    assert_refused(refused.value, "document_unsupported")
    assert workspace.files() == {upload}


def test_a_pdf_that_does_not_open_is_refused_as_unsupported(workspace: Workspace) -> None:
    # given
    upload = workspace.upload(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    # when
    with pytest.raises(UnsupportedDocumentError) as refused:
        inspect(upload)
    # then
    assert_refused(refused.value, "document_pdf_unreadable")
    assert workspace.files() == {upload}


def test_an_encrypted_pdf_is_refused_because_it_cannot_be_published(
    workspace: Workspace,
) -> None:
    # given
    upload = workspace.upload(pdf_document(password="geheim"))
    # when
    with pytest.raises(UnsupportedDocumentError) as refused:
        inspect(upload)
    # then
    assert_refused(refused.value, "document_pdf_encrypted")
    assert workspace.files() == {upload}


def test_a_pdf_without_pages_is_refused(workspace: Workspace) -> None:
    # given
    empty = io.BytesIO()
    PdfWriter().write(empty)
    upload = workspace.upload(empty.getvalue())
    # when
    with pytest.raises(UnsupportedDocumentError) as refused:
        inspect(upload)
    # then
    assert_refused(refused.value, "document_pdf_empty")


@pytest.mark.parametrize(
    ("members", "message_key"),
    [
        pytest.param(
            {"a.xbrl": XBRL, "b.xbrl": XBRL}, "document_zip_two_xbrl", id="two-xbrl-instances"
        ),
        pytest.param(
            {"a.xbrl": XBRL, "a.pdf": PDF, "b.pdf": PDF}, "document_zip_two_pdfs", id="two-pdfs"
        ),
        pytest.param(
            {"a.xbrl": XBRL, "setup.exe": windows_executable()},
            "document_zip_other_member",
            id="an-extra-exe",
        ),
        pytest.param(
            {"a.xbrl": XBRL, "notes.txt": b"Toelichting"},
            "document_zip_other_member",
            id="an-extra-text-file",
        ),
        pytest.param(
            {"a.xbrl": XBRL, "inner.zip": zip_archive({"b.pdf": PDF})},
            "document_zip_nested",
            id="a-nested-zip",
        ),
        pytest.param({"a.pdf": PDF}, "document_zip_no_xbrl", id="only-a-pdf"),
    ],
)
def test_a_zip_holding_anything_but_one_xbrl_instance_and_at_most_one_pdf_is_refused(
    workspace: Workspace, members: dict[str, bytes], message_key: str
) -> None:
    # given
    upload = workspace.upload(zip_archive(members))
    # when
    with pytest.raises(UnsupportedDocumentError) as refused:
        inspect(upload)
    # then
    assert_refused(refused.value, message_key)
    assert workspace.files() == {upload}


def test_the_refused_member_is_named_in_the_message(workspace: Workspace) -> None:
    # given
    upload = workspace.upload(zip_archive({"a.xbrl": XBRL, "setup.exe": windows_executable()}))
    # when
    with pytest.raises(UnsupportedDocumentError) as refused:
        inspect(upload)
    # then
    assert all("setup.exe" in text for text in texts_of(refused.value))


def test_a_zip_with_an_encrypted_member_is_refused(workspace: Workspace) -> None:
    # given
    upload = workspace.upload(raw_zip([RawMember("rapport.xbrl", XBRL, flags=0x1)]))
    # when
    with pytest.raises(UnsupportedDocumentError) as refused:
        inspect(upload)
    # then
    assert_refused(refused.value, "document_zip_encrypted")


def test_a_zip_compressed_with_bzip2_is_refused_as_its_inflating_cannot_be_bounded(
    workspace: Workspace,
) -> None:
    # given
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_BZIP2) as writer:
        writer.writestr("rapport.xbrl", XBRL)
    upload = workspace.upload(archive.getvalue())
    # when
    with pytest.raises(UnsupportedDocumentError) as refused:
        inspect(upload)
    # then
    assert_refused(refused.value, "document_zip_compression")


# ---- hostile archives ----------------------------------------------------------------------


def test_a_zip_bomb_is_refused_from_its_directory_quickly_and_without_writing_anything(
    workspace: Workspace,
) -> None:
    # given: about 200 kB that would inflate to 200 MiB of zeros
    upload = workspace.upload(zip_bomb(200), "jaarrekening.zip")
    assert upload.stat().st_size < 300_000
    # when
    with pytest.raises(UnsafeDocumentError) as refused:
        inspect(upload)
    # then: refused on what the directory declares (the total), so nothing was inflated
    assert_refused(refused.value, "document_zip_too_large")
    assert workspace.files() == {upload}


def test_a_member_compressed_beyond_the_ratio_is_refused_though_within_the_total(
    workspace: Workspace,
) -> None:
    # given: 50 MiB of zeros in about 50 kB (a thousandfold), under the 100 MiB total
    upload = workspace.upload(zip_bomb(50))
    # when
    with pytest.raises(UnsafeDocumentError) as refused:
        inspect(upload)
    # then
    assert_refused(refused.value, "document_zip_ratio")
    assert workspace.files() == {upload}


@pytest.mark.parametrize(
    "name",
    [
        "../evil.xbrl",
        "/etc/evil.xbrl",
        "jaarrekening/../../evil.xbrl",
        "C:\\evil.xbrl",
        "C:evil.xbrl",
        "jaarrekening\\evil.xbrl",
        "evil\x00.xbrl",
    ],
)
def test_a_member_name_that_could_point_outside_the_archive_is_refused(
    workspace: Workspace, name: str
) -> None:
    # given
    upload = workspace.upload(raw_zip([RawMember(name, XBRL)]))
    # when
    with pytest.raises(UnsafeDocumentError) as refused:
        inspect(upload)
    # then
    assert_refused(refused.value, "document_zip_unsafe_name")
    assert workspace.files() == {upload}


def test_a_symlink_member_is_refused(workspace: Workspace) -> None:
    # given: a link named like an instance, pointing at a file of the server
    link = RawMember("rapport.xbrl", b"/etc/passwd", external_attr=0o120777 << 16)
    upload = workspace.upload(raw_zip([link]))
    # when
    with pytest.raises(UnsafeDocumentError) as refused:
        inspect(upload)
    # then
    assert_refused(refused.value, "document_zip_link")
    assert workspace.files() == {upload}


def test_two_members_of_the_same_name_are_refused(workspace: Workspace) -> None:
    # given: tools differ in which of the two they unpack (and some fold case)
    upload = workspace.upload(
        raw_zip([RawMember("rapport.xbrl", XBRL), RawMember("Rapport.XBRL", xbrl_instance("1"))])
    )
    # when
    with pytest.raises(UnsafeDocumentError) as refused:
        inspect(upload)
    # then
    assert_refused(refused.value, "document_zip_duplicate_name")


def test_a_zip_with_more_members_than_allowed_is_refused(workspace: Workspace) -> None:
    # given
    upload = workspace.upload(zip_archive({f"{n}.pdf": PDF for n in range(21)}))
    # when
    with pytest.raises(UnsafeDocumentError) as refused:
        inspect(upload)
    # then
    assert_refused(refused.value, "document_zip_too_many_members")


def test_a_member_whose_local_header_disagrees_with_the_directory_is_refused_unread(
    workspace: Workspace,
) -> None:
    # given: the local header claims 5 bytes; the directory, which zipfile reads, the truth
    member = RawMember("rapport.xbrl", XBRL, local_size=5)
    upload = workspace.upload(raw_zip([member]))
    # when
    with pytest.raises(UnsafeDocumentError) as refused:
        inspect(upload)
    # then
    assert_refused(refused.value, "document_zip_headers_differ")
    assert workspace.files() == {upload}


def test_a_member_that_inflates_past_its_declared_size_is_stopped_there(
    workspace: Workspace,
) -> None:
    # given: both headers declare 512 KiB, within every limit; the data inflates to 4 MiB
    # of zeros and then turns to garbage. A reader that went on past the declared size
    # would end in that garbage (a damaged archive); zipfile alone would cut the member
    # short and blame its CRC. Only stopping at once gives "larger than stated".
    data = deflated_zeros(4, then=GARBAGE)
    with pytest.raises(zlib.error):
        zlib.decompress(data, -zlib.MAX_WBITS)
    member = RawMember(
        "rapport.xbrl", data=data, method=zipfile.ZIP_DEFLATED, size=512 * 1024, crc=0
    )
    upload = workspace.upload(raw_zip([member]))
    # when
    with pytest.raises(UnsafeDocumentError) as refused:
        inspect(upload)
    # then
    assert_refused(refused.value, "document_zip_member_size")
    assert workspace.files() == {upload}


# ---- hostile XML ---------------------------------------------------------------------------


@pytest.mark.parametrize("packed", [False, True], ids=["as-a-file", "in-a-zip"])
def test_a_billion_laughs_document_is_refused_as_unsafe(workspace: Workspace, packed: bool) -> None:
    # given
    document = billion_laughs()
    upload = workspace.upload(zip_archive({"a.xbrl": document}) if packed else document)
    # when
    with pytest.raises(UnsafeDocumentError) as refused:
        inspect(upload)
    # then: refused at its DOCTYPE, before a single entity is declared, let alone expanded
    assert_refused(refused.value, "document_xml_unsafe")
    assert workspace.files() == {upload}


def test_an_external_entity_is_refused_without_reading_the_file_it_names(
    workspace: Workspace,
) -> None:
    # given: an entity naming a file whose content is a marker
    marker = "MARKER-7f3a9c-never-read"
    secret = workspace.upload(marker.encode(), "secret.txt")
    upload = workspace.upload(external_entity(secret.as_uri()))
    # when
    with pytest.raises(UnsafeDocumentError) as refused:
        inspect(upload)
    # then: refused as unsafe, and the marker is nowhere in what the error says
    assert_refused(refused.value, "document_xml_unsafe")
    error = refused.value
    assert all(marker not in text for text in [str(error), repr(error.params), *texts_of(error)])
    assert workspace.files() == {upload, secret}


def test_an_external_entity_naming_a_missing_file_is_unsafe_not_a_missing_file(
    workspace: Workspace,
) -> None:
    # given: had the parser tried to resolve it, it would have failed to find it
    missing = workspace.root / "does-not-exist.txt"
    upload = workspace.upload(external_entity(missing.as_uri()))
    # when
    with pytest.raises(UnsafeDocumentError) as refused:
        inspect(upload)
    # then
    assert_refused(refused.value, "document_xml_unsafe")
    assert workspace.files() == {upload}


@pytest.mark.timeout(5)
def test_an_external_entity_naming_a_fifo_is_refused_without_opening_it(
    workspace: Workspace,
) -> None:
    # given: a FIFO without a writer; opening it for reading would block for ever, so a
    # parser that so much as opened it would hang this test into its timeout
    fifo = workspace.root / "fifo"
    os.mkfifo(fifo)
    upload = workspace.upload(external_entity(fifo.as_uri()))
    # when
    with pytest.raises(UnsafeDocumentError) as refused:
        inspect(upload)
    # then
    assert_refused(refused.value, "document_xml_unsafe")
    assert workspace.files() == {upload, fifo}


@pytest.mark.parametrize("packed", [False, True], ids=["as-a-file", "in-a-zip"])
def test_xml_larger_than_the_limit_is_refused_before_it_is_parsed(
    workspace: Workspace, packed: bool
) -> None:
    # given: a limit just below the size of the instance
    upload = workspace.upload(zip_archive({"rapport.xbrl": XBRL}) if packed else XBRL)
    # when
    with pytest.raises(UnsafeDocumentError) as refused:
        inspect(upload, max_xml_bytes=len(XBRL) - 1)
    # then
    assert_refused(refused.value, "document_xml_too_large")


def test_xml_nested_deeper_than_any_instance_is_refused(workspace: Workspace) -> None:
    # given: a million open elements, each of which the parser would have to keep
    root = b'<xbrli:xbrl xmlns:xbrli="http://www.xbrl.org/2003/instance">'
    upload = workspace.upload(root + b"<a>" * 1_000_000)
    # when
    with pytest.raises(UnsafeDocumentError) as refused:
        inspect(upload)
    # then
    assert_refused(refused.value, "document_xml_too_deep")


# ---- what the instance says ----------------------------------------------------------------


def test_malformed_xml_is_invalid_xbrl_with_its_position_and_never_its_content(
    workspace: Workspace,
) -> None:
    # given: a broken end tag that holds a word of the content
    line = XBRL[: XBRL.index(b"</xbrli:unit>")].count(b"\n") + 1
    upload = workspace.upload(XBRL.replace(b"</xbrli:unit>", b"</xbrli:unit GEHEIM-42>"))
    # when
    with pytest.raises(InvalidXbrlError) as refused:
        inspect(upload)
    # then
    assert_refused(refused.value, "xbrl_malformed")
    assert refused.value.params == {"line": line, "column": len("  </xbrli:unit ")}
    assert all("GEHEIM" not in text for text in texts_of(refused.value))


def test_xml_of_another_kind_is_invalid_xbrl(workspace: Workspace) -> None:
    # given
    upload = workspace.upload(b"<html><body>Jaarrekening</body></html>")
    # when
    with pytest.raises(InvalidXbrlError) as refused:
        inspect(upload)
    # then
    assert_refused(refused.value, "xbrl_root")


def test_an_instance_without_contexts_is_invalid_xbrl(workspace: Workspace) -> None:
    # given
    upload = workspace.upload(b'<xbrli:xbrl xmlns:xbrli="http://www.xbrl.org/2003/instance"/>')
    # when
    with pytest.raises(InvalidXbrlError) as refused:
        inspect(upload)
    # then
    assert_refused(refused.value, "xbrl_no_context")


def test_a_context_identified_by_another_scheme_than_the_kvk_is_invalid_xbrl(
    workspace: Workspace,
) -> None:
    # given: a legal entity identifier instead of a KVK number
    upload = workspace.upload(xbrl_instance(scheme="http://standards.iso.org/iso/17442"))
    # when
    with pytest.raises(InvalidXbrlError) as refused:
        inspect(upload)
    # then
    assert_refused(refused.value, "xbrl_no_kvk_identifier")


def test_a_context_without_an_end_date_is_invalid_xbrl(workspace: Workspace) -> None:
    # given
    forever = XBRL.replace(b"<xbrli:instant>2024-12-31</xbrli:instant>", b"<xbrli:forever/>")
    upload = workspace.upload(forever)
    # when
    with pytest.raises(InvalidXbrlError) as refused:
        inspect(upload)
    # then
    assert_refused(refused.value, "xbrl_period")


def test_an_instance_of_another_kvk_number_is_a_mismatch_on_the_kvk_number(
    workspace: Workspace,
) -> None:
    # given
    upload = workspace.upload(xbrl_instance("87654321"))
    # when
    with pytest.raises(XbrlMismatchError) as refused:
        inspect(upload)
    # then
    error = refused.value
    assert (error.key, error.field_path) == ("xbrl_kvk_mismatch", ("kvkNumber",))
    assert error.params == {"expected": KVK_NUMBER, "found": "87654321"}
    assert i18n.text(error.key, "nl", **error.params) == (
        "Het XBRL-bestand is van KVK-nummer 87654321, niet van 12345678."
    )


@pytest.mark.parametrize(
    ("instance", "found"),
    [
        pytest.param(xbrl_instance(instant="2023-12-31"), "2023-12-31", id="instant"),
        pytest.param(xbrl_instance(end_date="2025-06-30"), "2025-06-30", id="end-date"),
        # Midnight at the start of the year end is the end of the day before.
        pytest.param(
            xbrl_instance(instant="2024-12-31T00:00:00"), "2024-12-31T00:00:00", id="midnight"
        ),
    ],
)
def test_an_instance_for_another_year_end_is_a_mismatch_on_the_financial_year_end(
    workspace: Workspace, instance: bytes, found: str
) -> None:
    # given
    upload = workspace.upload(instance)
    # when
    with pytest.raises(XbrlMismatchError) as refused:
        inspect_document(upload, kvk_number=KVK_NUMBER, financial_year_end=date(2024, 12, 31))
    # then
    error = refused.value
    assert (error.key, error.field_path) == ("xbrl_year_end_mismatch", ("financialYearEnd",))
    assert error.params == {"expected": "2024-12-31", "found": found}


def test_a_mismatch_inside_a_zip_is_the_same_mismatch(workspace: Workspace) -> None:
    # given
    upload = workspace.upload(zip_archive({"rapport.xbrl": xbrl_instance("87654321")}))
    # when
    with pytest.raises(XbrlMismatchError) as refused:
        inspect(upload)
    # then
    assert refused.value.params == {"expected": KVK_NUMBER, "found": "87654321"}


@pytest.mark.parametrize(
    ("limits", "message_key"),
    [
        ({"max_zip_members": 1}, "document_zip_too_many_members"),
        ({"max_uncompressed_bytes": 1024}, "document_zip_too_large"),
        ({"max_compression_ratio": 1}, "document_zip_ratio"),
    ],
)
def test_an_ordinary_zip_is_refused_by_tighter_limits(
    workspace: Workspace, limits: dict[str, int], message_key: str
) -> None:
    # given: an instance and a PDF, with limits they do not meet
    upload = workspace.upload(zip_archive({"rapport.xbrl": XBRL, "rapport.pdf": PDF}))
    # when
    with pytest.raises(UnsafeDocumentError) as refused:
        inspect(upload, **limits)
    # then
    assert_refused(refused.value, message_key)
