"""Password hashing: the standard cost is argon2-cffi's recommended one; the test suite's cheap cost
is a setting that hashes nothing a real service keeps."""

from argon2 import PasswordHasher
from argon2.profiles import RFC_9106_LOW_MEMORY

from catalog.accounts import auth
from catalog.settings import Settings


def test_the_standard_cost_is_argon2s_recommended_one() -> None:
    standard = auth.HASHING["standard"]
    assert (standard["time_cost"], standard["memory_cost"], standard["parallelism"]) == (3, 65536, 4)
    recommended = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)
    assert (recommended.time_cost, recommended.memory_cost, recommended.parallelism) == (3, 65536, 4)


def test_a_service_hashes_at_the_standard_cost_unless_told_otherwise(tmp_path) -> None:
    assert Settings.from_env({"CATALOG_DATA_DIR": str(tmp_path)}).password_hashing == "standard"


def test_each_cost_verifies_the_others_hashes() -> None:
    try:
        auth.use_password_hashing("standard")
        standard = auth.hash_password("correct horse battery")
        assert standard.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        auth.use_password_hashing("fast")
        fast = auth.hash_password("correct horse battery")
        assert fast.startswith("$argon2id$v=19$m=8,t=1,p=1$")
        assert auth.hasher().verify(standard, "correct horse battery")
        auth.use_password_hashing("standard")
        assert auth.hasher().verify(fast, "correct horse battery")
    finally:
        auth.use_password_hashing("fast")  # the suite's cost, as tests/conftest.py sets it
