"""The tests' one way to make people and things: accounts (and the ones every seeded catalog already
has), organizations, API tokens, signed-in browsers, products and access requests, all through the
catalog's own services so that its hooks and rules apply.

The seeded template (tests/conftest.py) creates the accounts of ``SEEDED_ACCOUNTS`` once; every copy
of it has them, with ``PASSWORD``. Tests sign in with ``sign_in``, which starts a session the way a
sign-in does (a session row and the signed cookie) without posting the form: only the tests of
signing in itself post it.
"""

from __future__ import annotations

import json
import re
from base64 import b64encode
from typing import Any

from itsdangerous import TimestampSigner
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from catalog import db
from catalog.accounts import auth, credit_code
from catalog.accounts.models import Organization, User
from catalog.datasets.models import Dataset, DatasetAssessment
from catalog.i18n import LANGUAGE_COOKIE
from catalog.listings.workflow import CHECKLIST
from catalog.middleware import CSRF_COOKIE, SESSION_COOKIE
from catalog.models_base import saved_id
from catalog.permissions import SYSTEM, Actor
from catalog.products import services as products
from catalog.products.models import DataProduct, ProductCreate
from catalog.requests import services as requests

PASSWORD = "淮安数据港-test-2026"

# the seeded provider (an operator with many listed products) and the seeded enterprise that requests
PROVIDER = "sjgyy"
REQUESTER = "sdgyl"

ADMIN = "chief@sjj.cn"  # an administrator of the site, of no organization
REVIEWER = "reviewer@sjj.cn"  # a reviewer of listings, of no organization
OWNER = "owner@provider.cn"  # an owner of PROVIDER
MEMBER = "member@provider.cn"  # a member (not an owner) of PROVIDER
BUYER = "buyer@yunfan.cn"  # a member of REQUESTER, which requests PROVIDER's products
PLAIN = "plain@example.cn"  # an account of no organization and no role

# email -> the roles ``auth.create_user`` takes, with the organization by slug
SEEDED_ACCOUNTS: dict[str, dict[str, Any]] = {
    ADMIN: {"admin": True},
    REVIEWER: {"reviewer": True},
    OWNER: {"organization": PROVIDER, "role": "owner"},
    MEMBER: {"organization": PROVIDER, "role": "member"},
    BUYER: {"organization": REQUESTER, "role": "member"},
    PLAIN: {},
}

_CSRF_FIELD = re.compile(r'name="csrftoken" value="([^"]+)"')


def create_seeded_accounts(session: Session) -> None:
    """The accounts of ``SEEDED_ACCOUNTS``, created by the system as the CLI creates them."""
    for email, roles in SEEDED_ACCOUNTS.items():
        roles = dict(roles)
        slug = roles.pop("organization", None)
        if slug is not None:
            roles["organization_code"] = _organization(session, slug).code
        auth.create_user(session, SYSTEM, email, PASSWORD, **roles)


# --- accounts and organizations -------------------------------------------------------------------
def make_user(engine: Engine, email: str, password: str = PASSWORD, **roles: Any) -> int:
    """A new account (``admin``, ``reviewer``, ``organization_code`` and ``role`` as
    ``auth.create_user`` takes them); its id."""
    with db.session_scope(engine) as session:
        return saved_id(auth.create_user(session, SYSTEM, email, password, **roles))


def user_id(engine: Engine, email: str) -> int:
    with Session(engine) as session:
        return saved_id(session.exec(select(User).where(User.email == email)).one())


def actor(session: Session, email: str, can_write: bool = True) -> Actor:
    """The actor of an account, as its session or token would make it."""
    account = session.exec(select(User).where(User.email == email)).one()
    return auth.actor_for_user(session, account, can_write)


def _organization(session: Session, slug: str) -> Organization:
    return session.exec(select(Organization).where(Organization.slug == slug)).one()


def organization(engine: Engine, slug: str) -> Organization:
    """An organization by its slug."""
    with Session(engine) as session:
        return _organization(session, slug)


def make_organization(engine: Engine, body: str, name: str, kind: str = "enterprise", **fields: Any) -> str:
    """A new organization (not yet verified) whose credit code ends in ``body``; the code."""
    code = credit_code.make("91", "320800", body)
    with db.session_scope(engine) as session:
        session.add(
            Organization(
                slug=fields.pop("slug", f"org-{code.lower()}"), code=code, name=name, kind=kind, **fields
            )
        )
    return code


# --- credentials ----------------------------------------------------------------------------------
def bearer(engine: Engine, email: str, scope: str = "write") -> dict[str, str]:
    """The ``Authorization`` header of a new API token of the account."""
    with db.session_scope(engine) as session:
        secret, _ = auth.create_token(session, actor(session, email), auth.TokenCreate(name="t", scope=scope))
    return {"Authorization": f"Bearer {secret}"}


def sign_in(client: TestClient, email: str, lang: str | None = None) -> TestClient:
    """Sign the client in as the account, as a sign-in leaves a browser: a new session row, the
    session cookie Starlette's ``SessionMiddleware`` would set (``{"user": [id, raw]}``, base64 JSON
    signed with the app's secret key) and no CSRF cookie until the next page; with ``lang``, pages
    come in that language (the language cookie, as ``?lang=`` sets it). No form is posted, so no
    ``account.login`` audit event or last sign-in time is written: the tests of those post the form
    (``log_in_with_form``). The client, for chaining."""
    app = client.app
    engine, settings = app.state.engine, app.state.settings  # type: ignore[attr-defined]
    with db.session_scope(engine) as session:
        account = session.exec(select(User).where(User.email == email)).one()
        raw = auth.start_session(session, saved_id(account))
        session_data = {"user": [saved_id(account), raw]}
    signer = TimestampSigner(str(settings.secret_key))
    value = signer.sign(b64encode(json.dumps(session_data).encode())).decode()
    # the domain the cookie jar gives the app's own cookies, so that theirs replace these
    host = client.base_url.host
    domain = host if "." in host else f"{host}.local"
    client.cookies.set(SESSION_COOKIE, value, domain=domain, path="/")
    client.cookies.delete(CSRF_COOKIE)
    if lang is not None:
        client.cookies.set(LANGUAGE_COOKIE, lang, domain=domain, path="/")
    return client


def log_in_with_form(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    """Post the sign-in form as a browser does (for the tests of signing in itself); the answer,
    not followed (303 when signed in)."""
    return client.post(
        "/login",
        data={"csrftoken": csrf(client, "/login"), "email": email, "password": password},
        follow_redirects=False,
    )


def signed_in(app_client: TestClient, email: str, lang: str | None = None) -> TestClient:
    """A new browser on the same app, signed in as the account."""
    return sign_in(TestClient(app_client.app), email, lang)


def csrf(client: TestClient, path: str) -> str:
    """The CSRF token of the form on ``path`` (the page is fetched, which sets the cookie)."""
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    found = _CSRF_FIELD.search(page.text)
    assert found, f"no CSRF field on {path}"
    return found.group(1)


# --- products and requests ------------------------------------------------------------------------
def listed_product(session: Session, provider: str = PROVIDER) -> DataProduct:
    """The first listed product of the organization."""
    org = _organization(session, provider)
    found = session.exec(
        select(DataProduct)
        .where(DataProduct.status == "listed", DataProduct.provider_id == org.id)
        .order_by(DataProduct.id)  # type: ignore[arg-type]
    ).first()
    assert found is not None, f"{provider} has no listed product"
    return found


def product_body(session: Session, slug: str, **changes: Any) -> dict[str, Any]:
    """The input of a new product: a listed one's of PROVIDER, at ``slug``, with ``changes``."""
    return {**products.product_input(session, listed_product(session)), "slug": slug, **changes}


def make_product(engine: Engine, email: str, slug: str, **changes: Any) -> str:
    """A new draft made by the account (an owner of PROVIDER unless ``changes`` say otherwise)
    through the products service; its slug."""
    with db.session_scope(engine) as session:
        data = ProductCreate.model_validate(product_body(session, slug, **changes))
        detail, _ = products.create_draft(session, actor(session, email), data)
    return detail.id


REQUEST = {
    "purpose": "冷链配送线路优化与运力调度",
    "scenario": "城市冷链配送车辆的线路规划",
    "term_months": 12,
    "expected_volume": "每日约5万次调用",
    "contact": "王晓 13800000000",
    "accept_license": True,
}


def make_request(engine: Engine, email: str, product: str, **changes: Any) -> int:
    """A new access request of the account for the product, through the requests service; its id."""
    with db.session_scope(engine) as session:
        data = requests.RequestCreate.model_validate({**REQUEST, "product_id": product, **changes})
        return requests.create_request(session, actor(session, email), data).id


def count_high_quality(session: Session) -> int:
    """Listed datasets whose latest quality assessment is graded A or B, counted straight from the
    tables: what the datasets target counts."""
    latest = select(func.max(DatasetAssessment.id)).group_by(col(DatasetAssessment.dataset_id))
    return session.exec(
        select(func.count())
        .select_from(DatasetAssessment)
        .join(Dataset, col(Dataset.id) == DatasetAssessment.dataset_id)
        .where(
            Dataset.status == "listed",
            col(DatasetAssessment.id).in_(latest),
            col(DatasetAssessment.grade).in_(("A", "B")),
        )
    ).one()


# a reviewer's approval of a listing or a new version: every item of the review checklist ticked
APPROVAL = {"checklist": dict.fromkeys(CHECKLIST, True)}


def move_product(client: TestClient, who: dict[str, str], slug: str, to: str, **extra: Any) -> Any:
    """A listing step of the product through the API, as ``who`` (a bearer header)."""
    return client.post(f"/api/v1/products/{slug}/transition", json={"to": to, **extra}, headers=who)
