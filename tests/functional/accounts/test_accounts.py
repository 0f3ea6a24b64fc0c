"""Accounts and security over HTTP, as an outsider would try them: sign-in, lockout, CSRF, sessions,
tokens, escaping, limits and the audit log. Each test has its own copy of the seeded catalog."""

from __future__ import annotations

import datetime as dt
import json
import re
from base64 import b64decode
from concurrent.futures import ThreadPoolExecutor

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from catalog import db
from catalog.accounts import auth, credit_code
from catalog.accounts import services as accounts
from catalog.accounts.models import ApiToken, Organization, OutboxMail, User, UserSession
from catalog.app import create_app
from catalog.audit.models import AuditEvent
from catalog.errors import CatalogError, Forbidden
from catalog.middleware import CSRF_COOKIE, SESSION_COOKIE
from catalog.permissions import SYSTEM
from catalog.settings import Settings
from tests.conftest import catalog_env, make_settings
from tests.factories import (
    ADMIN,
    BUYER,
    PASSWORD,
    PLAIN,
    REVIEWER,
    actor,
    bearer,
    csrf,
    log_in_with_form,
    make_organization,
    make_user,
    sign_in,
    signed_in,
)

SCRIPT = "<script>alert('x')</script>"


@pytest.fixture
def app_settings(seeded_settings: Settings) -> Settings:
    return make_settings(seeded_settings.data_dir, CATALOG_LOGIN_MAX_FAILURES="3")


def events(seeded_engine: Engine, action: str) -> list[AuditEvent]:
    with Session(seeded_engine) as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)))


def new_code(body: str) -> str:
    return credit_code.make("91", "320800", body)


# --- registration and sign-in ---------------------------------------------------------------------
@pytest.mark.both_backends
def test_registration_creates_an_unverified_enterprise_owned_by_its_user(
    web: TestClient, seeded_engine: Engine
) -> None:
    token = csrf(web, "/register")
    code = new_code("MA1XYE12")
    answer = web.post(
        "/register",
        data={
            "csrftoken": token,
            "organization_name": "淮安云帆数据科技有限公司",
            "credit_code": code,
            "contact_name": "王晓",
            "contact_phone": "0517-83600000",
            "email": "Wang@YunFan.cn",
            "password": PASSWORD,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 200 and "wang@yunfan.cn" in answer.text  # look in the mailbox
    assert web.get("/account", follow_redirects=False).status_code == 303  # not signed in yet
    assert log_in_with_form(TestClient(web.app), "wang@yunfan.cn").status_code == 401  # nor can sign in
    with Session(seeded_engine) as session:
        org = session.exec(select(Organization).where(Organization.code == code)).one()
        user = session.exec(select(User).where(User.email == "wang@yunfan.cn")).one()
    assert org.kind == "enterprise" and not org.verified and not user.is_active
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash  # type: ignore[union-attr]
    assert events(seeded_engine, "account.register")

    link = registration_link(seeded_engine, "wang@yunfan.cn")
    opened = web.get(link, follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"].startswith("/account")
    account = web.get("/account")
    assert "wang@yunfan.cn" in account.text and "淮安云帆数据科技有限公司" in account.text
    assert events(seeded_engine, "account.confirm")
    again = TestClient(web.app).get(link)  # the link works once
    assert again.status_code == 422 and "链接已失效" in again.text


def registration_link(engine: Engine, address: str) -> str:
    """The path of the registration link mailed to ``address`` last."""
    with Session(engine) as session:
        body = session.exec(
            select(OutboxMail.body).where(OutboxMail.to == address).order_by(col(OutboxMail.id).desc())
        ).first()
    found = re.search(r"https?://[^/\s]+(/register/\S+)", body or "")
    assert found, body
    return found.group(1)


def test_registration_answers_the_same_whether_the_address_or_the_code_has_an_account(
    web: TestClient, seeded_engine: Engine
) -> None:
    """The form tells nothing; the mail to the address says what follows."""
    taken_code = new_code("MA1XYE14")
    make_organization(seeded_engine, "MA1XYE14", "淮安已注册科技有限公司")
    cases = {
        "new": ("new@startup.cn", new_code("MA1XYE15")),
        "address taken": (BUYER, new_code("MA1XYE16")),
        "code taken": ("other@startup.cn", taken_code),
    }
    pages = {}
    for case, (address, code) in cases.items():
        data = {
            "csrftoken": csrf(web, "/register"),
            "organization_name": "淮安星辰科技有限公司",
            "credit_code": code,
            "contact_name": "李雷",
            "contact_phone": "0517-83600001",
            "email": address,
            "password": PASSWORD,
        }
        answer = web.post("/register", data=data, follow_redirects=False)
        pages[case] = (answer.status_code, answer.text.replace(address, "<address>"))
    assert pages["new"] == pages["address taken"] == pages["code taken"]
    with Session(seeded_engine) as session:
        mails = {m.to: m.body for m in session.exec(select(OutboxMail))}
    assert "/register/" in mails["new@startup.cn"]
    assert "已有账号" in mails[BUYER] and "/register/" not in mails[BUYER]
    assert "请联系该单位的账号负责人" in mails["other@startup.cn"]


def test_a_self_registered_organization_is_marked_unverified_wherever_it_is_shown_until_verified(
    web: TestClient, seeded_engine: Engine
) -> None:
    slug = "org-" + make_organization(seeded_engine, "MA1XYE13", "淮安星河数据服务有限公司").lower()
    zh = {"accept-language": "zh"}

    def marks() -> dict[str, object]:
        listed = web.get("/organizations", params={"kind": "enterprise", "per_page": 100}, headers=zh).text
        row = next(line for line in listed.splitlines() if "淮安星河数据服务有限公司" in line)
        ckan = web.get("/api/3/action/organization_show", params={"id": slug}).json()["result"]
        return {
            "list": "机构尚未核验" in row,
            "page": "机构尚未核验" in web.get(f"/organizations/{slug}", headers=zh).text,
            "api": web.get(f"/api/v1/organizations/{slug}").json()["verified"],
            "ckan": ckan["approval_status"],
        }

    assert marks() == {"list": True, "page": True, "api": False, "ckan": "pending"}
    with db.session_scope(seeded_engine) as session:
        accounts.change_standing(
            session, actor(session, ADMIN), slug, accounts.StandingChange(action="verify")
        )
    assert marks() == {"list": False, "page": False, "api": True, "ckan": "approved"}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("credit_code", "91320800MA1XYE1200", "不是有效的统一社会信用代码"),  # wrong check digit
        ("email", "not-an-address", "格式不正确"),
        ("password", "1234567890123", "不能全是数字"),
        ("organization_name", "", "此项必填"),
    ],
)
def test_invalid_registration_answers_the_form_with_a_message_on_the_field(
    web: TestClient, seeded_engine: Engine, field: str, value: str, message: str
) -> None:
    data = {
        "organization_name": "淮安某某科技有限公司",
        "credit_code": new_code("MA1XYF34"),
        "contact_name": "李明",
        "contact_phone": "13800000000",
        "email": "li@example.cn",
        "password": PASSWORD,
        field: value,
    }
    answer = web.post("/register", data={"csrftoken": csrf(web, "/register"), **data})
    assert answer.status_code == 422
    assert re.search(rf'id="f-{field}-error">[^<]*{message}', answer.text), answer.text
    assert 'aria-invalid="true"' in answer.text
    with Session(seeded_engine) as session:  # nothing half-written
        assert session.exec(select(User).where(User.email == "li@example.cn")).first() is None


def test_sign_in_and_out_and_a_copied_cookie_dies_with_the_session(
    web: TestClient, seeded_engine: Engine
) -> None:
    make_user(seeded_engine, "reader@example.cn")
    answer = log_in_with_form(web, "reader@example.cn")
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]  # type: ignore[attr-defined]
    assert "session=" in cookie and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "reader@example.cn" in web.get("/").text
    copied = web.cookies.get("session")
    token = csrf(web, "/account")
    assert web.post("/logout", data={"csrftoken": token}, follow_redirects=False).status_code == 303
    assert web.get("/account", follow_redirects=False).headers["location"].startswith("/login")
    thief = TestClient(web.app)
    thief.cookies.set("session", copied)  # the cookie as it was before signing out
    assert thief.get("/api/v1/me").status_code == 401
    assert events(seeded_engine, "account.login") and events(seeded_engine, "account.logout")


def test_the_tests_session_sign_in_leaves_what_the_form_leaves(
    web: TestClient, seeded_engine: Engine
) -> None:
    """factories.sign_in, which every test but these signs in with, stays what a real sign-in does:
    the same session contents, a session row, no CSRF cookie, and the same account behind it."""

    def session_of(client: TestClient) -> dict[str, object]:
        signer = TimestampSigner(str(web.app.state.settings.secret_key))  # type: ignore[attr-defined]
        return json.loads(b64decode(signer.unsign(client.cookies[SESSION_COOKIE])))  # type: ignore[no-any-return]

    form = TestClient(web.app)
    assert log_in_with_form(form, PLAIN).status_code == 303
    row = signed_in(web, PLAIN)
    by_form, by_row = session_of(form), session_of(row)
    assert by_form.keys() == by_row.keys() == {"user"}
    assert by_form["user"][0] == by_row["user"][0]  # type: ignore[index]
    assert CSRF_COOKIE not in form.cookies and CSRF_COOKIE not in row.cookies
    with Session(seeded_engine) as session:
        assert len(session.exec(select(UserSession).where(UserSession.ended_at == None)).all()) == 2  # noqa: E711
    assert form.get("/api/v1/me").json() == row.get("/api/v1/me").json()


def test_the_next_address_after_sign_in_stays_on_this_site(web: TestClient, seeded_engine: Engine) -> None:
    make_user(seeded_engine, "next@example.cn")
    token = csrf(web, "/login")
    answer = web.post(
        "/login",
        data={
            "csrftoken": token,
            "email": "next@example.cn",
            "password": PASSWORD,
            "next": "//evil.example/x",
        },
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/account"


def locked_until(seeded_engine: Engine, email: str) -> object:
    with Session(seeded_engine) as session:
        return session.exec(select(User.locked_until).where(User.email == email)).one()


@pytest.mark.both_backends
def test_repeated_bad_sign_ins_lock_the_account(web: TestClient, seeded_engine: Engine) -> None:
    make_user(seeded_engine, "target@example.cn")
    for _ in range(3):  # CATALOG_LOGIN_MAX_FAILURES=3 in these tests
        wrong = log_in_with_form(web, "target@example.cn", "wrong password!")
        assert wrong.status_code == 401
        assert "电子邮箱或密码错误" in wrong.text  # type: ignore[attr-defined]
    assert locked_until(seeded_engine, "target@example.cn") is not None
    locked = log_in_with_form(web, "target@example.cn")  # even the right password is refused now
    assert locked.status_code == 401 and "session=" not in locked.headers.get("set-cookie", "")  # type: ignore[attr-defined]
    assert len(events(seeded_engine, "account.locked")) == 1


@pytest.mark.both_backends
def test_parallel_bad_sign_ins_are_all_counted(web: TestClient, seeded_engine: Engine) -> None:
    """Guesses sent at once must not overwrite each other's failure counts (and so dodge the lock)."""
    make_user(seeded_engine, "raced@example.cn")
    clients = [TestClient(web.app) for _ in range(3)]
    tokens = [csrf(c, "/login") for c in clients]

    def guess(n: int) -> int:
        data = {"csrftoken": tokens[n], "email": "raced@example.cn", "password": f"guess number {n}"}
        return clients[n].post("/login", data=data).status_code

    with ThreadPoolExecutor(3) as pool:
        assert list(pool.map(guess, range(3))) == [401, 401, 401]
    assert locked_until(seeded_engine, "raced@example.cn") is not None


def test_tries_are_taken_before_passwords_are_checked(app_settings: Settings, seeded_engine: Engine) -> None:
    """However many guesses are in flight at once, only the account's tries get a password check:
    the right password in the fourth parallel guess does not sign in (the limit is 3 here)."""
    make_user(seeded_engine, "burst@example.cn")
    attempts = []
    for _ in range(4):  # four sign-ins reach the database before any of them is answered
        with db.session_scope(seeded_engine) as session:
            attempts.append(auth.reserve_attempt(session, app_settings, "burst@example.cn"))
    assert [a.password_hash is not None for a in attempts] == [True, True, True, False]
    assert not auth.check_password(attempts[3], PASSWORD)  # not even checked
    with db.session_scope(seeded_engine) as session:
        wrong = [auth.finish_sign_in(session, app_settings, a, False, "x") for a in attempts[:3]]
    assert all(isinstance(w, CatalogError) for w in wrong)
    assert locked_until(seeded_engine, "burst@example.cn") is not None
    assert len(events(seeded_engine, "account.locked")) == 1


def test_signing_in_as_someone_else_ends_the_first_session(web: TestClient, seeded_engine: Engine) -> None:
    make_user(seeded_engine, "first@example.cn")
    make_user(seeded_engine, "second@example.cn")
    log_in_with_form(web, "first@example.cn")
    first = web.cookies.get("session")
    log_in_with_form(web, "second@example.cn")
    other = TestClient(web.app)
    other.cookies.set("session", first)
    assert other.get("/api/v1/me").status_code == 401
    assert web.get("/api/v1/me").json()["email"] == "second@example.cn"


def test_registrations_from_one_client_are_limited(web: TestClient) -> None:
    limit = web.app.state.register_throttle.limit  # type: ignore[attr-defined]
    token = csrf(web, "/register")
    for _ in range(limit):
        assert (
            web.post("/register", data={"csrftoken": token, "email": "probe@example.cn"}).status_code == 422
        )
    assert web.post("/register", data={"csrftoken": token, "email": "probe@example.cn"}).status_code == 429


def test_every_failure_gets_the_same_answer(web: TestClient, seeded_engine: Engine) -> None:
    make_user(seeded_engine, "known@example.cn")
    make_user(seeded_engine, "gone@example.cn")
    with db.session_scope(seeded_engine) as session:
        auth.set_roles(session, SYSTEM, "gone@example.cn", active=False)
    answers = [
        log_in_with_form(TestClient(web.app), "nobody@example.cn", "some password!"),
        log_in_with_form(TestClient(web.app), "known@example.cn", "some password!"),
        log_in_with_form(TestClient(web.app), "gone@example.cn"),  # disabled, right password
    ]
    texts = {re.sub(r'value="[^"]*"', "", a.text) for a in answers}  # type: ignore[attr-defined]
    assert {a.status_code for a in answers} == {401} and len(texts) == 1  # type: ignore[attr-defined]


def test_one_client_cannot_guess_across_many_accounts(web: TestClient, seeded_engine: Engine) -> None:
    limit = web.app.state.login_throttle.limit  # type: ignore[attr-defined]
    token = csrf(web, "/login")
    for n in range(limit):
        data = {"csrftoken": token, "email": f"user{n}@example.cn", "password": "guessing123"}
        assert web.post("/login", data=data).status_code == 401
    make_user(seeded_engine, "real@example.cn")
    refused = web.post("/login", data={"csrftoken": token, "email": "real@example.cn", "password": PASSWORD})
    assert refused.status_code == 429 and "次数过多" in refused.text
    elsewhere = TestClient(web.app, client=("10.0.0.9", 5000))
    assert log_in_with_form(elsewhere, "real@example.cn").status_code == 303


def test_forms_without_or_with_a_forged_csrf_token_are_refused(
    web: TestClient, seeded_engine: Engine
) -> None:
    make_user(seeded_engine, "csrf@example.cn")
    assert log_in_with_form(web, "csrf@example.cn").status_code == 303
    for data in ({}, {"csrftoken": "forged.token"}):
        answer = web.post(
            "/account/password", data={**data, "current_password": PASSWORD, "new_password": "x" * 12}
        )
        assert answer.status_code == 403 and "CSRF" in answer.text
    assert web.post("/login", data={"email": "csrf@example.cn", "password": PASSWORD}).status_code == 403
    # the password is unchanged: signing in with it still works
    fresh = TestClient(web.app)
    assert log_in_with_form(fresh, "csrf@example.cn").status_code == 303


@pytest.mark.both_backends
def test_a_password_change_ends_the_other_sessions_and_revokes_the_api_tokens(
    web: TestClient, seeded_engine: Engine
) -> None:
    make_user(seeded_engine, "two@example.cn")
    other = TestClient(web.app)
    log_in_with_form(web, "two@example.cn")
    log_in_with_form(other, "two@example.cn")
    api = bearer(seeded_engine, "two@example.cn")
    assert web.get("/api/v1/me", headers=api).status_code == 200
    token = csrf(web, "/account")
    changed = web.post(
        "/account/password",
        data={"csrftoken": token, "current_password": PASSWORD, "new_password": "a new password 2027"},
        follow_redirects=False,
    )
    assert changed.status_code == 303
    page = web.get(changed.headers["location"], headers={"accept-language": "zh"})
    assert page.status_code == 200 and "API 令牌已全部吊销" in page.text  # this session goes on, and says so
    assert other.get("/account", follow_redirects=False).status_code == 303  # the other one is over
    refused = TestClient(web.app).get("/api/v1/me", headers=api)
    assert refused.status_code == 401 and "revoked" in refused.json()["error"]["message"]
    (event,) = events(seeded_engine, "account.password_change")
    assert event.summary == "password changed; 1 API tokens revoked"


def test_a_session_ends_hours_after_sign_in(
    web: TestClient, app_settings: Settings, seeded_engine: Engine
) -> None:
    make_user(seeded_engine, "old@example.cn")
    log_in_with_form(web, "old@example.cn")
    assert web.get("/account").status_code == 200
    with db.session_scope(seeded_engine) as session:
        (row,) = session.exec(select(UserSession)).all()
        row.created_at = row.created_at - dt.timedelta(hours=app_settings.session_hours, minutes=1)
    assert web.get("/account", follow_redirects=False).status_code == 303


def test_malformed_requests_answer_400_not_500(web: TestClient, seeded_engine: Engine) -> None:
    make_user(seeded_engine, "odd@example.cn")
    sign_in(web, "odd@example.cn")
    cookie = "; ".join(f"{k}={v}" for k, v in web.cookies.items()).encode()
    raw = TestClient(web.app)
    cases = [
        ("GET", "/", [(b"cookie", b"a=\xff\xfe")], b""),
        ("POST", "/account/password", [(b"cookie", cookie), (b"content-type", b"multipart/form-data")], b"x"),
        (
            "POST",
            "/account/password",
            [(b"cookie", cookie), (b"content-type", b"application/x-www-form-urlencoded")],
            b"csrftoken=\xff\xfe",
        ),
    ]
    for method, path, headers, body in cases:
        answer = raw.request(method, path, headers=headers, content=body)
        assert answer.status_code in ((200, 400) if method == "GET" else (400, 403)), (
            path,
            answer.status_code,
        )
    revoke = web.post(f"/account/tokens/{2**64}/revoke", data={"csrftoken": csrf(web, "/account")})
    assert revoke.status_code == 404


def test_security_headers_allow_no_other_origin(web: TestClient) -> None:
    for path in ("/", "/products", "/login", "/api/v1/products", "/no-such-page"):
        headers = web.get(path).headers
        policy = headers["content-security-policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "http" not in policy and "unsafe-inline" not in policy
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"


def test_cookies_are_secure_over_https(app_settings: Settings, seeded_engine: Engine) -> None:
    make_user(seeded_engine, "tls@example.cn")
    with TestClient(create_app(app_settings), base_url="https://testserver") as client:
        answer = log_in_with_form(client, "tls@example.cn")
    assert "secure" in answer.headers["set-cookie"].lower()  # type: ignore[attr-defined]
    assert "strict-transport-security" in answer.headers  # type: ignore[attr-defined]


def test_a_body_over_the_limit_answers_413(web: TestClient) -> None:
    big = b"x" * (web.app.state.settings.max_body_kb * 1024 + 1)  # type: ignore[attr-defined]
    answer = web.post("/api/v1/tokens", content=big, headers={"content-type": "application/json"})
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "too_large"


# --- API tokens -----------------------------------------------------------------------------------
def create_token_on_page(client: TestClient, scope: str) -> str:
    token = csrf(client, "/account")
    page = client.post(
        "/account/tokens", data={"csrftoken": token, "name": f"{scope} script", "scope": scope, "days": "30"}
    )
    found = re.search(r'id="new-token">([^<]+)<', page.text)
    assert found, page.text
    return found.group(1)


@pytest.mark.both_backends
def test_tokens_are_shown_once_stored_hashed_and_revocable(web: TestClient, seeded_engine: Engine) -> None:
    make_user(seeded_engine, "script@example.cn")
    sign_in(web, "script@example.cn")
    secret = create_token_on_page(web, "read")
    assert secret not in web.get("/account").text  # shown once
    with Session(seeded_engine) as session:
        stored = session.exec(select(ApiToken)).one()
    assert secret not in stored.token_hash and stored.token_hash == auth._digest(secret)
    api = TestClient(web.app)
    bearer = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/v1/me", headers=bearer).json()["email"] == "script@example.cn"
    token = csrf(web, "/account")
    web.post(f"/account/tokens/{stored.id}/revoke", data={"csrftoken": token})
    refused = api.get("/api/v1/me", headers=bearer)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
    assert events(seeded_engine, "token.create") and events(seeded_engine, "token.revoke")


def test_writes_need_a_token_with_the_write_scope(web: TestClient, seeded_engine: Engine) -> None:
    make_user(seeded_engine, "scoped@example.cn")
    sign_in(web, "scoped@example.cn")
    read, write, spare = (create_token_on_page(web, scope) for scope in ("read", "write", "read"))
    with Session(seeded_engine) as session:
        spare_id = session.exec(select(ApiToken.id).where(ApiToken.token_hash == auth._digest(spare))).one()
    api = TestClient(web.app)
    path = f"/api/v1/tokens/{spare_id}"
    assert api.delete(path).status_code == 401
    forbidden = api.delete(path, headers={"Authorization": f"Bearer {read}"})
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "forbidden"
    assert api.delete(path, headers={"Authorization": f"Bearer {write}"}).status_code == 200
    # a token, even a write token, cannot mint more tokens or change the password
    minted = api.post(
        "/api/v1/tokens",
        json={"name": "more", "scope": "write"},
        headers={"Authorization": f"Bearer {write}"},
    )
    assert minted.status_code == 403
    changed = api.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "taken over 12345"},
        headers={"Authorization": f"Bearer {write}"},
    )
    assert changed.status_code == 403
    assert log_in_with_form(TestClient(web.app), "scoped@example.cn").status_code == 303
    assert api.get("/api/v1/me", headers={"Authorization": "Bearer hdp_made-up"}).status_code == 401
    assert api.get("/api/v1/me", headers={"Authorization": "Bearer "}).status_code == 401
    # another scheme (a proxy's Basic auth) is not ours: the caller is anonymous, pages still work
    assert api.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401
    assert api.get("/products", headers={"Authorization": "Basic abc"}).status_code == 200


def test_signed_in_scripts_create_tokens_with_the_csrf_header(web: TestClient, seeded_engine: Engine) -> None:
    make_user(seeded_engine, "browser@example.cn")
    sign_in(web, "browser@example.cn")
    body = {"name": "", "scope": "admin"}
    assert web.post("/api/v1/tokens", json=body).status_code == 403  # no CSRF header
    headers = {"x-csrftoken": csrf(web, "/account")}
    invalid = web.post("/api/v1/tokens", json=body, headers=headers)
    assert invalid.status_code == 422 and set(invalid.json()["error"]["fields"]) == {"name", "scope"}
    created = web.post("/api/v1/tokens", json={"name": "nightly", "scope": "read"}, headers=headers)
    assert created.status_code == 201 and created.json()["token"].startswith("hdp_")
    assert web.get("/account").headers["cache-control"] == "private, no-store"


@pytest.mark.both_backends
def test_the_cli_creates_the_first_administrator_and_a_token(app_settings: Settings) -> None:
    from click.testing import CliRunner

    from catalog.cli import main

    env = catalog_env(app_settings)
    runner = CliRunner()
    made = runner.invoke(
        main, ["user", "create", "chief@sjj.huaian.gov.cn", "--password", PASSWORD, "--admin"], env=env
    )
    assert made.exit_code == 0, made.output
    printed = runner.invoke(main, ["token", "create", "chief@sjj.huaian.gov.cn", "--scope", "read"], env=env)
    assert printed.exit_code == 0, printed.output
    secret = printed.output.strip()
    with TestClient(create_app(app_settings)) as api:
        me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).json()
        assert me["is_admin"] is True
        assert api.get("/api/v1/audit", headers={"Authorization": f"Bearer {secret}"}).json()["total"] >= 2
    roles = runner.invoke(main, ["user", "roles", "chief@sjj.huaian.gov.cn", "--reviewer"], env=env)
    assert roles.exit_code == 0 and json.loads(roles.output)["is_reviewer"] is True
    weak = runner.invoke(main, ["user", "create", "weak@example.cn", "--password", "123"], env=env)
    assert weak.exit_code != 0 and "password" in weak.output


# --- password reset -------------------------------------------------------------------------------
def test_a_mailed_reset_link_sets_a_new_password_once(web: TestClient, seeded_engine: Engine) -> None:
    make_user(seeded_engine, "forgot@example.cn")
    log_in_with_form(holder := TestClient(web.app), "forgot@example.cn")  # someone who has the account
    held_token = create_token_on_page(holder, "read")
    sent = web.post(
        "/password-reset", data={"csrftoken": csrf(web, "/password-reset"), "email": "forgot@example.cn"}
    )
    assert sent.status_code == 200 and "已发送" in sent.text
    nobody = web.post(
        "/password-reset", data={"csrftoken": csrf(web, "/password-reset"), "email": "no@example.cn"}
    )
    assert nobody.text.count("已发送") == sent.text.count("已发送")  # the same answer for unknown addresses
    with Session(seeded_engine) as session:
        asked = ["forgot@example.cn", "no@example.cn"]  # (the catalog's own reminders aside)
        mails = list(session.exec(select(OutboxMail).where(col(OutboxMail.to).in_(asked))))
    assert [m.to for m in mails] == ["forgot@example.cn"]
    link = re.search(r"http\S+/password-reset/(\S+)", mails[0].body)
    assert link
    path = f"/password-reset/{link.group(1)}"
    token = csrf(web, path)
    done = web.post(
        path, data={"csrftoken": token, "new_password": "brand new password"}, follow_redirects=False
    )
    assert done.status_code == 303
    renewed = log_in_with_form(TestClient(web.app), "forgot@example.cn", "brand new password")
    assert renewed.status_code == 303
    # the reset ends every session and revokes every token of the account
    assert holder.get("/account", follow_redirects=False).status_code == 303
    assert (
        TestClient(web.app).get("/api/v1/me", headers={"Authorization": f"Bearer {held_token}"}).status_code
        == 401
    )
    again = web.get(path)
    assert again.status_code == 422 and "已使用" in again.text
    for _ in range(5):  # more requests: at most three mails an hour to one address
        web.post(
            "/password-reset",
            data={"csrftoken": csrf(web, "/password-reset"), "email": "forgot@example.cn"},
        )
    with Session(seeded_engine) as session:
        mailed = session.exec(select(OutboxMail).where(OutboxMail.to == "forgot@example.cn")).all()
        assert len(mailed) == auth.MAILS_PER_HOUR
    tampered = web.get(path[:-3] + "abc")
    assert tampered.status_code == 422
    assert events(seeded_engine, "account.password_reset")


# --- escaping, roles and the audit log ------------------------------------------------------------
def test_script_in_user_text_is_shown_escaped(web: TestClient, seeded_engine: Engine) -> None:
    token = csrf(web, "/register")
    data = {
        "csrftoken": token,
        "organization_name": f"淮安{SCRIPT}公司",
        "credit_code": new_code("MA1XYG56"),
        "contact_name": SCRIPT,
        "contact_phone": "13900000000",
        "email": "xss@example.cn",
        "password": PASSWORD,
    }
    assert web.post("/register", data=data, follow_redirects=False).status_code == 200
    assert (
        web.get(registration_link(seeded_engine, "xss@example.cn"), follow_redirects=False).status_code == 303
    )
    created = create_token_on_page(web, "read")
    assert created
    page = web.get("/account").text
    assert SCRIPT not in page and "&lt;script&gt;" in page
    failed = web.post("/register", data={**data, "csrftoken": csrf(web, "/register"), "email": "bad"})
    assert SCRIPT not in failed.text  # values sent back into the form are escaped too
    admin = signed_in(web, ADMIN)
    assert SCRIPT not in admin.get("/admin/audit").text


def test_the_audit_log_is_for_administrators_only(web: TestClient, seeded_engine: Engine) -> None:
    assert web.get("/api/v1/audit").status_code == 401
    assert web.get("/admin/audit", follow_redirects=False).headers["location"].startswith("/login")
    # the log holds the sign-ins themselves: these two post the form
    assert log_in_with_form(web, PLAIN).status_code == 303
    assert web.get("/admin/audit").status_code == 403
    assert 'href="/admin/audit"' not in web.get("/account").text  # the account page links it for them only
    boss = TestClient(web.app)
    assert log_in_with_form(boss, ADMIN).status_code == 303
    assert 'href="/admin/audit"' in boss.get("/account").text
    log = boss.get("/api/v1/audit", params={"action": "account."}).json()
    actions = {item["action"] for item in log["items"]}
    assert {"account.login"} <= actions and all(a.startswith("account.") for a in actions)
    mine = boss.get("/api/v1/audit", params={"actor": "plain@"}).json()
    assert mine["total"] >= 1 and all("plain@" in item["actor"] for item in mine["items"])
    page = boss.get("/admin/audit")
    assert page.status_code == 200 and "account.login" in page.text
    # no way to change it: the API has no write method for it (and a cookie-borne write fails CSRF first)
    before = boss.get("/api/v1/audit").json()["total"]
    for method in ("DELETE", "PUT", "PATCH", "POST"):
        answer = boss.request(method, "/api/v1/audit", headers={"x-csrftoken": csrf(boss, "/account")})
        assert answer.status_code == 405
    assert boss.get("/api/v1/audit").json()["total"] == before


# --- who sees drafts ------------------------------------------------------------------------------
def test_a_draft_is_seen_by_its_organization_and_reviewers_only(
    web: TestClient, seeded_engine: Engine
) -> None:
    from catalog.listings.states import ListingStatus
    from catalog.products.models import DataProduct

    with Session(seeded_engine) as session:
        draft = session.exec(select(DataProduct).where(DataProduct.status == ListingStatus.DRAFT)).first()
        assert draft is not None, "the seed has drafts"
        own = session.get(Organization, draft.provider_id)
        other = session.exec(select(Organization).where(Organization.id != draft.provider_id)).first()
        assert own is not None and other is not None
        slug, own_code, other_code = draft.slug, own.code, other.code
    make_user(seeded_engine, "owner@example.cn", organization_code=own_code, role="owner")
    make_user(seeded_engine, "outsider@example.cn", organization_code=other_code, role="owner")
    page, api = f"/products/{slug}", f"/api/v1/products/{slug}"
    assert web.get(page).status_code == 404 and web.get(api).status_code == 404
    for email, seen in (
        ("owner@example.cn", True),
        ("outsider@example.cn", False),
        (REVIEWER, True),
    ):
        client = signed_in(web, email)
        assert client.get(page).status_code == (200 if seen else 404), email
        assert client.get(api, headers=bearer(seeded_engine, email, scope="read")).status_code == (
            200 if seen else 404
        )
    # and never in public search or lists
    assert slug not in web.get("/api/v1/products", params={"per_page": 100}).text


@pytest.mark.both_backends
def test_role_changes_are_for_administrators_and_audited_with_before_and_after(
    web: TestClient, seeded_engine: Engine
) -> None:
    make_user(seeded_engine, "staff@example.cn")
    with Session(seeded_engine) as session:
        org_code = session.exec(select(Organization.code)).first()
        assert org_code is not None
        plain = auth.actor_for_user(session, session.exec(select(User).where(User.email == PLAIN)).one())
    with db.session_scope(seeded_engine) as session, pytest.raises(Forbidden):
        auth.set_roles(session, plain, "staff@example.cn", admin=True)
    with db.session_scope(seeded_engine) as session:
        after = auth.set_roles(
            session, SYSTEM, "staff@example.cn", reviewer=True, organization_code=org_code, role="owner"
        )
    assert after == {
        "is_admin": False,
        "is_reviewer": True,
        "is_active": True,
        "organizations": {org_code: "owner"},
    }
    (event,) = events(seeded_engine, "user.roles")
    assert event.before["is_reviewer"] is False and event.after["organizations"] == {org_code: "owner"}  # type: ignore[index]
    # disabling an account ends its sessions at once
    sign_in(web, "staff@example.cn")
    assert web.get("/account").status_code == 200
    with db.session_scope(seeded_engine) as session:
        auth.set_roles(session, SYSTEM, "staff@example.cn", active=False)
    assert web.get("/account", follow_redirects=False).status_code == 303
    assert log_in_with_form(TestClient(web.app), "staff@example.cn").status_code == 401


def test_json_in_a_script_element_cannot_close_it() -> None:
    from catalog.web import json_script

    text = json_script({"name": "</script><script>alert(1)</script>", "and": "a & b"})
    assert "</script" not in text.lower() and "<" not in text
    assert json.loads(text) == {"name": "</script><script>alert(1)</script>", "and": "a & b"}


def test_answers_to_a_signed_in_caller_are_private_and_never_stored(
    web: TestClient, seeded_engine: Engine
) -> None:
    """A shared cache or the browser's must not keep a page or an answer made for one person."""
    assert "private" not in web.get("/").headers.get("cache-control", "")  # the same for every visitor
    browser = signed_in(web, BUYER)
    for path in ("/", "/products", "/organizations", "/account"):
        assert browser.get(path).headers["cache-control"] == "private, no-store", path
    for path in ("/api/v1/products", "/api/v1/me"):
        answer = web.get(path, headers=bearer(seeded_engine, BUYER))
        assert answer.headers["cache-control"] == "private, no-store", path
