"""Two steps of one workflow at once, as two server processes take them: each step reads, waits at a
barrier until the other has read too, then writes; what each step came to."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from catalog.permissions import Actor
from tests.factories import REVIEWER, actor, make_user


def reviewers(engine: Engine) -> tuple[Actor, Actor]:
    """Two reviewers of the port, each with an account of their own: the seeded one and another."""
    make_user(engine, "reviewer-b@sjj.cn", reviewer=True)
    with Session(engine) as session:
        return actor(session, REVIEWER), actor(session, "reviewer-b@sjj.cn")


def at_once(
    monkeypatch: pytest.MonkeyPatch, module: Any, read: str, steps: list[Callable[[], None]]
) -> list[object]:
    """Run ``steps`` in threads, each stopping after ``module.read`` (the step's read of the item) until
    all have read; each step's outcome, in order: "ok", or the exception it raised."""
    barrier = threading.Barrier(len(steps), timeout=60)
    original = getattr(module, read)

    def read_then_wait(*args: Any, **kwargs: Any) -> Any:
        found = original(*args, **kwargs)
        barrier.wait()  # every step has read the item before any writes
        return found

    monkeypatch.setattr(module, read, read_then_wait)
    outcomes: list[object] = [None] * len(steps)

    def run(n: int) -> None:
        try:
            steps[n]()
            outcomes[n] = "ok"
        except BaseException as error:
            outcomes[n] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(steps))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes
