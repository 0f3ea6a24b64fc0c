"""One settings object, read from ``CATALOG_*`` environment variables (documented in README)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
import os
import secrets
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_IMPLEMENTING_BODY = "sjj"  # the Municipal Data Bureau, in the seed


class SettingsError(ValueError):
    """A setting has a value the service cannot use."""


def _int(env: dict[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _networks(env: dict[str, str], name: str) -> tuple[str, ...]:
    """A comma-separated list of IP addresses and networks (``10.0.0.5, 10.1.0.0/16``), checked."""
    found = []
    for part in (env.get(name) or "").split(","):
        if part.strip():
            try:
                found.append(str(ipaddress.ip_network(part.strip(), strict=False)))
            except ValueError:
                raise SettingsError(
                    f"{name} must list IP addresses or networks, got {part.strip()!r}"
                ) from None
    return tuple(found)


def _seconds(env: dict[str, str], name: str, default: float, minimum: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds like 0.5, got {raw!r}") from None
    if not (math.isfinite(value) and value >= minimum):
        raise SettingsError(f"{name} must be at least {minimum:g}, got {raw!r}")
    return value


def _choice(env: dict[str, str], name: str, choices: tuple[str, ...]) -> str:
    raw = env.get(name) or choices[0]
    if raw not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return raw


def _date(env: dict[str, str], name: str, default: dt.date) -> dt.date:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a date like 2027-12-31, got {raw!r}") from None


def _money(env: dict[str, str], name: str, default: str) -> Decimal:
    raw = env.get(name) or default
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise SettingsError(f"{name} must be an amount in yuan like 1.5, got {raw!r}") from None
    if not value.is_finite() or value < 0:
        raise SettingsError(f"{name} must be an amount of at least 0, got {raw!r}")
    return value


def _path(env: dict[str, str], name: str) -> Path | None:
    value = env.get(name)
    return Path(value).resolve() if value else None


def _secret_key(data_dir: Path) -> str:
    """Read the generated key kept under the data dir, creating it on first use."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


@dataclass(frozen=True)
class Settings:
    """Everything the service can be configured with; build it with :meth:`from_env`."""

    data_dir: Path
    database_url: str
    secret_key: str
    target_products: int = 300
    target_datasets: int = 50
    target_deadline: dt.date = dt.date(2027, 12, 31)
    # the pricing check's caps on industry-use prices, in yuan, per price model
    price_cap_per_call: Decimal = Decimal("1.5")
    price_cap_subscription: Decimal = Decimal("150000")
    price_cap_one_time: Decimal = Decimal("150000")
    price_cap_per_volume: Decimal = Decimal("500")  # per 10,000 records
    default_language: str = "zh"
    # the index writer's look at the ChangeLog: a change made on another node is searchable here after
    # at most this plus the time to apply it (about 0.1 s); the look costs about a millisecond
    index_refresh_seconds: float = 0.5
    search_cache_size: int = 512
    request_answer_days: int = 5  # working days the provider has to answer a request
    request_expiry_days: int = 45  # an access request still undecided this long after it was made expires
    publicity_days: int = 10  # 公示期 in working days between approval and listing; 0 lists on approval
    # the slug of the organization that grants authorizations (实施机构)
    implementing_body: str = DEFAULT_IMPLEMENTING_BODY
    session_hours: int = 12  # a session ends this long after signing in
    login_max_failures: int = 5  # consecutive failed logins that lock an account
    login_lock_minutes: int = 15
    # argon2id's cost: "standard" (argon2-cffi's recommended parameters) or "fast" (the cheapest argon2
    # allows: test runs only; a hash carries its parameters, so each verifies the other's)
    password_hashing: str = "standard"
    reset_link_hours: int = 2
    max_upload_kb: int = 5120  # sample files
    max_body_kb: int = 10240  # request bodies (forms, uploads, API calls)
    base_url: str = "http://127.0.0.1:8000"  # for links in mails
    smtp_host: str = ""  # empty: mails stay in the outbox table
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "noreply@localhost"
    smtp_security: str = "starttls"  # starttls | tls | none (none: a relay on this machine only)
    templates_dir: Path = field(default=PROJECT_ROOT / "templates")
    static_dir: Path = field(default=PROJECT_ROOT / "static")
    seed_dir: Path = field(default=PROJECT_ROOT / "seed")
    # sample files and request attachments; several nodes must share it (default: in the data dir)
    uploads_path: Path | None = None
    # reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (addresses or networks);
    # none by default: a client could otherwise name any address and dodge the per-client limits
    trusted_proxies: tuple[str, ...] = ()

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def uploads_dir(self) -> Path:
        return self.uploads_path or self.data_dir / "uploads"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Read settings from ``env`` (default: the process environment)."""
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("CATALOG_DATA_DIR") or "./var").resolve()
        database_url = env.get("CATALOG_DATABASE_URL") or f"sqlite:///{data_dir / 'catalog.sqlite3'}"
        language = env.get("CATALOG_DEFAULT_LANGUAGE") or "zh"
        if language not in ("zh", "en"):
            raise SettingsError(f"CATALOG_DEFAULT_LANGUAGE must be zh or en, got {language!r}")
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            secret_key=env.get("CATALOG_SECRET_KEY") or _secret_key(data_dir),
            target_products=_int(env, "CATALOG_TARGET_PRODUCTS", 300, minimum=1),
            target_datasets=_int(env, "CATALOG_TARGET_DATASETS", 50, minimum=1),
            target_deadline=_date(env, "CATALOG_TARGET_DEADLINE", dt.date(2027, 12, 31)),
            price_cap_per_call=_money(env, "CATALOG_PRICE_CAP_PER_CALL", "1.5"),
            price_cap_subscription=_money(env, "CATALOG_PRICE_CAP_SUBSCRIPTION", "150000"),
            price_cap_one_time=_money(env, "CATALOG_PRICE_CAP_ONE_TIME", "150000"),
            price_cap_per_volume=_money(env, "CATALOG_PRICE_CAP_PER_VOLUME", "500"),
            default_language=language,
            index_refresh_seconds=_seconds(env, "CATALOG_INDEX_REFRESH_SECONDS", 0.5, minimum=0.05),
            search_cache_size=_int(env, "CATALOG_SEARCH_CACHE_SIZE", 512, minimum=0),
            seed_dir=Path(env.get("CATALOG_SEED_DIR") or PROJECT_ROOT / "seed"),
            uploads_path=_path(env, "CATALOG_UPLOADS_DIR"),
            publicity_days=_int(env, "CATALOG_PUBLICITY_DAYS", 10, minimum=0),
            implementing_body=env.get("CATALOG_IMPLEMENTING_BODY") or DEFAULT_IMPLEMENTING_BODY,
            request_answer_days=_int(env, "CATALOG_REQUEST_ANSWER_DAYS", 5, minimum=1),
            request_expiry_days=_int(env, "CATALOG_REQUEST_EXPIRY_DAYS", 45, minimum=1),
            session_hours=_int(env, "CATALOG_SESSION_HOURS", 12, minimum=1),
            login_max_failures=_int(env, "CATALOG_LOGIN_MAX_FAILURES", 5, minimum=1),
            login_lock_minutes=_int(env, "CATALOG_LOGIN_LOCK_MINUTES", 15, minimum=1),
            password_hashing=_choice(env, "CATALOG_PASSWORD_HASHING", ("standard", "fast")),
            reset_link_hours=_int(env, "CATALOG_RESET_LINK_HOURS", 2, minimum=1),
            max_upload_kb=_int(env, "CATALOG_MAX_UPLOAD_KB", 5120, minimum=1),
            max_body_kb=_int(env, "CATALOG_MAX_BODY_KB", 10240, minimum=16),
            base_url=(env.get("CATALOG_BASE_URL") or "http://127.0.0.1:8000").rstrip("/"),
            smtp_host=env.get("CATALOG_SMTP_HOST", ""),
            smtp_port=_int(env, "CATALOG_SMTP_PORT", 587, minimum=1),
            smtp_user=env.get("CATALOG_SMTP_USER", ""),
            smtp_password=env.get("CATALOG_SMTP_PASSWORD", ""),
            smtp_from=env.get("CATALOG_SMTP_FROM") or "noreply@localhost",
            smtp_security=_choice(env, "CATALOG_SMTP_SECURITY", ("starttls", "tls", "none")),
            trusted_proxies=_networks(env, "CATALOG_TRUSTED_PROXIES"),
        )
