"""The register's seal on a PDF: a PAdES baseline B-B signature made with pyHanko.

B-B (no timestamp, no revocation data) because signing must never wait on the network: no
timestamp authority, no OCSP or CRL fetch. The seal is a certificate chain and its private
key from PEM files in production (`load_seal`), or a self-signed development certificate
made once per data folder (`development_seal`).

pyHanko's `sign_pdf` and `validate_pdf_signature` run their own event loop
(`asyncio.run`), so from async code call these functions with `asyncio.to_thread`; the
work is CPU-bound anyway.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.signers.pdf_signer import PdfSigningSession
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from gql.private_files import create_once, private_dir

SealKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

DEVELOPMENT_SUBJECT = x509.Name(
    [
        x509.NameAttribute(
            NameOID.COMMON_NAME, "Kamer van Koophandel Handelsregister (ontwikkelcertificaat)"
        ),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Kamer van Koophandel"),
        # ETSI EN 319 412-1: a legal person's identifier, here the KVK's own KVK number.
        x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, "NTRNL-59581883"),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"),
    ]
)
DEVELOPMENT_VALIDITY = timedelta(days=5 * 365)
_CERTIFICATE_FILE = "seal-certificate.pem"
_KEY_FILE = "seal-key.pem"
_FIELD_NAME = "Zegel"


class SealError(ValueError):
    """The seal's files cannot be used: unreadable, mismatched, or not valid now."""


@dataclass(frozen=True, slots=True)
class SealCredentials:
    """The seal certificate, the certificates that issued it (nearest first) and its key."""

    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    private_key: SealKey

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the certificate, in hex: how an operator recognises the seal."""
        return self.certificate.fingerprint(hashes.SHA256()).hex()


def load_seal(cert_path: Path, key_path: Path, key_password: str | None = None) -> SealCredentials:
    """The seal from PEM files: the certificate first, then its issuers; the key matching it."""
    try:
        certificates = x509.load_pem_x509_certificates(cert_path.read_bytes())
        password = key_password.encode() if key_password is not None else None
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=password)
    except (OSError, ValueError, TypeError) as exc:
        raise SealError(f"cannot read the seal: {exc}") from None
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise SealError(f"{key_path}: the seal key must be RSA or EC")
    certificate, *chain = certificates
    if _public_der(key.public_key()) != _public_der(certificate.public_key()):
        raise SealError(f"{key_path} is not the key of the certificate in {cert_path}")
    return SealCredentials(certificate=certificate, chain=tuple(chain), private_key=key)


def development_seal(data_dir: Path, *, now: datetime) -> SealCredentials:
    """A self-signed seal for development, made once in `data_dir/seal/` and reused after.

    The key is made first and the certificate for whichever key is on disk, each with
    `create_once`: two processes starting at once end up with one matching pair.
    """
    folder = private_dir(data_dir / "seal")
    key_path, cert_path = folder / _KEY_FILE, folder / _CERTIFICATE_FILE
    if not key_path.exists():
        new_key = ec.generate_private_key(ec.SECP256R1())
        pem = new_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        create_once(key_path, pem.decode("ascii"))
    if not cert_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise SealError(f"{key_path} is not a development seal key; remove the folder")
        certificate = _self_signed(key, now=now)
        create_once(cert_path, certificate.public_bytes(serialization.Encoding.PEM).decode())
    seal = load_seal(cert_path, key_path)
    if not seal.certificate.not_valid_before_utc <= now <= seal.certificate.not_valid_after_utc:
        raise SealError(
            f"the development seal in {folder} is not valid at {now}; remove the folder"
        )
    return seal


def sign_pdf(
    pdf: bytes, seal: SealCredentials, *, reason: str, location: str, now: datetime
) -> bytes:
    """The PDF with the seal's PAdES B-B signature (SHA-256, invisible) appended, signed at `now`."""
    signer = signers.SimpleSigner(
        signing_cert=_asn1_certificate(seal.certificate),
        signing_key=load_private_key_from_pemder_data(
            seal.private_key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
            passphrase=None,
        ),
        cert_registry=SimpleCertificateStore.from_certs(
            [_asn1_certificate(issuer) for issuer in seal.chain]
        ),
    )
    metadata = signers.PdfSignatureMetadata(
        field_name=_FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
        signer_key_usage={"non_repudiation"},
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    output = _PdfSignerAt(metadata, signer, moment=now).sign_pdf(writer)
    return bytes(output.getvalue())


def validate_signed_pdf(
    pdf: bytes, trust: x509.Certificate, *, now: datetime | None = None
) -> bool:
    """Whether the PDF carries exactly one seal that is intact, valid and trusted by `trust`,
    and that covers the whole file (nothing was changed or added after signing).

    Offline: no revocation data is fetched. `now` is the moment to validate at (default:
    the current time).
    """
    context = ValidationContext(
        trust_roots=[_asn1_certificate(trust)],
        moment=now,
        allow_fetching=False,
    )
    try:
        signatures = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
        if len(signatures) != 1:
            return False
        status = validate_pdf_signature(
            signatures[0],
            signer_validation_context=context,
            key_usage_settings=KeyUsageConstraints(key_usage={"non_repudiation"}),
        )
    except Exception:  # pyHanko raises many kinds on a damaged file; each means "not valid"
        return False
    return (
        status.intact
        and status.valid
        and status.trusted
        and status.coverage == SignatureCoverageLevel.ENTIRE_FILE
        and status.modification_level == ModificationLevel.NONE
        and status.bottom_line
    )


class _PdfSignerAt(signers.PdfSigner):
    """A PdfSigner that writes `moment` as the signing time instead of the system clock.

    PAdES puts the claimed signing time only in the signature dictionary's /M, which
    pyHanko takes from the session's `system_time`; the public API has no parameter for it.
    """

    def __init__(
        self, metadata: signers.PdfSignatureMetadata, signer: signers.Signer, *, moment: datetime
    ) -> None:
        super().__init__(metadata, signer)
        self._moment = moment

    def init_signing_session(
        self, pdf_out: BasePdfFileWriter, existing_fields_only: bool = False
    ) -> PdfSigningSession:
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        session.system_time = self._moment
        return session


def _self_signed(key: ec.EllipticCurvePrivateKey, *, now: datetime) -> x509.Certificate:
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(DEVELOPMENT_SUBJECT)
        .issuer_name(DEVELOPMENT_SUBJECT)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + DEVELOPMENT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # nonRepudiation
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def _asn1_certificate(certificate: x509.Certificate) -> Any:
    # pyHanko takes asn1crypto certificates; its own loader converts them.
    (converted,) = load_certs_from_pemder_data(certificate.public_bytes(serialization.Encoding.DER))
    return converted


def _public_der(key: object) -> bytes:
    assert isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey)
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
