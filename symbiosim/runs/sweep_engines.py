"""Where a sweep's runs execute: in this process, in this process and worker processes, or on Ray.

Each engine takes the function that runs one task (it never raises: a failing run returns its
error) and the tasks, and yields each result as soon as it is ready, in any order.
"""

import collections
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from multiprocessing import get_context

__all__ = ["in_processes", "on_ray", "serial"]

Run = Callable[[dict], dict]


def serial(run: Run, todo: list[dict]) -> Iterator[dict]:
    """Every task in this process, in order."""
    for task in todo:
        yield run(task)


def in_processes(run: Run, todo: list[dict], workers: int, preload: list[str]) -> Iterator[dict]:
    """Run ``todo`` in this process and ``workers - 1`` others; yield each result as it is ready.

    This process is already warm (its imports done, the scenario loaded), so it starts at
    once; the other workers fork from a server that imports ``preload`` once (no inherited
    threads) and start about 2 s later. A thread keeps each of them busy with one task at a
    time, so whichever lane is free takes the next task and nobody waits for a start-up.
    """
    tasks, results = collections.deque(todo), queue.SimpleQueue()
    pool = None
    if workers > 1:
        context = get_context("forkserver")
        context.set_forkserver_preload(preload)
        pool = ProcessPoolExecutor(max_workers=workers - 1, mp_context=context)
    feeder = threading.Thread(target=_feed, args=(run, pool, workers - 1, tasks, results), daemon=True)
    try:
        if pool is not None:
            feeder.start()
        for _ in range(len(todo)):
            task = _next(tasks)
            if task is not None:
                results.put(run(task))
            outcome = results.get()
            if isinstance(outcome, BaseException):
                raise outcome
            yield outcome
    finally:
        tasks.clear()  # nothing more is started; what runs is waited for
        if pool is not None:
            feeder.join()
            pool.shutdown(wait=True, cancel_futures=True)


def _next(tasks: collections.deque) -> dict | None:
    try:
        return tasks.popleft()
    except IndexError:
        return None


def _feed(run: Run, pool: ProcessPoolExecutor, lanes: int, tasks: collections.deque, results: queue.SimpleQueue) -> None:
    """Keep each of the pool's ``lanes`` workers busy with one task; put each result (or error) on ``results``."""
    running: set = set()
    try:
        while True:
            while len(running) < lanes and (task := _next(tasks)) is not None:
                running.add(pool.submit(run, task))
            if not running:
                return
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                results.put(future.result())
    except BaseException as error:  # a worker died: the sweep stops with its error
        results.put(error)


def on_ray(run: Run, todo: list[dict], workers: int, address: str | None) -> Iterator[dict]:
    """Every task on Ray: a local instance with ``workers`` CPUs, or the cluster at ``address``."""
    import ray

    started_here = not ray.is_initialized()
    if started_here:
        options = {"address": address} if address else {"num_cpus": workers, "include_dashboard": False}
        ray.init(**options, log_to_driver=False, configure_logging=False)
    try:
        remote = ray.remote(num_cpus=1)(run)
        pending = [remote.remote(task) for task in todo]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield ray.get(done[0])
    finally:
        if started_here:
            ray.shutdown()
