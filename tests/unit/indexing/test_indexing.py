"""The ChangeLog hook and the indexer, on a real SQLite file and a real index."""

import ast
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from catalog import db
from catalog.bench import engine as bench_engine
from catalog.datasets.models import Dataset
from catalog.indexing import hooks
from catalog.indexing.indexer import Indexer
from catalog.indexing.lock import WriterLock
from catalog.indexing.models import ChangeLog
from catalog.listings.states import PUBLIC_STATES, ListingStatus
from catalog.products.models import DataProduct
from catalog.settings import Settings
from tests.conftest import catalog_env, make_settings


def max_seq(session: Session) -> int:
    return session.exec(select(func.coalesce(func.max(ChangeLog.seq), 0))).one()


def test_index_holds_exactly_the_public_items_after_seeding(
    seeded_engine: Engine, seeded_settings: Settings
) -> None:
    indexer = Indexer(seeded_engine, seeded_settings.index_dir)
    with Session(seeded_engine) as session:
        products = set(session.exec(select(DataProduct.slug).where(DataProduct.status.in_(PUBLIC_STATES))))  # type: ignore[attr-defined]
        datasets = set(session.exec(select(Dataset.code).where(Dataset.status.in_(PUBLIC_STATES))))  # type: ignore[attr-defined]
        assert indexer.index.last_applied_seq() == max_seq(session)
    assert indexer.index.keys("product") == products
    assert indexer.index.keys("dataset") == datasets


@pytest.mark.both_backends
def test_a_change_is_logged_in_its_transaction_and_reaches_the_index(
    seeded_engine: Engine, seeded_settings: Settings
) -> None:
    indexer = Indexer(seeded_engine, seeded_settings.index_dir)
    with db.session_scope(seeded_engine) as session:
        before = max_seq(session)
        product = session.exec(select(DataProduct).where(DataProduct.status == ListingStatus.LISTED)).first()
        assert product is not None
        product.status = ListingStatus.DELISTED
        slug = product.slug
    with Session(seeded_engine) as session:
        assert max_seq(session) > before
    assert slug in indexer.index.keys("product")
    assert indexer.catch_up() >= 1
    assert slug not in indexer.index.keys("product")
    assert indexer.status()["lag"] == 0


@pytest.mark.both_backends
def test_a_rolled_back_change_leaves_no_log(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        before = max_seq(session)
    with pytest.raises(RuntimeError), db.session_scope(seeded_engine) as session:
        product = session.exec(select(DataProduct)).first()
        assert product is not None
        product.title = "改过但未提交的标题"
        session.flush()
        raise RuntimeError("abort")
    with Session(seeded_engine) as session:
        assert max_seq(session) == before


@pytest.mark.both_backends
def test_renaming_a_provider_reindexes_its_products(seeded_engine: Engine, seeded_settings: Settings) -> None:
    from catalog.accounts.models import Organization

    indexer = Indexer(seeded_engine, seeded_settings.index_dir)
    assert indexer.index.search("云标", kind="product").total > 0
    assert indexer.index.search("星河标注", kind="product").total == 0
    with db.session_scope(seeded_engine) as session:
        org = session.exec(select(Organization).where(Organization.slug == "ybbz")).one()
        org.name = "淮安星河标注科技有限公司"
    indexer.catch_up()
    assert indexer.index.search("星河标注", kind="product").total > 0


def test_rebuild_after_losing_the_index_restores_every_public_item(
    seeded_engine: Engine, seeded_settings: Settings, tmp_path: Path
) -> None:
    fresh = Indexer(seeded_engine, tmp_path / "other-index")
    assert fresh.index.keys("product") == set()
    count = fresh.rebuild()
    with Session(seeded_engine) as session:
        public = session.exec(
            select(func.count()).select_from(DataProduct).where(DataProduct.status.in_(PUBLIC_STATES))  # type: ignore[attr-defined]
        ).one()
    assert len(fresh.index.keys("product")) == public and count >= public


@pytest.mark.both_backends
def test_the_index_state_changes_with_every_commit_and_swap(
    seeded_engine: Engine, seeded_settings: Settings
) -> None:
    """The search result cache is keyed on this state: any commit to the index, by any process, moves it."""
    indexer = Indexer(seeded_engine, seeded_settings.index_dir)
    first = indexer.state
    other = Indexer(seeded_engine, seeded_settings.index_dir)  # another process's writer, same index
    with db.session_scope(seeded_engine) as session:
        product = session.exec(select(DataProduct).where(DataProduct.status == ListingStatus.LISTED)).first()
        assert product is not None
        product.title = "状态测试标题"
    assert other.catch_up() >= 1
    assert indexer.state != first  # seen without this process applying anything
    second = indexer.state
    other.rebuild()
    indexer.catch_up()  # follows the swapped-in generation
    assert indexer.state != second and indexer.state[0] == other.index.generation


@pytest.mark.slow
def test_a_parallel_rebuild_indexes_what_one_process_does(seeded_engine: Engine, tmp_path: Path) -> None:
    """Two processes, each reading its share of the catalog from the database, build the same index."""
    one = Indexer(seeded_engine, tmp_path / "one")
    two = Indexer(seeded_engine, tmp_path / "two")
    told: list[tuple[int, int]] = []
    assert one.rebuild(procs=1) == two.rebuild(lambda done, total: told.append((done, total)), procs=2)
    for kind in ("product", "dataset"):
        assert two.index.keys(kind) == one.index.keys(kind) != set()
    with Session(seeded_engine) as session:
        items = session.exec(select(func.count()).select_from(DataProduct)).one()
    assert sum(done for done, _ in told) == told[-1][1] > items  # every product and dataset counted once
    for text in ("公交", "gongjiao", "淮安"):
        assert [h.key for h in two.index.search(text, kind="product", limit=None).hits] == [
            h.key for h in one.index.search(text, kind="product", limit=None).hits
        ]


def test_one_process_at_a_time_writes_the_index_and_the_others_follow_it(
    seeded_engine: Engine, seeded_settings: Settings
) -> None:
    """As the workers of one node do: the first server takes the writer role and keeps it; another waits
    for it to apply a change it made, and takes the role over once the writer has gone."""
    writer = Indexer(seeded_engine, seeded_settings.index_dir)
    reader = Indexer(seeded_engine, seeded_settings.index_dir, wait_seconds=10)
    try:
        writer.start()
        reader.start()
        assert writer.writer.held and not reader.writer.held
        assert reader.status()["role"] == "reader" and reader.status()["writer_process"] == os.getpid()
        with db.session_scope(seeded_engine) as session:
            product = session.exec(
                select(DataProduct).where(DataProduct.status == ListingStatus.LISTED)
            ).first()
            assert product is not None
            product.title = "读写分离测试标题"
        applying = threading.Timer(0.3, writer.refresh)  # the writer's timer, a moment later
        applying.start()
        assert reader.catch_up() == 0  # applied by the writer, waited for here
        applying.join()
        assert reader.status()["lag"] == 0
        assert reader.index.search("读写分离测试标题", kind="product").total == 1
        writer.close()  # the writer stops (or dies: the system releases its lock the same way)
        reader.refresh()
        assert reader.writer.held and reader.status()["role"] == "writer"
    finally:
        writer.close()
        reader.close()


def test_a_command_gives_the_writer_role_back_after_catching_up(
    seeded_engine: Engine, seeded_settings: Settings
) -> None:
    Indexer(seeded_engine, seeded_settings.index_dir).catch_up()
    lock = WriterLock.for_index(seeded_settings.index_dir)
    assert lock.acquire() and lock.holder() == os.getpid()
    lock.release()


# Each entry point in a process of its own (this one has the hooks from tests/conftest.py): importing
# it installs nothing, running it installs every hook of hooks.HOOKS.
_ENTRY_POINTS = {
    "the app factory": (
        "from catalog.app import create_app\nfrom catalog.settings import Settings",
        "create_app(Settings.from_env())",
    ),
    "the CLI": ("from catalog import cli", "cli.main(['init'], standalone_mode=False)"),
}
_INSTALLED = """
from sqlalchemy import event
from sqlalchemy.orm import Session
from catalog.indexing import hooks
def installed():
    return [event.contains(Session, name, hook) for name, hook in hooks.HOOKS]
"""


@pytest.mark.parametrize("entry", sorted(_ENTRY_POINTS))
def test_every_entry_point_installs_the_change_log_hooks(entry: str, tmp_path: Path) -> None:
    imports, call = _ENTRY_POINTS[entry]
    script = f"{imports}\n{_INSTALLED}\nprint(installed())\n{call}\nprint(installed())"
    env = {**os.environ, **catalog_env(make_settings(tmp_path / "var"))}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    before, after = done.stdout.splitlines()[0], done.stdout.splitlines()[-1]
    n = len(hooks.HOOKS)
    assert (before, after) == (str([False] * n), str([True] * n)), entry


def test_the_engine_benchmark_installs_the_hooks_before_it_runs() -> None:
    """``catalog bench`` runs ``catalog.bench.engine`` as a process of its own: its ``main`` installs
    the hooks before it calls ``run`` (read, not run: a benchmark takes minutes)."""
    tree = ast.parse(Path(bench_engine.__file__).read_text(encoding="utf-8"))
    main = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main")
    calls = [n for n in ast.walk(main) if isinstance(n, ast.Call)]

    def line_of(name: str) -> int | None:
        return min((c.lineno for c in calls if ast.unparse(c.func) == name), default=None)

    installed, ran = line_of("hooks.install"), line_of("run")
    assert installed is not None and ran is not None and installed < ran, (installed, ran)
