"""ISO 20022 XML read safely: what kind of bank file it is, and its message id.

The parser is defusedxml's (expat without DTDs, entities or external references, so it
never reaches the network or the disk), fed a file of bounded size into a tree of bounded
depth and element count. The kind is told by the root's namespace alone
(`urn:iso:std:iso:20022:tech:xsd:pain.002.001.10`), never by the file's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from gql.models.bank_files import BankFileKind
from gql.services.bank_files import texts  # noqa: F401  (registers texts)
from gql.services.filings.inspection import UnsafeDocumentError
from gql.services.shared.errors import DomainError

#: A bank's report on thousands of transactions fits well within these.
MAX_BYTES = 20 * 1024 * 1024
MAX_DEPTH = 40  # ISO 20022 messages nest about 12 levels
MAX_ELEMENTS = 500_000
_FEED = 64 * 1024
_FIELD = ("file",)

_NAMESPACE = re.compile(r"\{urn:iso:std:iso:20022:tech:xsd:((pain|camt)\.\d{3}\.\d{3}\.\d{2})\}")
_KINDS = {
    "pain.001": BankFileKind.PAIN_001,
    "pain.008": BankFileKind.PAIN_008,
    "pain.002": BankFileKind.PAIN_002,
    "camt.054": BankFileKind.CAMT_054,
}
#: The message element under Document, per kind.
_MESSAGE = {
    BankFileKind.PAIN_001: "CstmrCdtTrfInitn",
    BankFileKind.PAIN_008: "CstmrDrctDbtInitn",
    BankFileKind.PAIN_002: "CstmrPmtStsRpt",
    BankFileKind.CAMT_054: "BkToCstmrDbtCdtNtfctn",
}


class UnsupportedBankFileError(DomainError):
    """Give the situation's text as `message_key`; the default is an unknown kind of file."""

    description = (
        "The file is no bank file the service imports: not well-formed XML, or no ISO 20022 "
        "status report (pain.002) or debit/credit notification (camt.054)."
    )
    code_description = "UnsupportedBankFile: the file is no pain.002 or camt.054 message."
    message_key = "bank_file_unsupported"


@dataclass(frozen=True, slots=True)
class BankDocument:
    """A parsed ISO 20022 message: its name (`pain.002.001.10`), kind and root element."""

    message_name: str
    kind: BankFileKind
    root: Element

    @property
    def namespace(self) -> str:
        return f"urn:iso:std:iso:20022:tech:xsd:{self.message_name}"

    @property
    def message(self) -> Element | None:
        """The message element (CstmrPmtStsRpt, ...) under Document."""
        return self.root.find(self.tag(_MESSAGE[self.kind]))

    @property
    def message_id(self) -> str:
        """GrpHdr/MsgId, or "" when missing."""
        message = self.message
        return "" if message is None else self.text(message, "GrpHdr", "MsgId")

    def tag(self, name: str) -> str:
        return f"{{{self.namespace}}}{name}"

    def path(self, *names: str) -> str:
        return "/".join(self.tag(name) for name in names)

    def find(self, element: Element, *names: str) -> Element | None:
        return element.find(self.path(*names))

    def findall(self, element: Element, *names: str) -> list[Element]:
        return element.findall(self.path(*names))

    def text(self, element: Element, *names: str) -> str:
        """The stripped text of the first element at that path below `element`, or ""."""
        found = element.find(self.path(*names))
        return (found.text or "").strip() if found is not None else ""


def parse(data: bytes) -> BankDocument:
    """The message in `data`, or UnsupportedBankFileError / UnsafeDocumentError."""
    if len(data) > MAX_BYTES:
        raise UnsafeDocumentError(
            field_path=_FIELD,
            message_key="document_xml_too_large",
            maximum=f"{MAX_BYTES // (1024 * 1024)} MB",
        )
    builder = _BoundedTree()
    parser = DefusedXMLParser(
        target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    try:
        for start in range(0, len(data), _FEED):
            parser.feed(data[start : start + _FEED])
        root = parser.close()
    except DefusedXmlException as exc:
        raise UnsafeDocumentError(field_path=_FIELD, message_key="document_xml_unsafe") from exc
    except LookupError as exc:  # the declared encoding is unknown to Python
        raise UnsupportedBankFileError(field_path=_FIELD, message_key="bank_file_encoding") from exc
    except ParseError as exc:
        # The position only: expat's message may quote the content.
        line, column = exc.position
        raise UnsupportedBankFileError(
            field_path=_FIELD, message_key="bank_file_malformed", line=line, column=column
        ) from exc
    found = _NAMESPACE.fullmatch(root.tag.removesuffix("Document"))
    if found is None or not root.tag.endswith("}Document"):
        raise UnsupportedBankFileError(field_path=_FIELD)
    kind = _KINDS.get(found.group(1)[:8])
    if kind is None:
        raise UnsupportedBankFileError(field_path=_FIELD)
    return BankDocument(message_name=found.group(1), kind=kind, root=root)


class _BoundedTree(TreeBuilder):
    """A tree builder that refuses a document nested too deep or with too many elements."""

    def __init__(self) -> None:
        super().__init__()
        self._depth = 0
        self._count = 0

    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        self._depth += 1
        self._count += 1
        if self._depth > MAX_DEPTH:
            raise UnsafeDocumentError(
                field_path=_FIELD, message_key="document_xml_too_deep", maximum=MAX_DEPTH
            )
        if self._count > MAX_ELEMENTS:
            raise UnsafeDocumentError(
                field_path=_FIELD, message_key="bank_file_too_many_elements", maximum=MAX_ELEMENTS
            )
        return super().start(tag, attrs)

    def end(self, tag: str) -> Element:
        self._depth -= 1
        return super().end(tag)
