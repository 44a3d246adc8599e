"""Many short conformance and schemathesis runs, each in a process forked from one that has
already imported everything.

A run as its own interpreter spends about a second importing before it sends a request, and the
catalogue's tables take hundreds of runs. Here a fork server (multiprocessing's "forkserver")
imports the suite, the gateway and schemathesis once, and forks a fresh child per run: each run
still has a process of its own (its own gateway, globals, signal handlers and exit), without the
start-up. The server is a clean single-threaded process, so forking is safe even when the
caller (a test session, say) has threads running.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.pool import AsyncResult
from typing import Any, TypeVar

#: The answer of a run that did not finish in time.
TIMED_OUT = -1

T = TypeVar("T")


#: What every run imports, imported once by the fork server.
PRELOAD = (
    "livepeer_conformance.cli",
    "livepeer_conformance.runner",
    "livepeer_conformance.spec_checks",
    "livepeer_conformance.engine",
    "livepeer_conformance.sender",
    "livepeer_conformance.plan",
    "livepeer_conformance.property_phase",
    "livepeer_reference_gateway",
    "schemathesis.cli",
    __name__,
)


@contextlib.contextmanager
def _silenced() -> Iterator[None]:
    """stdout and stderr, the file descriptors included, sent to /dev/null."""
    sys.stdout.flush()
    sys.stderr.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    saved = [os.dup(1), os.dup(2)]
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)


def suite(argv: Sequence[str]) -> int:
    """`livepeer-conformance ARGV` in this process, silenced; its exit code."""
    from livepeer_conformance.cli import main

    with _silenced():
        return main(list(argv))


def schemathesis_cli(argv: Sequence[str], env: dict[str, str]) -> int:
    """`schemathesis ARGV` in this process, silenced, with `env` added; its exit code."""
    from schemathesis.cli import schemathesis

    os.environ.update(env)
    with _silenced():
        try:
            schemathesis.main(list(argv), standalone_mode=False)
        except SystemExit as exc:
            return int(exc.code or 0)
    return 0


def run_all(
    calls: Sequence[tuple[Callable[..., T], tuple[Any, ...]]],
    workers: int,
    timeout: float,
    on_result: Callable[[int, T | int], None] | None = None,
) -> list[T | int]:
    """`function(*args)` of each of `calls`, each in a child forked for it, `workers` at a time;
    in order. A call still running after `timeout` seconds counts as `TIMED_OUT`. `on_result`
    is called with each call's index and answer as soon as it and every call before it are in."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(PRELOAD))
    with context.Pool(workers, maxtasksperchild=1) as pool:
        pending: list[AsyncResult[T]] = [pool.apply_async(f, args) for f, args in calls]
        results: list[T | int] = []
        for index, result in enumerate(pending):
            try:
                results.append(result.get(timeout))
            except multiprocessing.TimeoutError:
                results.append(TIMED_OUT)
            if on_result is not None:
                on_result(index, results[-1])
        pool.terminate()
    return results
