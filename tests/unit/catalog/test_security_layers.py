"""The security middleware on its own: the CSRF layer tells bad requests from application errors,
and throttles count per client (IPv6 per /64 network)."""

from __future__ import annotations

import asyncio

import pytest

from catalog.accounts.throttle import Throttle, client_key
from catalog.middleware import CSRF


def run(app, method: str, headers: list[tuple[bytes, bytes]], body: bytes = b"") -> list[dict]:
    sent: list[dict] = []
    scope = {"type": "http", "method": method, "path": "/x", "headers": headers}
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


async def failing_app(scope, receive, send) -> None:
    raise KeyError("a bug in a route")


async def ok_app(scope, receive, send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def test_an_application_error_is_not_turned_into_a_400() -> None:
    with pytest.raises(KeyError):
        run(CSRF(failing_app, secret="s" * 32), "GET", [])


def test_a_multipart_body_without_a_readable_token_is_refused() -> None:
    headers = [(b"cookie", b"a=b"), (b"content-type", b"multipart/form-data")]  # no boundary
    sent = run(CSRF(ok_app, secret="s" * 32), "POST", headers, b"x")
    assert sent[0]["status"] == 403


def test_a_multipart_upload_passes_with_the_cookie_token_and_fails_with_another() -> None:
    from itsdangerous.url_safe import URLSafeSerializer

    secret = "s" * 32
    token = URLSafeSerializer(secret).dumps("random-value", "csrftoken")
    body_for = lambda value: (  # noqa: E731
        b'--XyZ\r\nContent-Disposition: form-data; name="sample"; filename="a.csv"\r\n\r\na,b\n1,2\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="csrftoken"\r\n\r\n'
        + value.encode()
        + b"\r\n--XyZ--\r\n"
    )
    headers = [
        (b"cookie", b"csrftoken=" + token.encode()),
        (b"content-type", b"multipart/form-data; boundary=XyZ"),
    ]
    assert run(CSRF(ok_app, secret=secret), "POST", headers, body_for(token))[0]["status"] == 200
    assert run(CSRF(ok_app, secret=secret), "POST", headers, body_for("forged"))[0]["status"] == 403


def test_unreadable_cookies_are_ignored_when_reading_and_refused_when_writing() -> None:
    app = CSRF(ok_app, secret="s" * 32)
    assert run(app, "GET", [(b"cookie", b"a=\xff")])[0]["status"] == 200
    assert run(app, "POST", [(b"cookie", b"a=\xff")])[0]["status"] == 400


def test_throttle_counts_attempts_and_gives_back_good_ones() -> None:
    throttle = Throttle(limit=2, window=60)
    first = throttle.acquire("c")
    assert first is not None and throttle.acquire("c") is not None
    assert throttle.acquire("c") is None
    throttle.release("c", first)
    assert throttle.acquire("c") is not None
    assert throttle.acquire("other") is not None


def test_ipv6_clients_are_counted_per_network() -> None:
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert client_key("203.0.113.9") == "203.0.113.9"
    assert client_key("::ffff:203.0.113.9") == "203.0.113.9"
    assert client_key(None) == "unknown"
