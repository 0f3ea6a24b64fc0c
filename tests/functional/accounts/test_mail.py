"""The mail outbox delivers through a real SMTP server (aiosmtpd on 127.0.0.1) and keeps what it
could not send."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, update
from sqlmodel import Session, select

from catalog import db
from catalog.accounts import auth, mail
from catalog.accounts.models import OutboxMail
from catalog.models_base import utcnow
from catalog.settings import Settings
from tests.conftest import make_settings
from tests.factories import make_user


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


MAILME = "mailme@example.cn"


def queue_reset(engine: Engine, settings: Settings) -> None:
    """A reset mail, alone in the outbox: what the catalog queued before has gone out."""
    make_user(engine, MAILME)
    with db.session_scope(engine) as session:
        session.exec(update(OutboxMail).values(sent_at=utcnow()))
        auth.request_password_reset(session, settings, MAILME)


def test_outbox_mail_is_sent_by_smtp(seeded_settings: Settings, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    env = {
        "CATALOG_SMTP_HOST": "127.0.0.1",
        "CATALOG_SMTP_PORT": str(port),
        "CATALOG_SMTP_FROM": "noreply@sjj.huaian.gov.cn",
    }
    settings = make_settings(seeded_settings.data_dir, **env)
    engine = db.make_engine(settings.database_url)
    queue_reset(engine, settings)
    # this test server offers no STARTTLS: by default a reset link never goes out in the clear
    assert mail.send_pending(engine, settings) == 0 and inbox.messages == []
    with Session(engine) as session:
        assert "STARTTLS" in session.exec(select(OutboxMail).where(OutboxMail.to == MAILME)).one().last_error
    plain = make_settings(seeded_settings.data_dir, **env, CATALOG_SMTP_SECURITY="none")  # a local relay
    assert mail.send_pending(engine, plain) == 1
    assert mail.send_pending(engine, plain) == 0  # sent once
    sender, recipients, content = inbox.messages[0]
    assert sender == "noreply@sjj.huaian.gov.cn" and recipients == [MAILME]
    message = email.message_from_bytes(content, policy=email.policy.default)
    assert "重设密码" in message["Subject"] and "/password-reset/" in message.get_content()
    with Session(engine) as session:
        row = session.exec(select(OutboxMail).where(OutboxMail.to == MAILME)).one()
    assert row.sent_at is not None and row.attempts == 2 and row.last_error == ""


def test_an_unreachable_smtp_server_leaves_the_mail_queued_with_the_error(seeded_settings: Settings) -> None:
    settings = make_settings(
        seeded_settings.data_dir, CATALOG_SMTP_HOST="127.0.0.1", CATALOG_SMTP_PORT=str(free_port())
    )
    engine = db.make_engine(settings.database_url)
    queue_reset(engine, settings)
    assert mail.send_pending(engine, settings) == 0
    with Session(engine) as session:
        row = session.exec(select(OutboxMail).where(OutboxMail.to == MAILME)).one()
    assert row.sent_at is None and row.attempts == 1 and "SMTP 127.0.0.1" in row.last_error
