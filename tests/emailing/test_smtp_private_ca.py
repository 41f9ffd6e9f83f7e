"""A relay whose certificate comes from a private CA: trusted through SSL_CERT_FILE."""

import datetime
import ipaddress
import ssl

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from emailing.messages import send_message
from emailing.models import EmailLog
from tests.fakes.smtp_server import Inbox, free_port

pytestmark = pytest.mark.django_db


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _mint(tmp_path):
    """Mint a private CA and a certificate for 127.0.0.1 signed by it; return PEM paths."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Hygate test private CA"))
        .issuer_name(_name("Hygate test private CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("relay.internal"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = {name: tmp_path / f"{name}.pem" for name in ("ca", "cert", "key")}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths["cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


@pytest.fixture
def private_ca_relay(tmp_path, settings):
    """A STARTTLS relay on loopback whose certificate a private CA signed; no login."""
    paths = _mint(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(paths["cert"], paths["key"])
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=server_tls)
    controller.start()
    settings.EMAIL_PROVIDER = "smtp"
    settings.SMTP_HOST = "127.0.0.1"
    settings.SMTP_PORT = port
    settings.SMTP_SECURITY = "starttls"
    settings.SMTP_USERNAME = settings.SMTP_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield inbox, paths["ca"]
    controller.stop()


def test_a_private_ca_is_refused_until_ssl_cert_file_names_it(private_ca_relay, monkeypatch):
    inbox, ca_file = private_ca_relay
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)

    refused = send_message("verification_code", "someone@example.com", {"code": "1"})

    assert not refused.sent and refused.error_code == "connection_failed"
    assert "CERTIFICATE_VERIFY_FAILED" in EmailLog.objects.get().error_message
    assert inbox.messages == []

    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    trusted = send_message("verification_code", "someone@example.com", {"code": "2"})

    assert trusted.sent
    assert len(inbox.messages) == 1
