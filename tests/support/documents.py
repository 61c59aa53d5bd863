"""Annual-report uploads built in the test: good ones, and hostile ones byte by byte.

Nothing here is a committed binary: every PDF, XBRL instance and ZIP is made when a test
asks for it, in milliseconds (a 200 MiB zip bomb included).
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from fpdf import FPDF
from pypdf import PdfWriter

KVK_NUMBER = "12345678"
YEAR_END = date(2024, 12, 31)
KVK_SCHEME = "http://www.kvk.nl/kvk-id"
XBRLI = "http://www.xbrl.org/2003/instance"
MIB = 1024 * 1024


# ---- XBRL and XML --------------------------------------------------------------------------


def xbrl_instance(
    kvk_number: str = KVK_NUMBER,
    *,
    year_end: date = YEAR_END,
    end_date: str | None = None,
    instant: str | None = None,
    scheme: str = KVK_SCHEME,
) -> bytes:
    """A small XBRL instance shaped like a Dutch filing (Nederlandse Taxonomie, micro
    entity): a duration context for the financial year, an instant context at its end, a
    euro unit and three facts.

    `end_date` and `instant` replace the year end (ISO text, so a test can give another
    day, an xs:dateTime or nonsense); `scheme` replaces the KVK identifier scheme of both
    contexts.
    """
    if (year_end.month, year_end.day) == (12, 31):
        start = date(year_end.year, 1, 1)
    else:
        start = year_end.replace(year=year_end.year - 1) + timedelta(days=1)
    end_date = end_date or year_end.isoformat()
    instant = instant or year_end.isoformat()
    entity = (
        "<xbrli:entity>"
        f'<xbrli:identifier scheme="{scheme}">{kvk_number}</xbrli:identifier>'
        "</xbrli:entity>"
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<xbrli:xbrl xmlns:xbrli="{XBRLI}"
    xmlns:link="http://www.xbrl.org/2003/linkbase"
    xmlns:xlink="http://www.w3.org/1999/xlink"
    xmlns:iso4217="http://www.xbrl.org/2003/iso4217"
    xmlns:bw2-i="http://www.nltaxonomie.nl/nt17/jenv/20221214/dictionary/jenv-bw2-data"
    xmlns:bw2-titel9="http://www.nltaxonomie.nl/nt17/jenv/20221214/dictionary/jenv-bw2-axes"
    xml:lang="nl">
  <link:schemaRef xlink:type="simple"
      xlink:href="http://www.nltaxonomie.nl/nt17/kvk/20221214/entrypoints/kvk-rpt-jaarverantwoording-2022-nlgaap-micro.xsd"/>
  <xbrli:context id="FY">
    {entity}
    <xbrli:period>
      <xbrli:startDate>{start.isoformat()}</xbrli:startDate>
      <xbrli:endDate>{end_date}</xbrli:endDate>
    </xbrli:period>
  </xbrli:context>
  <xbrli:context id="FY_end">
    {entity}
    <xbrli:period>
      <xbrli:instant>{instant}</xbrli:instant>
    </xbrli:period>
  </xbrli:context>
  <xbrli:unit id="EUR">
    <xbrli:measure>iso4217:EUR</xbrli:measure>
  </xbrli:unit>
  <bw2-i:DocumentAdoptionStatus contextRef="FY">Ja</bw2-i:DocumentAdoptionStatus>
  <bw2-i:Equity contextRef="FY_end" unitRef="EUR" decimals="0">125000</bw2-i:Equity>
  <bw2-i:NetResult contextRef="FY" unitRef="EUR" decimals="0">18250</bw2-i:NetResult>
</xbrli:xbrl>
""".encode()


def billion_laughs(levels: int = 10) -> bytes:
    """The billion-laughs document: ten entities, each ten of the one before, so the root's
    text would expand to 10**levels "lol"s (3 GB at ten levels) if entities were expanded.
    """
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">' for level in range(1, levels)
    ]
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE xbrli:xbrl [\n  '
        + "\n  ".join(entities)
        + f'\n]>\n<xbrli:xbrl xmlns:xbrli="{XBRLI}">&lol{levels - 1};</xbrli:xbrl>\n'
    ).encode()


def external_entity(system_id: str) -> bytes:
    """An XBRL-looking document whose root text is an external entity naming `system_id`
    (e.g. "file:///etc/passwd"): a parser that resolved it would read that file."""
    return (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE xbrli:xbrl [<!ENTITY secret SYSTEM "{system_id}">]>\n'
        f'<xbrli:xbrl xmlns:xbrli="{XBRLI}">&secret;</xbrli:xbrl>\n'
    ).encode()


# ---- PDF -----------------------------------------------------------------------------------


def pdf_document(text: str = "Jaarrekening 2024", *, password: str | None = None) -> bytes:
    """A one-page PDF (fpdf2) that says `text`; with `password`, encrypted with it
    (pypdf, AES-256) as a protected report would be."""
    pdf = FPDF()
    # A fixed creation date: the same text makes the same bytes, whenever it is made.
    pdf.set_creation_date(datetime(2025, 1, 1, tzinfo=UTC))
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.cell(text=text)
    data = bytes(pdf.output())
    if password is None:
        return data
    writer = PdfWriter(clone_from=io.BytesIO(data))
    writer.encrypt(password, algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def elf_binary() -> bytes:
    """The start of a Linux executable (ELF, x86-64), whatever name it is uploaded under."""
    return b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00" + bytes(1000)


def windows_executable() -> bytes:
    """The start of a Windows executable (MZ header)."""
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(1000)


# ---- ZIP -----------------------------------------------------------------------------------


def zip_archive(members: Mapping[str, bytes]) -> bytes:
    """A ZIP as zipfile writes it (deflated): name -> content; a name ending in "/" is a
    directory."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


@dataclass(frozen=True, slots=True)
class RawMember:
    """One member of `raw_zip`, every header field in the test's hands.

    By default a stored member whose headers tell the truth about `content`. `data` puts
    other bytes in the archive (e.g. a deflate stream, with `method=zipfile.ZIP_DEFLATED`);
    `size`, `local_size` and `crc` make the central directory or the local header lie.
    """

    name: str
    content: bytes = b""
    data: bytes | None = None
    method: int = zipfile.ZIP_STORED
    size: int | None = None  # uncompressed size in the central directory
    local_size: int | None = None  # ... and in the local header (default: `size`)
    crc: int | None = None
    flags: int = 0
    external_attr: int = 0o100644 << 16  # a regular file, rw-r--r--


def raw_zip(members: Iterable[RawMember]) -> bytes:
    """A ZIP written field by field (no data descriptors, no ZIP64), for what zipfile will
    not write: encrypted flags, lying sizes, names it would clean up."""
    out, directory = bytearray(), bytearray()
    count = 0
    for member in members:
        data = member.content if member.data is None else member.data
        size = len(member.content) if member.size is None else member.size
        local_size = size if member.local_size is None else member.local_size
        crc = zlib.crc32(member.content) if member.crc is None else member.crc
        name = member.name.encode()
        flags = member.flags | 0x800  # the name is UTF-8
        header = (20, flags, member.method, 0, 0x21)  # version, flags, method, time, date
        offset = len(out)
        out += struct.pack(
            "<4s5H3L2H", b"PK\x03\x04", *header, crc, len(data), local_size, len(name), 0
        )
        out += name + data
        directory += struct.pack(
            "<4s6H3L5H2L",
            b"PK\x01\x02",
            (3 << 8) | 20,  # made on Unix, so external_attr holds the file mode
            *header,
            crc,
            len(data),
            size,
            len(name),
            0,
            0,
            0,
            0,
            member.external_attr,
            offset,
        )
        directory += name
        count += 1
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(directory), len(out), 0)
    return bytes(out + directory + end)


def deflated(content: bytes) -> bytes:
    """`content` as a raw deflate stream, as it stands in a ZIP."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return squeeze.compress(content) + squeeze.flush()


def deflated_zeros(mebibytes: int, *, then: bytes = b"") -> bytes:
    """A raw deflate stream of `mebibytes` MiB of zeros, about 1 kB per MiB, built by
    repeating one compressed MiB (a full flush makes each copy stand alone), so a bomb
    costs milliseconds to make. `then` is appended instead of the stream's last block:
    garbage there shows whether a reader went past where it should have stopped."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = squeeze.compress(bytes(MIB)) + squeeze.flush(zlib.Z_FULL_FLUSH)
    return block * mebibytes + (then or squeeze.flush())


def zeros_crc(mebibytes: int) -> int:
    crc, block = 0, bytes(MIB)
    for _ in range(mebibytes):
        crc = zlib.crc32(block, crc)
    return crc


def zip_bomb(mebibytes: int = 200, *, name: str = "report.xbrl") -> bytes:
    """A ZIP of about mebibytes kB whose one member inflates to `mebibytes` MiB of zeros;
    its headers tell the truth, so the directory alone gives it away."""
    member = RawMember(
        name,
        data=deflated_zeros(mebibytes),
        method=zipfile.ZIP_DEFLATED,
        size=mebibytes * MIB,
        crc=zeros_crc(mebibytes),
    )
    return raw_zip([member])
