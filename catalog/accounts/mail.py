"""The mail outbox: mails are rows written in the transaction that causes them, then sent by SMTP
when ``CATALOG_SMTP_HOST`` is set (otherwise they wait in the table, where operators can read them).
Reset links are as good as a password, so the connection is encrypted and the server's certificate
checked unless ``CATALOG_SMTP_SECURITY=none`` (for a relay on the same machine)."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from catalog.accounts.models import Membership, OutboxMail, User
from catalog.models_base import utcnow
from catalog.settings import Settings

MAX_ATTEMPTS = 5


def queue(session: Session, to: str, subject: str, body: str) -> OutboxMail:
    """Add a mail to the outbox in the caller's transaction."""
    row = OutboxMail(to=to, subject=subject, body=body)
    session.add(row)
    session.flush()
    return row


def queue_to_owners_and_administrators(
    session: Session, organization_id: int, subject: str, body: str
) -> None:
    """One mail to each active owner of the organization and each active administrator (once each)."""
    owners = session.exec(
        select(User.email)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(
            Membership.organization_id == organization_id,
            Membership.role == "owner",
            User.is_active == True,  # noqa: E712
        )
    ).all()
    admins = session.exec(select(User.email).where(User.is_admin == True, User.is_active == True)).all()  # noqa: E712
    for email in dict.fromkeys([*owners, *admins]):
        queue(session, email, subject, body)


def send_pending(engine: Engine, settings: Settings, limit: int = 50) -> int:
    """Send unsent mails by SMTP; the number sent. Failures are recorded and retried a few times."""
    if not settings.smtp_host:
        return 0
    with Session(engine) as session:
        rows = session.exec(
            select(OutboxMail)
            .where(OutboxMail.sent_at == None, OutboxMail.attempts < MAX_ATTEMPTS)  # noqa: E711
            .order_by(col(OutboxMail.id))
            .limit(limit)
            .with_for_update(skip_locked=True)  # several nodes: each mail is sent by one of them
        ).all()
        if not rows:
            return 0
        try:
            sent = _deliver(rows, settings)
        except (OSError, smtplib.SMTPException) as exc:  # the server is unreachable or refused us
            sent = 0
            for row in rows:
                if row.sent_at is None:
                    row.last_error = f"SMTP {settings.smtp_host}:{settings.smtp_port}: {exc}"[:500]
        session.commit()
    return sent


def _deliver(rows: Sequence[OutboxMail], settings: Settings) -> int:
    """Send ``rows`` over one SMTP connection, recording each outcome; the number sent."""
    sent = 0
    for row in rows:
        row.attempts += 1
    with _connect(settings) as smtp:
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        for row in rows:
            try:
                smtp.send_message(_message(row, settings))
            except smtplib.SMTPException as exc:
                row.last_error = str(exc)[:500]
            else:
                row.sent_at, row.last_error = utcnow(), ""
                sent += 1
    return sent


def _connect(settings: Settings) -> smtplib.SMTP:
    """An SMTP connection with the certificate checked: STARTTLS (required, not merely offered), TLS
    from the start, or ``none`` for a relay on this machine."""
    if settings.smtp_security == "tls":
        return smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=20, context=ssl.create_default_context()
        )
    smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=20)
    if settings.smtp_security == "starttls":
        try:
            smtp.starttls(context=ssl.create_default_context())  # raises when the server does not offer it
        except BaseException:
            smtp.close()
            raise
    return smtp


def _message(row: OutboxMail, settings: Settings) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = row.to
    message["Subject"] = row.subject
    message.set_content(row.body)
    return message
