"""Forwarded headers are believed only from the proxies ``CATALOG_TRUSTED_PROXIES`` names (issue 18,
point 7): by default a client that rotates X-Forwarded-For is still one client to the per-client
limits. Against ``catalog serve``, as uvicorn runs it."""

from __future__ import annotations

import re
from pathlib import Path

import httpx2 as httpx
import pytest

from catalog.settings import Settings, SettingsError
from tests.conftest import catalog_env
from tests.functional.serving import start_server

RESET_LIMIT = 5  # password-reset requests per client and quarter of an hour (app.state.reset_throttle)


def reset_requests(url: str, forwarded: list[str]) -> list[int]:
    """The statuses of a password-reset request from each of the ``forwarded`` addresses in turn."""
    statuses = []
    with httpx.Client(base_url=url) as client:
        page = client.get("/password-reset")
        token = re.search(r'name="csrftoken" value="([^"]+)"', page.text)
        assert token, page.text[:500]
        for address in forwarded:
            answer = client.post(
                "/password-reset",
                data={"csrftoken": token.group(1), "email": "nobody@example.cn"},
                headers={"x-forwarded-for": address},
            )
            statuses.append(answer.status_code)
    return statuses


@pytest.mark.slow
def test_forwarded_addresses_count_only_from_a_configured_proxy(
    seeded_settings: Settings, tmp_path: Path
) -> None:
    rotating = [f"203.0.113.{n}" for n in range(1, RESET_LIMIT + 3)]
    for trusted, limited in (("", True), ("127.0.0.1", False)):
        server = start_server(
            {**catalog_env(seeded_settings), "CATALOG_TRUSTED_PROXIES": trusted}, tmp_path / "log"
        )
        try:
            statuses = reset_requests(server.url, rotating)
        finally:
            server.stop()
        assert (429 in statuses) is limited, (trusted, statuses)
        assert statuses[:RESET_LIMIT] == [200] * RESET_LIMIT


@pytest.mark.parametrize("value", ["proxy.example.cn", "10.0.0.300", "10.0.0.0/40"])
def test_a_trusted_proxy_is_an_address_or_a_network(value: str) -> None:
    with pytest.raises(SettingsError, match="CATALOG_TRUSTED_PROXIES"):
        Settings.from_env({"CATALOG_TRUSTED_PROXIES": value})
    assert Settings.from_env({"CATALOG_TRUSTED_PROXIES": " 10.0.0.5, 10.1.0.0/16"}).trusted_proxies == (
        "10.0.0.5/32",
        "10.1.0.0/16",
    )
