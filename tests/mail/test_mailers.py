"""The mailers against a real SMTP server (aiosmtpd on a loopback port) and a real folder.

Each test starts its own aiosmtpd `Controller` (a server in its own thread) with a handler that
records what arrives, or refuses at a chosen step. Sending returns only after the server has
answered the message data, so the recording is complete by then: no waiting.

The TLS tests use a self-signed certificate made here and trusted through ``SSL_CERT_FILE``
(OpenSSL reads it whenever a default context is built), so the mailer verifies certificates
exactly as it does in production.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import logging
import re
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cpo.ports import Attachment, Mailer, MailNotSent, OutgoingMail
from mail import FolderMailer, SmtpMailer, parse_smtp_url
from mail.smtp import SmtpServer, StartTls

SENDER = "Ladenetz Müller GmbH <quittung@ladenetz.example>"
USER = "quittung@ladenetz.example"
PASSWORD = "p@ss:wörd/%"  # every character a URL must escape
URL_CREDENTIALS = "quittung%40ladenetz.example:p%40ss%3Aw%C3%B6rd%2F%25"
# Not a real PDF, but bytes of every value: any 8-bit mangling on the way would show.
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"

RECEIPT = OutgoingMail(
    to="anna.mueller@example.org",
    subject="Ihre Quittung – Ladevorgang an DE*ABC*E0001*1 (Größe: 12,34 kWh, Grüße)",
    text="Hallo Anna,\n\nvielen Dank fürs Laden. Gesamt: 5,43 €\n\nÄÖÜ äöü ß\n",
    html="<p>Hallo Anna,</p><p>vielen Dank fürs Laden. Gesamt: <b>5,43 €</b></p>\n",
    reply_to="support@ladenetz.example",
    attachments=(Attachment("Quittung Müller 2025-01.pdf", "application/pdf", PDF),),
)
PLAIN = OutgoingMail(to="anna.mueller@example.org", subject="Test", text="Hallo\n")


# --- the SMTP server -------------------------------------------------------------------------


@dataclass
class Delivery:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    tls: bool
    authenticated: bool

    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.content)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Recorder:
    """An aiosmtpd handler that keeps every message; optionally refuses at RCPT or DATA."""

    refuse_at: str | None = None
    reply: str = ""
    require_auth: bool = False
    deliveries: list[Delivery] = field(default_factory=list)

    async def handle_MAIL(  # noqa: N802 (aiosmtpd's hook name)
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        # aiosmtpd's own auth_required=True warns when TLS is not required too, and warnings
        # are errors here; refusing unauthenticated senders ourselves tests the same thing.
        if self.require_auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if self.refuse_at == "RCPT":
            return self.reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        if self.refuse_at == "DATA":
            return self.reply
        assert isinstance(envelope.content, bytes)
        assert envelope.mail_from is not None
        assert server.transport is not None
        self.deliveries.append(
            Delivery(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                content=envelope.content,
                tls=server.transport.get_extra_info("ssl_object") is not None,
                authenticated=bool(session.authenticated),
            )
        )
        return "250 2.0.0 Queued"


@dataclass
class Authenticator:
    attempts: list[tuple[str, bytes, bytes]] = field(default_factory=list)

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.attempts.append((mechanism, auth_data.login, auth_data.password))
        valid = auth_data == (USER.encode(), PASSWORD.encode())
        # handled=False: aiosmtpd answers 235, or 535 for invalid credentials.
        return AuthResult(success=valid, handled=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def smtp_server(handler: Recorder, **options: Any) -> Iterator[int]:
    """An SMTP server on a free loopback port for the duration of the block; yields the port."""
    controller = Controller(
        handler, hostname="127.0.0.1", port=free_port(), server_hostname="mx.test", **options
    )
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def port(recorder: Recorder) -> Iterator[int]:
    with smtp_server(recorder) as port:
        yield port


# --- TLS material -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Certificate:
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1 and localhost."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory = tmp_path_factory.mktemp("tls")
    certificate = Certificate(directory / "cert.pem", directory / "key.pem")
    certificate.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    certificate.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certificate


@pytest.fixture
def trusted(certificate: Certificate, monkeypatch: pytest.MonkeyPatch) -> Certificate:
    """The test certificate, trusted by every default TLS context built during the test."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert_file))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    return certificate


# --- the message ------------------------------------------------------------------------------


async def test_a_receipt_arrives_complete(recorder: Recorder, port: int) -> None:
    mailer: Mailer = SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER)
    await mailer.send(RECEIPT)

    [delivery] = recorder.deliveries
    assert delivery.mail_from == "quittung@ladenetz.example"
    assert delivery.rcpt_tos == ["anna.mueller@example.org"]
    # 7-bit clean on the wire: quoted-printable text, base64 attachment, RFC 2047 headers.
    assert delivery.content.isascii()
    assert re.search(rb"^Subject: .*=\?utf-8\?", delivery.content, re.MULTILINE)

    message = delivery.message()
    assert message["From"].addresses[0].display_name == "Ladenetz Müller GmbH"
    assert message["From"].addresses[0].addr_spec == "quittung@ladenetz.example"
    assert message["To"] == "anna.mueller@example.org"
    assert message["Reply-To"] == "support@ladenetz.example"
    assert message["Subject"] == RECEIPT.subject
    assert message["Auto-Submitted"] == "auto-generated"
    sent_at = message["Date"].datetime
    assert sent_at.utcoffset() == dt.timedelta(0)
    assert abs(dt.datetime.now(dt.UTC) - sent_at) < dt.timedelta(minutes=1)
    assert message["Message-ID"].startswith("<")
    assert message["Message-ID"].endswith("@ladenetz.example>")

    assert message.get_content_type() == "multipart/mixed"
    alternative = next(message.iter_parts())
    assert alternative.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    assert text.get_content_charset() == "utf-8"
    assert text.get_content().replace("\r\n", "\n") == RECEIPT.text
    assert html.get_content().replace("\r\n", "\n") == RECEIPT.html

    [pdf] = message.iter_attachments()
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == "Quittung Müller 2025-01.pdf"
    assert b"filename*=utf-8''Quittung%20M%C3%BCller%202025-01.pdf" in delivery.content
    assert pdf.get_content() == PDF


async def test_a_plain_mail_is_one_text_part(recorder: Recorder, port: int) -> None:
    await SmtpMailer(f"smtp://127.0.0.1:{port}", "quittung@ladenetz.example").send(PLAIN)

    message = recorder.deliveries[0].message()
    assert message.get_content_type() == "text/plain"
    assert message.get_content().replace("\r\n", "\n") == "Hallo\n"
    assert message["Reply-To"] is None
    assert message["From"] == "quittung@ladenetz.example"


async def test_an_internationalised_domain_is_sent_in_ascii(recorder: Recorder, port: int) -> None:
    mail = OutgoingMail(to="anna@müller.example", subject="Test", text="Hallo\n")
    await SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER).send(mail)

    assert recorder.deliveries[0].rcpt_tos == ["anna@xn--mller-kva.example"]
    assert recorder.deliveries[0].message()["To"] == "anna@xn--mller-kva.example"


@pytest.mark.parametrize(
    "mail",
    [
        OutgoingMail(to="anna@example.org\r\nBcc: all@example.org", subject="Hi", text="x"),
        OutgoingMail(to="anna@example.org\nBcc: all@example.org", subject="Hi", text="x"),
        OutgoingMail(to="anna@example.org", subject="Hi\r\nBcc: all@example.org", text="x"),
        OutgoingMail(to="anna@example.org", subject="Hi\u2028Bcc: all@example.org", text="x"),
        OutgoingMail(
            to="anna@example.org", subject="Hi", text="x", reply_to="a@example.org\nBcc: b@x.de"
        ),
        OutgoingMail(
            to="anna@example.org",
            subject="Hi",
            text="x",
            attachments=(Attachment("a.pdf\r\nBcc: all@example.org", "application/pdf", b"x"),),
        ),
        OutgoingMail(
            to="anna@example.org",
            subject="Hi",
            text="x",
            attachments=(Attachment("a.pdf", "application/pdf\r\nBcc: b@x.de", b"x"),),
        ),
    ],
    ids=["to-crlf", "to-lf", "subject", "subject-u2028", "reply-to", "filename", "content-type"],
)
async def test_header_injection_is_refused_before_connecting(
    mail: OutgoingMail, recorder: Recorder, port: int
) -> None:
    with pytest.raises(MailNotSent) as refused:
        await SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER).send(mail)

    assert not refused.value.retryable
    assert recorder.deliveries == []


@pytest.mark.parametrize(
    "to",
    [
        "",
        "anna",
        "anna@",
        "@example.org",
        "anna@localhost",
        "anna@example.org, bob@example.org",
        "Anna <anna@example.org>",
        "anna mueller@example.org",
        "anna..mueller@example.org",
        "jörg@example.org",  # would need SMTPUTF8 on every relay
        "anna@-example.org",
        "a" * 65 + "@example.org",
    ],
)
async def test_an_implausible_recipient_is_refused(to: str, recorder: Recorder, port: int) -> None:
    mail = OutgoingMail(to=to, subject="Hi", text="x")
    with pytest.raises(MailNotSent) as refused:
        await SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER).send(mail)

    assert not refused.value.retryable
    assert recorder.deliveries == []


@pytest.mark.parametrize("sender", ["", "quittung", "a@b.example, c@d.example", "x@y.de\r\nBcc: z"])
def test_an_implausible_sender_stops_the_configuration(sender: str) -> None:
    with pytest.raises(ValueError, match="sender"):
        SmtpMailer("smtp://127.0.0.1:25", sender)
    with pytest.raises(ValueError, match="sender"):
        FolderMailer(Path("unused"), sender=sender)


# --- authentication ---------------------------------------------------------------------------


@pytest.mark.parametrize("mechanism", ["LOGIN", "PLAIN"])
async def test_credentials_from_the_url_authenticate(mechanism: str) -> None:
    recorder = Recorder(require_auth=True)
    authenticator = Authenticator()
    other = {"LOGIN": "PLAIN", "PLAIN": "LOGIN"}[mechanism]
    # aiosmtpd refuses AUTH on a connection without TLS unless auth_require_tls=False; the test
    # server has no certificate here, so it allows AUTH in the clear (the TLS tests below
    # authenticate after STARTTLS with the default, auth_require_tls=True).
    with smtp_server(
        recorder,
        authenticator=authenticator,
        auth_require_tls=False,
        auth_exclude_mechanism=[other],
    ) as port:
        await SmtpMailer(f"smtp://{URL_CREDENTIALS}@127.0.0.1:{port}", SENDER).send(PLAIN)

    assert authenticator.attempts == [(mechanism, USER.encode(), PASSWORD.encode())]
    assert recorder.deliveries[0].authenticated


async def test_wrong_credentials_are_not_retried() -> None:
    recorder = Recorder(require_auth=True)
    # auth_require_tls=False: AUTH without TLS, as in the test above.
    with (
        smtp_server(recorder, authenticator=Authenticator(), auth_require_tls=False) as port,
        pytest.raises(MailNotSent, match="535") as refused,
    ):
        await SmtpMailer(f"smtp://{USER}:wrong@127.0.0.1:{port}", SENDER).send(PLAIN)

    assert not refused.value.retryable
    assert PASSWORD not in str(refused.value)
    assert recorder.deliveries == []


async def test_a_server_that_wants_credentials_refuses_for_good() -> None:
    recorder = Recorder(require_auth=True)
    with (
        smtp_server(recorder, authenticator=Authenticator(), auth_require_tls=False) as port,
        pytest.raises(MailNotSent, match="530") as refused,
    ):
        await SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER).send(PLAIN)

    assert not refused.value.retryable


# --- refusals and failures --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "reply", "retryable"),
    [
        ("RCPT", "550 5.1.1 <anna.mueller@example.org>: Recipient address rejected", False),
        ("RCPT", "451 4.7.1 Greylisted, please try again later", True),
        ("DATA", "554 5.7.1 Message rejected as spam", False),
        ("DATA", "452 4.3.1 Insufficient system storage", True),
    ],
    ids=["rcpt-550", "rcpt-451", "data-554", "data-452"],
)
async def test_server_refusals_map_to_retryable_or_not(
    step: str, reply: str, retryable: bool
) -> None:
    recorder = Recorder(refuse_at=step, reply=reply)
    with smtp_server(recorder) as port, pytest.raises(MailNotSent) as refused:
        await SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER).send(RECEIPT)

    assert refused.value.retryable is retryable
    assert reply in str(refused.value)


async def test_a_refused_connection_is_retryable() -> None:
    mailer = SmtpMailer(f"smtp://127.0.0.1:{free_port()}", SENDER, timeout_s=2)
    with pytest.raises(MailNotSent) as failed:
        await mailer.send(PLAIN)

    assert failed.value.retryable


async def test_a_silent_server_times_out_retryable() -> None:
    disconnected = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # no greeting; wait until the client gives up
        writer.close()
        await writer.wait_closed()
        disconnected.set()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(MailNotSent) as failed:
            await SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER, timeout_s=0.3).send(PLAIN)
        elapsed_s = loop.time() - started
        await asyncio.wait_for(disconnected.wait(), timeout=5)

    assert failed.value.retryable
    assert elapsed_s < 3


# --- TLS --------------------------------------------------------------------------------------


async def test_starttls_is_used_when_offered_and_auth_follows_it(
    trusted: Certificate, recorder: Recorder
) -> None:
    recorder.require_auth = True
    authenticator = Authenticator()
    # Default auth_require_tls=True: AUTH succeeds only after the STARTTLS upgrade.
    with smtp_server(
        recorder, tls_context=trusted.server_context(), authenticator=authenticator
    ) as port:
        await SmtpMailer(f"smtp://{URL_CREDENTIALS}@127.0.0.1:{port}", SENDER).send(RECEIPT)

    [delivery] = recorder.deliveries
    assert delivery.tls
    assert delivery.authenticated
    assert delivery.message()["Subject"] == RECEIPT.subject


async def test_smtps_speaks_tls_from_the_start(trusted: Certificate, recorder: Recorder) -> None:
    with smtp_server(recorder, ssl_context=trusted.server_context()) as port:
        await SmtpMailer(f"smtps://127.0.0.1:{port}", SENDER).send(PLAIN)

    assert recorder.deliveries[0].tls


async def test_required_starttls_refuses_a_plain_server(recorder: Recorder, port: int) -> None:
    mailer = SmtpMailer(f"smtp://127.0.0.1:{port}?starttls=require", SENDER)
    with pytest.raises(MailNotSent, match="STARTTLS") as refused:
        await mailer.send(PLAIN)

    assert not refused.value.retryable
    assert recorder.deliveries == []


async def test_an_untrusted_certificate_stops_the_mail(
    certificate: Certificate, recorder: Recorder
) -> None:
    with (
        smtp_server(recorder, tls_context=certificate.server_context()) as port,
        pytest.raises(MailNotSent, match="certificate") as failed,
    ):
        await SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER, timeout_s=5).send(PLAIN)

    assert failed.value.retryable
    assert recorder.deliveries == []


async def test_starttls_never_keeps_a_relay_plain(
    certificate: Certificate, recorder: Recorder
) -> None:
    # A local relay with a self-signed certificate, as Debian's Postfix ships.
    with smtp_server(recorder, tls_context=certificate.server_context()) as port:
        await SmtpMailer(f"smtp://127.0.0.1:{port}?starttls=never", SENDER).send(PLAIN)

    assert not recorder.deliveries[0].tls


# --- the URL ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            f"smtp://{URL_CREDENTIALS}@mail.example.org:587",
            SmtpServer("mail.example.org", 587, False, StartTls.AUTO, USER, PASSWORD),
        ),
        (
            f"smtp://{URL_CREDENTIALS}@mail.example.org:587?starttls=require",
            SmtpServer("mail.example.org", 587, False, StartTls.REQUIRE, USER, PASSWORD),
        ),
        (
            "smtps://user:secret@mail.example.org",
            SmtpServer("mail.example.org", 465, True, StartTls.AUTO, "user", "secret"),
        ),
        ("smtp://relay.internal", SmtpServer("relay.internal", 25, False, StartTls.AUTO)),
        ("smtp://[::1]:2525/", SmtpServer("::1", 2525, False, StartTls.AUTO)),
        ("smtp://localhost?starttls=never", SmtpServer("localhost", 25, False, StartTls.NEVER)),
    ],
)
def test_smtp_urls(url: str, expected: SmtpServer) -> None:
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://mail.example.org",
        "smtp://",
        "smtp://mail.example.org:port",
        "smtp://mail.example.org/inbox",
        "smtp://mail.example.org?tls=yes",
        "smtp://mail.example.org?starttls=maybe",
        "smtps://mail.example.org?starttls=require",
        "smtp://user@mail.example.org",
    ],
)
def test_invalid_smtp_urls_stop_the_configuration(url: str) -> None:
    with pytest.raises(ValueError, match=r"SMTP URL|starttls"):
        SmtpMailer(url, SENDER)


def test_the_password_stays_out_of_the_representation() -> None:
    mailer = SmtpMailer(f"smtp://{URL_CREDENTIALS}@mail.example.org:587", SENDER)

    assert "wörd" not in repr(mailer)
    assert "p%40ss" not in repr(mailer)
    assert "quittung@ladenetz.example:***@mail.example.org:587" in repr(mailer)


def test_a_timeout_must_be_positive() -> None:
    with pytest.raises(ValueError, match="timeout"):
        SmtpMailer("smtp://127.0.0.1:25", SENDER, timeout_s=0)


# --- the folder -------------------------------------------------------------------------------


def file_names(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


async def test_the_folder_mailer_writes_a_parseable_eml(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    directory = tmp_path / "outbox" / "mail"  # does not exist yet
    mailer: Mailer = FolderMailer(directory, sender=SENDER)
    with caplog.at_level(logging.INFO, logger="mail"):
        await mailer.send(RECEIPT)

    [path] = directory.iterdir()
    assert path.suffix == ".eml"
    stamp, _, recipient = path.stem.partition("-")
    assert recipient == "anna.mueller@example.org"
    written_at = dt.datetime.strptime(stamp, "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=dt.UTC)
    assert abs(dt.datetime.now(dt.UTC) - written_at) < dt.timedelta(minutes=1)
    assert str(path) in caplog.text

    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(message, EmailMessage)
    assert message["Subject"] == RECEIPT.subject
    assert message["To"] == "anna.mueller@example.org"
    assert message["Message-ID"].endswith("@ladenetz.example>")
    [pdf] = message.iter_attachments()
    assert pdf.get_filename() == "Quittung Müller 2025-01.pdf"
    assert pdf.get_content() == PDF


async def test_the_folder_mailer_never_overwrites_and_sanitises_names(tmp_path: Path) -> None:
    mailer = FolderMailer(tmp_path)
    mail = OutgoingMail(to="o'brien+receipts@example.org", subject="Hi", text="x")
    await asyncio.gather(*(mailer.send(mail) for _ in range(5)))

    names = file_names(tmp_path)
    assert len(names) == 5
    assert all("o_brien+receipts@example.org" in name for name in names)
    assert all(name.endswith(".eml") for name in names)


async def test_the_folder_mailer_refuses_what_smtp_would_refuse(tmp_path: Path) -> None:
    mail = OutgoingMail(to="anna@example.org\r\nBcc: all@example.org", subject="Hi", text="x")
    with pytest.raises(MailNotSent) as refused:
        await FolderMailer(tmp_path).send(mail)

    assert not refused.value.retryable
    assert file_names(tmp_path) == []


async def test_an_unwritable_folder_is_retryable(tmp_path: Path) -> None:
    blocked = tmp_path / "outbox"
    blocked.write_text("a file where the folder should be")
    with pytest.raises(MailNotSent) as failed:
        await FolderMailer(blocked).send(PLAIN)

    assert failed.value.retryable
