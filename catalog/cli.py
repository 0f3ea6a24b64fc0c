"""The ``catalog`` command: init, seed, serve, reindex, stats, export, import, user, token, mail, bench."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
from sqlalchemy import Engine
from sqlmodel import Session, select

from catalog import db
from catalog.accounts import auth
from catalog.accounts import mail as outbox
from catalog.accounts.models import User
from catalog.bulk_import import services as imports
from catalog.errors import CatalogError
from catalog.indexing import hooks
from catalog.indexing.indexer import Indexer
from catalog.permissions import Actor
from catalog.seeding import catalog_is_empty, load_seed, seed_counts
from catalog.settings import Settings, SettingsError
from catalog.stats import exports

CLI_ACTOR = Actor(label="system:cli", is_admin=True, is_system=True)


def _settings() -> Settings:
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from None
    auth.use_password_hashing(settings.password_hashing)
    return settings


def _engine(settings: Settings) -> Engine:
    engine = db.make_engine(settings.database_url)
    db.migrate(engine)
    context = click.get_current_context(silent=True)
    if context is not None:  # the command's connections close with it (PostgreSQL's would linger)
        context.call_on_close(engine.dispose)
    return engine


def _seed(settings: Settings, engine: Engine) -> dict[str, int]:
    total = sum(seed_counts(settings.seed_dir).values())
    with (
        click.progressbar(length=total, label="Loading seed catalog", file=sys.stderr) as bar,
        db.session_scope(engine) as session,
    ):
        return load_seed(
            session,
            CLI_ACTOR,
            settings.seed_dir,
            progress=bar.update,
            implementing_body=settings.implementing_body,
        )


def _reindex(settings: Settings, engine: Engine) -> None:
    indexer = Indexer(engine, settings.index_dir)
    with click.progressbar(length=1, label="Building search index", file=sys.stderr) as bar:

        def advance(done: int, total: int) -> None:
            bar.length = max(1, total)
            bar.update(done)

        count = indexer.rebuild(advance)
    click.echo(f"indexed {count} public items (listed or in publicity)")


@click.group()
@click.version_option(package_name="huaian-data-port")
def main() -> None:
    """The Huai'an Data Port catalog (淮安市数据港)."""
    hooks.install()


@main.command()
def init() -> None:
    """Create the database, or bring its schema up to date (runs the migrations)."""
    settings = _settings()
    _engine(settings)
    click.echo(f"database ready: {settings.database_url}")


@main.command()
def seed() -> None:
    """Load the seed catalog from seed/ (items that exist already are left alone)."""
    settings = _settings()
    engine = _engine(settings)
    try:
        created = _seed(settings, engine)
    except CatalogError as exc:
        raise click.ClickException(f"seed not loaded, nothing was written: {exc.message}") from None
    Indexer(engine, settings.index_dir).catch_up()
    click.echo("created: " + ", ".join(f"{k} {v}" for k, v in created.items()))


@main.command()
def reindex() -> None:
    """Build a fresh search index from the database and swap it in."""
    settings = _settings()
    _reindex(settings, _engine(settings))


@main.group()
def user() -> None:
    """Accounts."""


@user.command("create")
@click.argument("email")
@click.option(
    "--password", prompt=True, hide_input=True, confirmation_prompt=True, help="Asked for when left out."
)
@click.option("--admin", is_flag=True, help="A site administrator (everything, users and roles included).")
@click.option("--reviewer", is_flag=True, help="A reviewer of listings.")
@click.option("--org", "org_code", help="Member of the organization with this unified social credit code.")
@click.option("--role", type=click.Choice(["member", "owner"]), default="member", show_default=True)
def user_create(
    email: str, password: str, admin: bool, reviewer: bool, org_code: str | None, role: str
) -> None:
    """Create an account (the first administrator: catalog user create EMAIL --admin)."""
    engine = _engine(_settings())
    try:
        with db.session_scope(engine) as session:
            created = auth.create_user(
                session,
                CLI_ACTOR,
                email,
                password,
                admin=admin,
                reviewer=reviewer,
                organization_code=org_code,
                role=role,
            )
            user_id = created.id
    except CatalogError as exc:
        raise click.ClickException(_explain(exc)) from None
    click.echo(f"created user {user_id}: {email.strip().lower()}")


@user.command("roles")
@click.argument("email")
@click.option("--admin/--no-admin", default=None, help="Grant or remove the administrator role.")
@click.option("--reviewer/--no-reviewer", default=None, help="Grant or remove the reviewer role.")
@click.option("--active/--disabled", default=None, help="Enable or disable the account.")
@click.option("--org", "org_code", help="With --role: the organization's unified social credit code.")
@click.option("--role", type=click.Choice(["member", "owner", "none"]), help="Role in --org (none removes).")
def user_roles(
    email: str,
    admin: bool | None,
    reviewer: bool | None,
    active: bool | None,
    org_code: str | None,
    role: str | None,
) -> None:
    """Change an account's roles; prints them afterwards."""
    if (org_code is None) != (role is None):
        raise click.UsageError("--org and --role go together")
    engine = _engine(_settings())
    try:
        with db.session_scope(engine) as session:
            roles = auth.set_roles(
                session,
                CLI_ACTOR,
                email,
                admin=admin,
                reviewer=reviewer,
                active=active,
                organization_code=org_code,
                role=role,
            )
    except CatalogError as exc:
        raise click.ClickException(_explain(exc)) from None
    click.echo(json.dumps(roles, ensure_ascii=False))


@main.group()
def token() -> None:
    """Personal API tokens."""


@token.command("create")
@click.argument("email")
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
@click.option("--scope", type=click.Choice(auth.TOKEN_SCOPES), default="read", show_default=True)
@click.option(
    "--days", type=click.IntRange(1, 366), default=90, show_default=True, help="Days until it expires."
)
def token_create(email: str, name: str, scope: str, days: int) -> None:
    """Create a token for EMAIL's account and print it (once: only its hash is kept)."""
    engine = _engine(_settings())
    try:
        with db.session_scope(engine) as session:
            account = session.exec(select(User).where(User.email == email.strip().lower())).first()
            if account is None:
                raise click.ClickException(f"no account {email!r}")
            actor = auth.actor_for_user(session, account)
            secret, _ = auth.create_token(session, actor, auth.TokenCreate(name=name, scope=scope, days=days))
    except CatalogError as exc:
        raise click.ClickException(_explain(exc)) from None
    click.echo(secret)


@main.group()
def mail() -> None:
    """The mail outbox."""


@mail.command("send")
def mail_send() -> None:
    """Send the outbox's unsent mails by SMTP (CATALOG_SMTP_HOST); the server also does this every minute."""
    settings = _settings()
    if not settings.smtp_host:
        raise click.ClickException("CATALOG_SMTP_HOST is not set: mails stay in the outbox table")
    click.echo(f"sent {outbox.send_pending(_engine(settings), settings)} mails")


def _explain(exc: CatalogError) -> str:
    fields = getattr(exc, "fields", None) or {}
    return exc.message + "".join(f"\n  {name}: {message}" for name, message in fields.items())


@main.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(target: Path) -> None:
    """Write a backup archive: the database (an online copy) and the uploaded files."""
    from catalog import backup

    settings = _settings()
    try:
        manifest = backup.backup(settings, _engine(settings), target)
    except CatalogError as exc:
        raise click.ClickException(_explain(exc)) from None
    click.echo(f"wrote {target}: {manifest['backend']} database at revision {manifest['revision']}")


@main.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
def restore_command(source: Path, yes: bool) -> None:
    """Replace the database and uploads with a backup's, then migrate and rebuild the index.

    Stop the service first: restoring is done offline. It is refused while a server runs on this data
    dir, and on PostgreSQL the sessions still connected to the database are ended. The backup's
    database is restored beside the live one (on PostgreSQL into a new database, <db>_restore_<random>,
    owned by the live database's owner), checked and migrated to this version, and the backup's uploads
    are staged inside the uploads folder, before anything is replaced: a damaged or foreign archive, or
    one made by a newer version, leaves the live catalog as it was. The previous database and uploads
    are kept, not deleted: SQLite's as <file>.before-restore-<time>, PostgreSQL's as the database
    <db>_before_restore_<time>, the uploads as <uploads>/.before-restore-<time> (the output names them).
    Drop them once the restored catalog is right.

    On PostgreSQL, CATALOG_DATABASE_URL's user must own the database, be a member of its owner role, or
    be a superuser. With CREATEDB it restores beside the live database as above; without CREATEDB it
    restores in place, in one transaction (a failure leaves the database as it was), and the previous
    database is not kept; a backup of an older schema version then needs CREATEDB.
    """
    from catalog import backup

    settings = _settings()
    if not yes:
        click.confirm(
            f"Replace the catalog at {settings.data_dir} with {source}? (The service must be stopped;"
            " the current database and uploads are kept beside, but for an in-place PostgreSQL restore:"
            " see --help.)",
            abort=True,
        )

    def terminated(signum: int, _frame: object) -> None:  # what is done so far is cleaned up or said
        raise SystemExit(f"restore stopped by signal {signum}")

    try:  # SIGTERM, unhandled, would end the process without the clean-up of restore's finally blocks
        previous = signal.signal(signal.SIGTERM, terminated)
    except ValueError:  # not the main thread: signals are not this thread's to handle
        previous = None
    try:
        restored = backup.restore(settings, source)
    except CatalogError as exc:
        lines = [line.strip() for line in _explain(exc).splitlines() if line.strip()]
        raise click.ClickException("; ".join(lines)) from None
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    made = restored.manifest.get("created_at") or "at an unknown time"
    indexed = "; the index was rebuilt" if restored.indexed else ""
    click.echo(f"restored {source} (made {made}, revision {restored.manifest['revision']}){indexed}")
    for note in restored.notes:
        click.echo(note)
    for kept in restored.kept:
        click.echo(
            f"the previous catalog's data is kept as {kept}: drop it once the restored catalog is right"
        )
    if restored.unfinished:
        raise click.ClickException(
            "the backup's database was restored, but not everything was done: "
            + "; ".join(restored.unfinished)
        )


@main.command("export")
@click.argument("kind", type=click.Choice(exports.KINDS))
@click.option("--format", "fmt", type=click.Choice(exports.FORMATS), default="csv", show_default=True)
@click.option(
    "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="File to write."
)
def export_command(kind: str, fmt: str, output: Path) -> None:
    """Export every product or dataset (every state, one row each) or the figures, as CSV, XLSX or JSON."""
    settings = _settings()
    engine = _engine(settings)
    with Session(engine) as session:
        content = exports.export(session, CLI_ACTOR, settings, kind, fmt)
    output.write_bytes(content)
    click.echo(f"wrote {output} ({len(content)} bytes)")


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--kind", type=click.Choice(imports.IMPORT_KINDS), help="What the file holds [default: from its columns]."
)
@click.option("--dry-run", is_flag=True, help="Check every row and report; import nothing.")
def import_command(file: Path, kind: str | None, dry_run: bool) -> None:
    """Import products or datasets from a CSV, XLSX or JSON file with the export's columns: every row
    is checked first, then all are imported or none; exits 1 when nothing is imported."""
    settings = _settings()
    engine = _engine(settings)
    try:
        content = file.read_bytes()
    except OSError as exc:
        raise click.ClickException(f"{file}: {exc.strerror}") from None
    try:
        with db.session_scope(engine) as session:
            report = imports.import_file(session, CLI_ACTOR, file.name, content, kind, dry_run=dry_run)
    except CatalogError as exc:
        raise click.ClickException(f"nothing was imported: {_explain(exc)}") from None
    what = report.kind or "items"
    if report.problems:
        click.echo(f"{file}: nothing was imported; {_problems_summary(report)}:", err=True)
        for problem in report.problems:
            where = f"line {problem.line}" if problem.line else "file"
            column = f", column {problem.column}" if problem.column else ""
            click.echo(f"  {where}{column}: {problem.text()}", err=True)
        raise click.exceptions.Exit(1)
    if dry_run:
        click.echo(
            f"checked {report.rows} {what} in {file}: every row can be imported (dry run, nothing written)"
        )
        return
    Indexer(engine, settings.index_dir).catch_up()
    click.echo(f"imported {report.imported} {what} from {file}")


def _problems_summary(report: imports.ImportReport) -> str:
    if report.bad_rows:
        return f"{report.bad_rows} of {report.rows} rows have problems"
    return "the file cannot be imported"


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def stats(as_json: bool) -> None:
    """Print listed counts against the targets."""
    from catalog.stats.services import catalog_stats, stats_text

    settings = _settings()
    with Session(_engine(settings)) as session:
        figures = catalog_stats(session, settings)
    if as_json:
        click.echo(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    for key, name in (("products", "Listed data products"), ("datasets", "Listed datasets")):
        block = figures[key]
        click.echo(f"{name}: {block['listed']} / {block['target']} ({block['progress']:.1%})")
        click.echo("  by status: " + ", ".join(f"{k} {v}" for k, v in block["by_status"].items() if v))
    click.echo(f"Deadline: {figures['deadline']} ({figures['days_to_deadline']} days)")
    click.echo(stats_text(figures))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--demo", is_flag=True, help="On an empty database: create it, load seed/ and build the index.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes; they share the data dir's index, one of them writing it.",
)
def serve(host: str, port: int, demo: bool, workers: int) -> None:
    """Serve the catalog over HTTP."""
    import uvicorn

    settings = _settings()
    engine = _engine(settings)
    if demo:
        with Session(engine) as session:
            empty = catalog_is_empty(session)
        if empty:
            try:
                created = _seed(settings, engine)
            except CatalogError as exc:
                raise click.ClickException(f"seed not loaded: {exc.message}") from None
            click.echo("demo catalog loaded: " + ", ".join(f"{k} {v}" for k, v in created.items()))
            _reindex(settings, engine)
    engine.dispose()
    if not settings.is_sqlite and not os.environ.get("CATALOG_SECRET_KEY"):
        click.echo(
            "warning: CATALOG_SECRET_KEY is not set, so this node signs sessions and forms with the key"
            f" generated in {settings.data_dir}: give every node that serves this database the same key",
            err=True,
        )
    click.echo(f"serving on http://{host}:{port}/" + (f" with {workers} workers" if workers > 1 else ""))
    # an import string and a factory: each worker process builds its app from the environment
    uvicorn.run(
        "catalog.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        # the client's address and scheme come from forwarded headers only from the proxies named
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies),
    )


@main.command()
@click.option("--sizes", default="300,10000,100000", show_default=True, help="Catalog sizes to generate.")
@click.option("--rounds", default=5, show_default=True, type=int, help="Passes over the query set.")
@click.option("--work", type=click.Path(path_type=Path), help="Where to build the catalogs [data dir/bench].")
@click.option(
    "--http",
    "url",
    help="Load a running server at this URL (127.0.0.1 only) with the mixed scenario instead.",
)
@click.option("--datasette", help="With --http: also load this Datasette table URL, the peer.")
@click.option(
    "--datasette-from",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="With --http: start Datasette (FTS5) on a copy of the SQLite catalog in this data dir, and load it.",
)
@click.option(
    "--clients", default=32, show_default=True, type=click.IntRange(1, 256), help="Concurrent HTTP clients."
)
@click.option(
    "--seconds",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0.5, 600),
    help="Seconds of HTTP load per server.",
)
@click.option("--compare", is_flag=True, help="Also load our server and Datasette on each catalog built.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def bench(
    sizes: str,
    rounds: int,
    work: Path | None,
    url: str | None,
    datasette: str | None,
    datasette_from: Path | None,
    clients: int,
    seconds: float,
    compare: bool,
    as_json: bool,
) -> None:
    """Measure search: build generated catalogs and time the query set, or load a running server."""
    from catalog.bench import report

    if url:
        figures = _bench_http(url, datasette, datasette_from, clients, seconds)
        click.echo(
            json.dumps(figures, ensure_ascii=False, indent=2) if as_json else report.http_table(figures)
        )
        return
    try:
        counts = [int(s) for s in sizes.split(",") if s.strip()]
    except ValueError:
        raise click.BadParameter("whole numbers separated by commas", param_hint="--sizes") from None
    results = _bench_engine(counts, work or _settings().data_dir / "bench", rounds)
    if compare:
        from catalog.bench.compare import compare as compare_servers

        for size, figures in results.items():
            click.echo(f"HTTP load (mixed pages) on the catalog of {size} …", err=True)
            try:
                figures["http"] = compare_servers(Path(figures["data_dir"]), clients, seconds)
            except RuntimeError as exc:
                hint = "is Datasette installed? pip install -e '.[bench]'"
                raise click.ClickException(f"{exc} ({hint})") from None
    if as_json:
        click.echo(json.dumps(results, ensure_ascii=False, indent=2))
        return
    click.echo(report.engine_table(results))
    for size, figures in results.items():
        if "http" in figures:
            click.echo(f"\nmixed pages under load, {size:,} products, {clients} clients × {seconds:g} s")
            click.echo(report.http_table(figures["http"]))


def _bench_http(
    url: str, datasette: str | None, datasette_from: Path | None, clients: int, seconds: float
) -> dict[str, Any]:
    from catalog.bench.compare import serve_peer
    from catalog.bench.http import check_loopback, compare_running

    if datasette and datasette_from:
        raise click.UsageError("--datasette and --datasette-from: one or the other")
    try:
        check_loopback(url)
        if datasette_from is None:
            return compare_running(url, datasette, clients, seconds)
        with serve_peer(datasette_from) as table:
            return compare_running(url, table, clients, seconds)
    except (ValueError, OSError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from None


def _bench_engine(counts: list[int], work: Path, rounds: int) -> dict[int, dict[str, Any]]:
    """Each size in its own process, so that each peak memory figure is its own."""
    results = {}
    for size in counts:
        click.echo(f"catalog of {size} products …", err=True)
        command = [
            "-m",
            "catalog.bench.engine",
            "--size",
            str(size),
            "--work",
            str(work),
            "--rounds",
            str(rounds),
        ]
        done = subprocess.run([sys.executable, *command], capture_output=True, text=True)
        if done.returncode != 0:
            raise click.ClickException(f"benchmark of {size} failed:\n{done.stderr[-2000:]}")
        results[size] = json.loads(done.stdout)
    return results
