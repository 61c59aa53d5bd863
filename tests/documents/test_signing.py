"""The register's seal (SPEC §3.2): the digitally certified extract carries a PAdES
signature that validates against the seal certificate, and fails once a byte changes."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pypdf import PdfReader

from gql.documents.products import ProductCode
from gql.documents.render import render_product
from gql.documents.signing import (
    SealCredentials,
    SealError,
    development_seal,
    load_seal,
    sign_pdf,
    validate_signed_pdf,
)
from tests.support.documents import pdf_document
from tests.support.products import EXTRACTED_AT, product_document


@pytest.fixture(scope="module")
def sealed_extract(seal: SealCredentials) -> bytes:
    document = product_document(ProductCode.CERTIFIED_EXTRACT_DIGITAL)
    return render_product(document, seal=seal).content


def test_the_digitally_certified_extract_validates_against_the_seal_certificate(
    seal: SealCredentials, sealed_extract: bytes
) -> None:
    # then
    assert validate_signed_pdf(sealed_extract, seal.certificate, now=EXTRACTED_AT)
    (signature,) = PdfFileReader(io.BytesIO(sealed_extract)).embedded_signatures
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert signature.self_reported_timestamp == EXTRACTED_AT
    assert "2026-000042" in signature.sig_object["/Reason"]


def test_the_sealed_extract_still_reads_as_an_extract(sealed_extract: bytes) -> None:
    # when
    text = text_of(sealed_extract)
    # then
    assert "Digitaal gewaarmerkt uittreksel" in text
    assert "KVK-nummer 12345678" in text
    assert "elektronische zegel" in text


def test_changing_one_signed_byte_makes_validation_fail(
    seal: SealCredentials, sealed_extract: bytes
) -> None:
    # given: the page's width, 595.28, becomes 495.28 (or 695.28), inside the signed range
    found = re.search(rb"/MediaBox \[0 0 (\d)", sealed_extract)
    assert found is not None
    offset = found.start(1)
    assert offset < _signed_range_end_of_first_part(sealed_extract)
    new_digit = b"4" if sealed_extract[offset : offset + 1] != b"4" else b"6"
    tampered = sealed_extract[:offset] + new_digit + sealed_extract[offset + 1 :]
    # then
    assert not validate_signed_pdf(tampered, seal.certificate, now=EXTRACTED_AT)


@pytest.mark.parametrize("appended", [b"\n", b"%%EOF\n", b"1 0 obj\n(more)\nendobj\n"])
def test_bytes_appended_after_signing_make_validation_fail(
    seal: SealCredentials, sealed_extract: bytes, appended: bytes
) -> None:
    # then: pyHanko alone calls such a file intact (the signed revision is), but the seal
    # must cover the entire file
    assert not validate_signed_pdf(sealed_extract + appended, seal.certificate, now=EXTRACTED_AT)


def test_a_seal_from_another_certificate_is_not_trusted(
    sealed_extract: bytes, tmp_path: Path
) -> None:
    # given: another development certificate with the very same subject
    other = development_seal(tmp_path, now=EXTRACTED_AT)
    # then
    assert not validate_signed_pdf(sealed_extract, other.certificate, now=EXTRACTED_AT)


def test_an_unsigned_pdf_does_not_validate(seal: SealCredentials) -> None:
    # then
    assert not validate_signed_pdf(pdf_document(), seal.certificate, now=EXTRACTED_AT)
    assert not validate_signed_pdf(b"not a pdf", seal.certificate, now=EXTRACTED_AT)


def test_the_development_seal_is_made_once_and_reused(tmp_path: Path) -> None:
    # given
    first = development_seal(tmp_path, now=EXTRACTED_AT)
    # when: asked again, a day later
    second = development_seal(tmp_path, now=EXTRACTED_AT + timedelta(days=1))
    # then
    assert second.fingerprint == first.fingerprint
    key_file = tmp_path / "seal" / "seal-key.pem"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "seal").stat().st_mode & 0o777 == 0o700


def test_the_development_certificate_names_the_register_and_may_seal(
    seal: SealCredentials,
) -> None:
    # given
    certificate = seal.certificate
    subject = certificate.subject
    # then
    (common_name,) = subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    assert common_name.value == "Kamer van Koophandel Handelsregister (ontwikkelcertificaat)"
    (organisation,) = subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    assert organisation.value == "Kamer van Koophandel"
    (country,) = subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)
    assert country.value == "NL"
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    assert not usage.key_cert_sign
    assert certificate.not_valid_after_utc - EXTRACTED_AT > timedelta(days=4 * 365)


def test_a_production_seal_loads_from_pem_files_with_a_key_password(
    seal: SealCredentials, tmp_path: Path
) -> None:
    # given: the certificate and a password-protected key, as an operator would provide them
    cert_path, key_path = tmp_path / "seal.crt", tmp_path / "seal.key"
    cert_path.write_bytes(seal.certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        seal.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"geheim wachtwoord"),
        )
    )
    # when
    loaded = load_seal(cert_path, key_path, "geheim wachtwoord")
    signed = sign_pdf(
        pdf_document(), loaded, reason="Test", location="Utrecht, NL", now=EXTRACTED_AT
    )
    # then
    assert loaded.fingerprint == seal.fingerprint
    assert loaded.chain == ()
    assert validate_signed_pdf(signed, seal.certificate, now=EXTRACTED_AT)


def test_a_key_that_is_not_the_certificates_is_refused(
    seal: SealCredentials, tmp_path: Path
) -> None:
    # given: the certificate of one development seal and the key of another
    other = development_seal(tmp_path / "other", now=EXTRACTED_AT)
    cert_path = tmp_path / "seal.crt"
    cert_path.write_bytes(seal.certificate.public_bytes(serialization.Encoding.PEM))
    # then
    with pytest.raises(SealError, match="not the key"):
        load_seal(cert_path, tmp_path / "other" / "seal" / "seal-key.pem")
    assert other.fingerprint != seal.fingerprint


def test_a_wrong_key_password_is_refused(seal: SealCredentials, tmp_path: Path) -> None:
    # given
    cert_path, key_path = tmp_path / "seal.crt", tmp_path / "seal.key"
    cert_path.write_bytes(seal.certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        seal.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"juist"),
        )
    )
    # then
    with pytest.raises(SealError):
        load_seal(cert_path, key_path, "onjuist")


def text_of(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def _signed_range_end_of_first_part(content: bytes) -> int:
    """Where the first signed byte range ends (the signature's /Contents begin there)."""
    found = re.search(rb"/ByteRange \[\s*(\d+)\s+(\d+)", content)
    assert found is not None
    start, length = int(found.group(1)), int(found.group(2))
    return start + length
