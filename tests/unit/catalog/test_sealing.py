"""Secrets sealed at rest with a key derived from the service's secret key (``catalog.sealing``)."""

from __future__ import annotations

from catalog.sealing import PREFIX, seal, unseal


def test_what_is_sealed_opens_only_with_the_same_key_and_purpose() -> None:
    sealed = seal("app_key=7f3a 密钥", "key one", "delivery")
    assert sealed.startswith(PREFIX) and "7f3a" not in sealed
    assert seal("app_key=7f3a 密钥", "key one", "delivery") != sealed  # a fresh nonce each time
    assert unseal(sealed, "key one", "delivery") == "app_key=7f3a 密钥"
    assert unseal(sealed, "key two", "delivery") is None
    assert unseal(sealed, "key one", "another purpose") is None
    assert unseal(sealed[:-4] + "AAAA", "key one", "delivery") is None  # altered


def test_text_written_before_sealing_is_read_as_it_is() -> None:
    assert unseal("https://files.example/old", "key one", "delivery") == "https://files.example/old"
