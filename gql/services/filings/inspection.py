"""The content check of an uploaded annual report (SPEC §3.5; §6, uploads).

`inspect_document` decides from the bytes alone whether an upload is a PDF, an XBRL
instance, or a ZIP holding one XBRL instance and optionally a PDF, and refuses anything
else, and anything hostile, before it is extracted or stored. It writes nothing: ZIP
members are read as streams out of the upload, and XML is parsed incrementally by
defusedxml without DTDs, entities or external references, into no tree at all.

A ZIP is judged in three steps, each cheap before the next is costly: its central
directory (member count, names, links, encryption, declared sizes and ratios); every
local header against the directory; every member's data inflated once and dropped,
stopping as soon as it yields a byte more than declared. Only then is any member's
content looked at.
"""

from __future__ import annotations

import io
import os
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, ClassVar, Protocol
from xml.etree.ElementTree import ParseError

from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from pypdf import PdfReader

from gql.i18n import texts
from gql.services.shared.errors import DomainError

if TYPE_CHECKING:
    from typing_extensions import Buffer


class DocumentFormat(StrEnum):
    """The accepted kinds of annual report."""

    PDF = "PDF"
    XBRL = "XBRL"
    ZIP = "ZIP"  # one XBRL instance and optionally one PDF


@dataclass(frozen=True, slots=True)
class InspectedDocument:
    """What an accepted upload is."""

    format: DocumentFormat
    content_type: str  # "application/pdf", "application/xml" (XBRL), "application/zip"
    members: tuple[str, ...]  # for ZIP: the member names (directories left out), else ()


@dataclass(frozen=True, slots=True)
class InspectionLimits:
    """What an upload may cost to inspect."""

    max_zip_members: int = 20
    max_uncompressed_bytes: int = 100 * 1024 * 1024  # all members together
    max_compression_ratio: int = 100  # per member, uncompressed / compressed
    max_xml_bytes: int = 50 * 1024 * 1024


CONTENT_TYPES = {
    DocumentFormat.PDF: "application/pdf",
    DocumentFormat.XBRL: "application/xml",
    DocumentFormat.ZIP: "application/zip",
}

# ---- errors --------------------------------------------------------------------------------

_DOCUMENT = ("document",)


class UnsupportedDocumentError(DomainError):
    """Give the situation's text as `message_key`; the default is an unknown kind of file."""

    description = (
        "The file is not a PDF, an XBRL instance or a ZIP holding one XBRL instance and "
        "optionally a PDF, or it does not open as one."
    )
    code_description = "UnsupportedDocument: the file is no accepted annual report."
    message_key = "document_unsupported"


class UnsafeDocumentError(DomainError):
    """Give the situation's text as `message_key`."""

    description = (
        "The file was refused before it was read: it could harm the service (an archive "
        "bomb, paths outside the archive, links, or XML with entities or external references)."
    )
    code_description = "UnsafeDocument: the file was refused as a risk to the service."
    message_key = "document_unsafe"


class InvalidXbrlError(DomainError):
    """Give the situation's text as `message_key`."""

    description = (
        "The XBRL instance is not well formed or lacks what a filing needs (an xbrli:xbrl "
        "root, contexts, a KVK identifier)."
    )
    code_description = "InvalidXbrl: the XBRL instance is malformed or incomplete."
    message_key = "xbrl_invalid"


class XbrlMismatchError(DomainError):
    """On `kvkNumber` (the default text) or `financialYearEnd` (`xbrl_year_end_mismatch`)."""

    description = (
        "The XBRL instance names another KVK number or financial year end than the filing."
    )
    code_description = "XbrlMismatch: the XBRL instance names another company or year end."
    message_key = "xbrl_kvk_mismatch"
    data: ClassVar[dict[str, tuple[type, str]]] = {
        "expected": (str, "What the filing says (the KVK number or the year-end date)."),
        "found": (str, "What the XBRL instance says."),
    }


TEXTS = texts(
    __name__,
    {
        # UnsupportedDocument.
        "document_unsupported": {
            "nl": "Dit bestand is geen pdf, XBRL-bestand of zip-bestand met een XBRL-bestand.",
            "en": "This file is not a PDF, an XBRL file or a ZIP file holding an XBRL file.",
        },
        "document_pdf_unreadable": {
            "nl": "Dit pdf-bestand kan niet worden geopend; het is mogelijk beschadigd. Sla het "
            "opnieuw op als pdf en probeer het nog eens.",
            "en": "This PDF file cannot be opened; it may be damaged. Save it as a PDF again "
            "and retry.",
        },
        "document_pdf_encrypted": {
            "nl": "Dit pdf-bestand is beveiligd of versleuteld. Een jaarrekening wordt openbaar "
            "gemaakt: lever een pdf zonder beveiliging aan.",
            "en": "This PDF file is protected or encrypted. Annual accounts are made public: "
            "please upload a PDF without protection.",
        },
        "document_pdf_empty": {
            "nl": "Dit pdf-bestand heeft geen pagina's.",
            "en": "This PDF file has no pages.",
        },
        "document_zip_unreadable": {
            "nl": "Dit zip-bestand kan niet worden geopend; het is mogelijk beschadigd.",
            "en": "This ZIP file cannot be opened; it may be damaged.",
        },
        "document_zip_encrypted": {
            "nl": "Dit zip-bestand is met een wachtwoord beveiligd. Lever het aan zonder "
            "wachtwoord.",
            "en": "This ZIP file is protected with a password. Please upload it without one.",
        },
        "document_zip_compression": {
            "nl": "Dit zip-bestand gebruikt een compressiemethode die we niet ondersteunen. Maak "
            "het opnieuw met de standaardinstelling van je zip-programma.",
            "en": "This ZIP file uses a compression method we do not support. Please make it "
            "again with your ZIP program's default setting.",
        },
        "document_zip_other_member": {
            "nl": "Het zip-bestand bevat een bestand dat er niet in hoort ({name}). Het mag "
            "alleen één XBRL-bestand en eventueel één pdf bevatten.",
            "en": "The ZIP file holds a file that does not belong there ({name}). It may hold "
            "only one XBRL file and optionally one PDF.",
        },
        "document_zip_nested": {
            "nl": "Het zip-bestand bevat een ander zip-bestand ({name}). Lever de bestanden "
            "zelf aan in één zip-bestand.",
            "en": "The ZIP file holds another ZIP file ({name}). Please put the files "
            "themselves in one ZIP file.",
        },
        "document_zip_two_xbrl": {
            "nl": "Het zip-bestand bevat meer dan één XML-bestand. Het mag precies één "
            "XBRL-bestand bevatten.",
            "en": "The ZIP file holds more than one XML file. It must hold exactly one XBRL file.",
        },
        "document_zip_two_pdfs": {
            "nl": "Het zip-bestand bevat meer dan één pdf. Het mag hoogstens één pdf bevatten.",
            "en": "The ZIP file holds more than one PDF. It may hold at most one PDF.",
        },
        "document_zip_no_xbrl": {
            "nl": "Het zip-bestand bevat geen XBRL-bestand.",
            "en": "The ZIP file holds no XBRL file.",
        },
        # UnsafeDocument.
        "document_unsafe": {
            "nl": "Dit bestand is geweigerd omdat het de dienst zou kunnen schaden.",
            "en": "This file was refused because it could harm the service.",
        },
        "document_zip_too_many_members": {
            "nl": "Het zip-bestand bevat meer dan {maximum} bestanden.",
            "en": "The ZIP file holds more than {maximum} files.",
        },
        "document_zip_too_large": {
            "nl": "Uitgepakt is het zip-bestand groter dan {maximum}.",
            "en": "Unpacked, the ZIP file is larger than {maximum}.",
        },
        "document_zip_ratio": {
            "nl": "Een bestand in het zip-bestand is verdacht sterk ingepakt (meer dan "
            "{maximum} keer).",
            "en": "A file in the ZIP file is suspiciously highly compressed (more than "
            "{maximum} times).",
        },
        "document_zip_unsafe_name": {
            "nl": "Het zip-bestand bevat een bestandsnaam die buiten het zip-bestand kan "
            "wijzen ({name}).",
            "en": "The ZIP file holds a file name that can point outside the ZIP file ({name}).",
        },
        "document_zip_duplicate_name": {
            "nl": "Het zip-bestand bevat twee bestanden met dezelfde naam ({name}).",
            "en": "The ZIP file holds two files with the same name ({name}).",
        },
        "document_zip_link": {
            "nl": "Het zip-bestand bevat een snelkoppeling (symbolische link): {name}.",
            "en": "The ZIP file holds a shortcut (symbolic link): {name}.",
        },
        "document_zip_headers_differ": {
            "nl": "De gegevens in het zip-bestand over {name} spreken elkaar tegen.",
            "en": "The ZIP file contradicts itself about {name}.",
        },
        "document_zip_member_size": {
            "nl": "Uitgepakt is {name} groter dan het zip-bestand opgeeft.",
            "en": "Unpacked, {name} is larger than the ZIP file states.",
        },
        "document_xml_unsafe": {
            "nl": "Het XML-bestand bevat een DTD of entiteiten (<!DOCTYPE …>). Die accepteren we "
            "niet, omdat ze de dienst kunnen schaden.",
            "en": "The XML file contains a DTD or entities (<!DOCTYPE …>). We do not accept "
            "them, as they can harm the service.",
        },
        "document_xml_too_large": {
            "nl": "Het XML-bestand is groter dan {maximum}.",
            "en": "The XML file is larger than {maximum}.",
        },
        "document_xml_too_deep": {
            "nl": "Het XML-bestand is dieper genest dan {maximum} niveaus.",
            "en": "The XML file is nested deeper than {maximum} levels.",
        },
        # InvalidXbrl.
        "xbrl_invalid": {
            "nl": "Het XBRL-bestand is onvolledig.",
            "en": "The XBRL file is incomplete.",
        },
        "xbrl_malformed": {
            "nl": "Het XBRL-bestand is geen geldige XML (regel {line}, kolom {column}).",
            "en": "The XBRL file is not valid XML (line {line}, column {column}).",
        },
        "xbrl_encoding": {
            "nl": "Het XBRL-bestand noemt een tekenset (encoding) die we niet kennen. Sla het op "
            "als UTF-8.",
            "en": "The XBRL file names a character encoding we do not know. Please save it as "
            "UTF-8.",
        },
        "xbrl_root": {
            "nl": "Dit XML-bestand is geen XBRL-instantie: het begint niet met xbrli:xbrl.",
            "en": "This XML file is not an XBRL instance: it does not start with xbrli:xbrl.",
        },
        "xbrl_no_context": {
            "nl": "Het XBRL-bestand bevat geen context (xbrli:context).",
            "en": "The XBRL file contains no context (xbrli:context).",
        },
        "xbrl_no_kvk_identifier": {
            "nl": "Een context in het XBRL-bestand noemt geen KVK-nummer (een xbrli:identifier "
            "met scheme http://www.kvk.nl/kvk-id).",
            "en": "A context in the XBRL file names no KVK number (an xbrli:identifier with "
            "scheme http://www.kvk.nl/kvk-id).",
        },
        "xbrl_period": {
            "nl": "Een context in het XBRL-bestand heeft geen geldige einddatum (xbrli:endDate "
            "of xbrli:instant).",
            "en": "A context in the XBRL file has no valid end date (xbrli:endDate or "
            "xbrli:instant).",
        },
        # XbrlMismatch.
        "xbrl_kvk_mismatch": {
            "nl": "Het XBRL-bestand is van KVK-nummer {found}, niet van {expected}.",
            "en": "The XBRL file is for KVK number {found}, not {expected}.",
        },
        "xbrl_year_end_mismatch": {
            "nl": "Het XBRL-bestand gaat over een boekjaar dat eindigt op {found}, niet op "
            "{expected}.",
            "en": "The XBRL file is about a financial year ending on {found}, not on {expected}.",
        },
    },
)

# ---- the kind of file ----------------------------------------------------------------------

_ZIP_MAGIC = b"PK\x03\x04"
_HEAD = 1024  # PDF readers find `%PDF-` anywhere in the first kilobyte
_CHUNK = 64 * 1024
_MIB = 1024 * 1024


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def inspect_document(
    path: Path,
    *,
    kvk_number: str,
    financial_year_end: date,
    limits: InspectionLimits = InspectionLimits(),
) -> InspectedDocument:
    """Raises one of the domain errors above; never extracts anything to disk."""
    with path.open("rb") as upload:
        kind = _sniff(upload.read(_HEAD))
        if kind is None:
            raise UnsupportedDocumentError(field_path=_DOCUMENT)
        upload.seek(0)
        members: tuple[str, ...] = ()
        if kind is DocumentFormat.PDF:
            _check_pdf(upload)
        elif kind is DocumentFormat.XBRL:
            if os.fstat(upload.fileno()).st_size > limits.max_xml_bytes:
                raise _xml_too_large(limits)
            _check_xbrl(upload, kvk_number, financial_year_end, limits)
        else:
            members = _check_zip(upload, kvk_number, financial_year_end, limits)
    return InspectedDocument(format=kind, content_type=CONTENT_TYPES[kind], members=members)


def _sniff(head: bytes) -> DocumentFormat | None:
    """The kind of file its first bytes say it is; its name and declared type never count.

    XML is told before a `%PDF-` further into the kilobyte: a file that starts as XML is
    parsed as what it says first.
    """
    if head.startswith(_ZIP_MAGIC):
        return DocumentFormat.ZIP
    if head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n").startswith(b"<"):
        return DocumentFormat.XBRL
    if b"%PDF-" in head:
        return DocumentFormat.PDF
    return None


# ---- PDF -----------------------------------------------------------------------------------


def _check_pdf(stream: BinaryIO | io.RawIOBase) -> None:
    """It opens with pypdf, is not encrypted (it is to be published) and has a page."""
    try:
        # A stream, not a path: pypdf would read a whole path into memory.
        reader = PdfReader(stream, strict=False)
        encrypted = reader.is_encrypted
        pages = 0 if encrypted else len(reader.pages)
    except Exception as exc:  # pypdf raises many kinds on a damaged file; each means the same
        raise UnsupportedDocumentError(
            field_path=_DOCUMENT, message_key="document_pdf_unreadable"
        ) from exc
    if encrypted:
        raise UnsupportedDocumentError(field_path=_DOCUMENT, message_key="document_pdf_encrypted")
    if pages < 1:
        raise UnsupportedDocumentError(field_path=_DOCUMENT, message_key="document_pdf_empty")


# ---- XBRL ----------------------------------------------------------------------------------

_XBRLI = "{http://www.xbrl.org/2003/instance}"
_ROOT = _XBRLI + "xbrl"
_CONTEXT = _XBRLI + "context"
_IDENTIFIER = (_CONTEXT, _XBRLI + "entity", _XBRLI + "identifier")
_END_DATE = (_CONTEXT, _XBRLI + "period", _XBRLI + "endDate")
_INSTANT = (_CONTEXT, _XBRLI + "period", _XBRLI + "instant")
_KVK_SCHEME = "http://www.kvk.nl/kvk-id"
# An instance nests a handful of levels (xbrl/context/entity/segment/member, tuples); expat
# keeps every open level, so depth is bounded as well as size.
_MAX_XML_DEPTH = 100
_MAX_VALUE = 256  # characters kept of an identifier or date; longer is wrong anyway
# xs:date or xs:dateTime, with an optional time zone.
_XS_DATE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?"
)


def _check_xbrl(
    stream: _Readable, kvk_number: str, financial_year_end: date, limits: InspectionLimits
) -> None:
    """An xbrli:xbrl root whose every context names `kvk_number` and ends on the year end.

    The parser has no tree builder: `_Contexts` keeps one context's few values at a time,
    so memory stays flat whatever the size of the instance.
    """
    contexts = _Contexts(kvk_number, financial_year_end)
    parser = DefusedXMLParser(
        target=contexts, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    fed = 0
    try:
        while chunk := stream.read(_CHUNK):
            fed += len(chunk)
            if fed > limits.max_xml_bytes:
                raise _xml_too_large(limits)
            parser.feed(chunk)
        parser.close()
    except DefusedXmlException as exc:
        raise UnsafeDocumentError(field_path=_DOCUMENT, message_key="document_xml_unsafe") from exc
    except (KeyError, IndexError):
        raise
    except LookupError as exc:  # the declared encoding is unknown to Python
        raise InvalidXbrlError(field_path=_DOCUMENT, message_key="xbrl_encoding") from exc
    except ParseError as exc:
        # The position only: the message of expat may quote the content.
        line, column = exc.position
        raise InvalidXbrlError(
            field_path=_DOCUMENT, message_key="xbrl_malformed", line=line, column=column
        ) from exc
    if contexts.count == 0:
        raise InvalidXbrlError(field_path=_DOCUMENT, message_key="xbrl_no_context")


class _Contexts:
    """The parser's target: checks each xbrli:context as it ends, keeping nothing else."""

    def __init__(self, kvk_number: str, financial_year_end: date) -> None:
        self.kvk_number = kvk_number
        self.financial_year_end = financial_year_end
        self.count = 0
        self._open: list[str] = []  # the open elements, root first
        self._context: list[str] = []  # the open elements from the current context down
        self._values: dict[tuple[str, ...], tuple[str, str]] = {}  # path -> (scheme, text)
        self._text: list[str] | None = None

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if not self._open and tag != _ROOT:
            raise InvalidXbrlError(field_path=_DOCUMENT, message_key="xbrl_root")
        if len(self._open) >= _MAX_XML_DEPTH:
            raise UnsafeDocumentError(
                field_path=_DOCUMENT, message_key="document_xml_too_deep", maximum=_MAX_XML_DEPTH
            )
        self._open.append(tag)
        if tag == _CONTEXT and not self._context:
            self._context, self._values = [tag], {}
        elif self._context:
            self._context.append(tag)
            path = tuple(self._context)
            if path in (_IDENTIFIER, _END_DATE, _INSTANT) and path not in self._values:
                self._values[path] = (attrib.get("scheme", "").strip(), "")
                self._text = []

    def data(self, text: str) -> None:
        if self._text is not None and sum(map(len, self._text)) < _MAX_VALUE:
            self._text.append(text)

    def end(self, tag: str) -> None:
        self._open.pop()
        if not self._context:
            return
        path = tuple(self._context)
        if self._text is not None and path in self._values:
            scheme, _ = self._values[path]
            self._values[path] = (scheme, "".join(self._text).strip()[:_MAX_VALUE])
            self._text = None
        self._context.pop()
        if not self._context:
            self.count += 1
            self._check_context()

    def close(self) -> None:
        return None

    def _check_context(self) -> None:
        scheme, identifier = self._values.get(_IDENTIFIER, ("", ""))
        if scheme != _KVK_SCHEME:
            raise InvalidXbrlError(field_path=_DOCUMENT, message_key="xbrl_no_kvk_identifier")
        if identifier != self.kvk_number:
            raise XbrlMismatchError(
                field_path=("kvkNumber",), expected=self.kvk_number, found=_shown(identifier)
            )
        _, end = self._values.get(_END_DATE) or self._values.get(_INSTANT) or ("", "")
        day = _period_end(end)
        if day is None:
            raise InvalidXbrlError(field_path=_DOCUMENT, message_key="xbrl_period")
        if day != self.financial_year_end:
            raise XbrlMismatchError(
                field_path=("financialYearEnd",),
                message_key="xbrl_year_end_mismatch",
                expected=self.financial_year_end.isoformat(),
                found=_shown(end),
            )


def _period_end(value: str) -> date | None:
    """The day a period ends on (XBRL 2.1 §4.7.2): a date means the end of that day, so a
    dateTime at midnight ends the day before; None when it is no xs:date(Time)."""
    match = _XS_DATE.fullmatch(value)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction = match.groups()
    on_the_hour = (minute, second) == ("00", "00") and not (fraction or "").strip(".0")
    try:
        ends = date(int(year), int(month), int(day))
        if hour is None or (hour == "24" and on_the_hour):
            return ends
        time(int(hour), int(minute), int(second))  # a real time of day, or ValueError
    except ValueError:
        return None
    return ends - timedelta(days=1) if hour == "00" and on_the_hour else ends


def _shown(value: str) -> str:
    """A value from the file as an error may repeat it: short."""
    return value if len(value) <= 40 else value[:39] + "…"


def _size(limit: int) -> str:
    return f"{limit // _MIB} MB" if limit >= _MIB else f"{limit // 1024} kB"


def _xml_too_large(limits: InspectionLimits) -> UnsafeDocumentError:
    return UnsafeDocumentError(
        field_path=_DOCUMENT,
        message_key="document_xml_too_large",
        maximum=_size(limits.max_xml_bytes),
    )


# ---- ZIP -----------------------------------------------------------------------------------

_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_ENCRYPTED = 0x01 | 0x40  # traditional and strong encryption
_DATA_DESCRIPTOR = 0x08  # sizes and CRC follow the data instead of the local header
_UTF8_NAME = 0x800
_ZIP64_SIZE = 0xFFFFFFFF
_SYMLINK = 0o120000
_DRIVE = re.compile(r"[A-Za-z]:")


def _check_zip(
    upload: BinaryIO, kvk_number: str, financial_year_end: date, limits: InspectionLimits
) -> tuple[str, ...]:
    """The ZIP's structure, then its members' bytes, then their content; its member names."""
    try:
        with zipfile.ZipFile(upload) as archive:
            entries = archive.infolist()
            _check_directory(entries, limits)
            for entry in entries:
                offset = _data_offset(upload, entry)
                if not entry.is_dir():
                    _check_member_stream(upload, entry, offset)
            files = [entry for entry in entries if not entry.is_dir()]
            _check_members(archive, files, kvk_number, financial_year_end, limits)
    # What zipfile and zlib raise on a damaged archive (found by fuzzing too).
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        NotImplementedError,
        struct.error,
        UnicodeDecodeError,
    ) as exc:
        raise UnsupportedDocumentError(
            field_path=_DOCUMENT, message_key="document_zip_unreadable"
        ) from exc
    return tuple(entry.filename for entry in files)


def _check_directory(entries: list[zipfile.ZipInfo], limits: InspectionLimits) -> None:
    """What the central directory declares, before a byte of any member is read."""
    if len(entries) > limits.max_zip_members:
        raise UnsafeDocumentError(
            field_path=_DOCUMENT,
            message_key="document_zip_too_many_members",
            maximum=limits.max_zip_members,
        )
    seen: set[str] = set()
    for entry in entries:
        name = entry.orig_filename  # zipfile's `filename` is cut at a NUL
        if not _is_safe_name(name):
            raise UnsafeDocumentError(
                field_path=_DOCUMENT, message_key="document_zip_unsafe_name", name=_shown(name)
            )
        # Different tools pick different twins, and some file systems fold case.
        if name.casefold() in seen:
            raise UnsafeDocumentError(
                field_path=_DOCUMENT, message_key="document_zip_duplicate_name", name=_shown(name)
            )
        seen.add(name.casefold())
        if (entry.external_attr >> 16) & 0o170000 == _SYMLINK:
            raise UnsafeDocumentError(
                field_path=_DOCUMENT, message_key="document_zip_link", name=_shown(name)
            )
        if entry.flag_bits & _ENCRYPTED:
            raise UnsupportedDocumentError(
                field_path=_DOCUMENT, message_key="document_zip_encrypted"
            )
        # zipfile inflates bzip2 and LZMA a whole input chunk at a time, unbounded: only
        # stored and deflated members can be read within the limits.
        if entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UnsupportedDocumentError(
                field_path=_DOCUMENT, message_key="document_zip_compression"
            )
    if sum(entry.file_size for entry in entries) > limits.max_uncompressed_bytes:
        raise UnsafeDocumentError(
            field_path=_DOCUMENT,
            message_key="document_zip_too_large",
            maximum=_size(limits.max_uncompressed_bytes),
        )
    for entry in entries:
        if entry.file_size > limits.max_compression_ratio * entry.compress_size:
            raise UnsafeDocumentError(
                field_path=_DOCUMENT,
                message_key="document_zip_ratio",
                maximum=limits.max_compression_ratio,
            )


def _is_safe_name(name: str) -> bool:
    """Relative, inside the archive, with forward slashes and printable characters."""
    return not (
        not name
        or name.startswith("/")
        or "\\" in name
        or _DRIVE.match(name)
        or ".." in name.split("/")
        or any(ord(c) < 0x20 or ord(c) == 0x7F for c in name)
    )


def _data_offset(upload: BinaryIO, entry: zipfile.ZipInfo) -> int:
    """Where the member's data starts, once its local header agrees with the directory.

    zipfile reads sizes from the central directory only; a tool that streams the local
    headers would see another archive if they differed.
    """
    if entry.header_offset < 0:  # zipfile shifts offsets by any bytes before the archive
        raise zipfile.BadZipFile("local header before the start of the file")
    upload.seek(entry.header_offset)
    header = upload.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size:
        raise zipfile.BadZipFile("truncated local header")
    (magic, _, flags, method, _, _, crc, compressed, size, name_length, extra_length) = (
        _LOCAL_HEADER.unpack(header)
    )
    raw_name = upload.read(name_length)
    extra = upload.read(extra_length)
    encoding = "utf-8" if entry.flag_bits & _UTF8_NAME else "cp437"
    agrees = (
        magic == _ZIP_MAGIC
        and method == entry.compress_type
        and (flags ^ entry.flag_bits) & _ENCRYPTED == 0
        and raw_name.decode(encoding, errors="replace") == entry.orig_filename
    )
    if agrees and not flags & _DATA_DESCRIPTOR:
        if _ZIP64_SIZE in (compressed, size):
            size, compressed = _zip64_sizes(extra)
        agrees = (crc, compressed, size) == (entry.CRC, entry.compress_size, entry.file_size)
    if not agrees:
        raise UnsafeDocumentError(
            field_path=_DOCUMENT,
            message_key="document_zip_headers_differ",
            name=_shown(entry.orig_filename),
        )
    return entry.header_offset + _LOCAL_HEADER.size + name_length + extra_length


def _zip64_sizes(extra: bytes) -> tuple[int, int]:
    """(size, compressed size) from a local header's ZIP64 field; (-1, -1) without one."""
    while len(extra) >= 4:
        tag, length = struct.unpack_from("<2H", extra)
        if tag == 0x0001 and length >= 16:
            size, compressed = struct.unpack_from("<2Q", extra, 4)
            return size, compressed
        extra = extra[4 + length :]
    return -1, -1


def _check_member_stream(upload: BinaryIO, entry: zipfile.ZipInfo, offset: int) -> None:
    """Inflate the member once, dropping what comes out, and stop at the first byte past its
    declared size: a header may lie, the bytes decide. Its CRC must match too.

    Every member then yields at most what the directory declared, which `_check_directory`
    held to the limits; zipfile itself would cut a longer member short without a word.
    """
    upload.seek(offset)
    left = entry.compress_size
    deflated = entry.compress_type == zipfile.ZIP_DEFLATED
    inflater = zlib.decompressobj(-zlib.MAX_WBITS) if deflated else None
    pending, produced, crc = b"", 0, 0
    while True:
        if not pending:
            pending = upload.read(min(_CHUNK, left)) if left else b""
            left -= len(pending)
            if not pending:
                break
        if inflater is None:
            out, pending = pending, b""
        else:
            out = inflater.decompress(pending, _CHUNK)
            pending = inflater.unconsumed_tail
        produced += len(out)
        if produced > entry.file_size:
            raise UnsafeDocumentError(
                field_path=_DOCUMENT,
                message_key="document_zip_member_size",
                name=_shown(entry.filename),
            )
        crc = zlib.crc32(out, crc)
        if inflater is not None and inflater.eof:
            break
    complete = inflater is None or inflater.eof
    if not complete or produced != entry.file_size or crc != entry.CRC:
        raise zipfile.BadZipFile(f"member {entry.filename!r} is damaged")


def _check_members(
    archive: zipfile.ZipFile,
    files: list[zipfile.ZipInfo],
    kvk_number: str,
    financial_year_end: date,
    limits: InspectionLimits,
) -> None:
    """One XBRL instance and at most one PDF, told by their content, each checked."""
    xbrl: list[zipfile.ZipInfo] = []
    pdfs: list[zipfile.ZipInfo] = []
    for entry in files:
        with archive.open(entry) as member:
            kind = _sniff(member.read(_HEAD))
        if kind is DocumentFormat.ZIP:
            raise UnsupportedDocumentError(
                field_path=_DOCUMENT, message_key="document_zip_nested", name=_shown(entry.filename)
            )
        if kind is None:
            raise UnsupportedDocumentError(
                field_path=_DOCUMENT,
                message_key="document_zip_other_member",
                name=_shown(entry.filename),
            )
        (xbrl if kind is DocumentFormat.XBRL else pdfs).append(entry)
    if len(xbrl) > 1:
        raise UnsupportedDocumentError(field_path=_DOCUMENT, message_key="document_zip_two_xbrl")
    if len(pdfs) > 1:
        raise UnsupportedDocumentError(field_path=_DOCUMENT, message_key="document_zip_two_pdfs")
    if not xbrl:
        raise UnsupportedDocumentError(field_path=_DOCUMENT, message_key="document_zip_no_xbrl")
    if xbrl[0].file_size > limits.max_xml_bytes:
        raise _xml_too_large(limits)
    with archive.open(xbrl[0]) as member:
        _check_xbrl(member, kvk_number, financial_year_end, limits)
    for entry in pdfs:
        with archive.open(entry) as member:
            _check_pdf(_BinaryMember(member))


class _BinaryMember(io.RawIOBase):
    """A ZIP member as the binary stream pypdf expects (zipfile's says its mode is "r")."""

    mode = "rb"

    def __init__(self, member: zipfile.ZipExtFile) -> None:
        self._member = member

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Buffer) -> int:
        view = memoryview(buffer).cast("B")
        data = self._member.read(len(view))
        view[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._member.seek(offset, whence)

    def tell(self) -> int:
        return self._member.tell()
