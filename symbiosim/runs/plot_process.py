"""A run's plots drawn in a second process while this one writes the tables.

Drawing the five PNGs of a default run takes 1.1-1.8 s, and importing matplotlib 0.35 s
more; writing the tables takes as long again, in one thread (matplotlib holds the
interpreter lock while it draws, so a thread gains nothing). A :class:`Painter` started
before the simulation has a worker process that has imported the plotting code by the time
the simulation ends; it then draws while this process writes, and on two cores the plots
add little to the wait.

The plotting functions are handed over by name, so this process never imports matplotlib
unless it draws a plot itself. Each plot is drawn and written atomically (``write_atomic``)
by the worker. :meth:`Painter.finish` waits for them and raises the first error as it was
raised there. Where no worker process can be started, or the worker dies, the plots are
drawn in this process.
"""

import importlib
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path
from types import TracebackType

from symbiosim.runs.outputs import write_atomic

__all__ = ["Painter"]

PRELOAD = ["symbiosim.runs.plots"]  # what the worker imports before it is asked for anything


def _ready() -> None:
    """Nothing: submitted first, so that the worker starts (and imports) at once."""


def _draw(function: str, args: tuple, path: Path) -> Path:
    module, _, name = function.rpartition(".")
    plot = getattr(importlib.import_module(module), name)
    return write_atomic(path, lambda p: plot(*args, p))


class Painter:
    """Draw plots in a worker process (or here, where none can be started); collect them with :meth:`finish`."""

    def __init__(self) -> None:
        self._jobs: list[tuple[str, tuple, Path, Future | None]] = []
        try:
            context = get_context("forkserver")
            context.set_forkserver_preload(PRELOAD)  # used when the fork server starts (once a process)
            self._pool: ProcessPoolExecutor | None = ProcessPoolExecutor(max_workers=1, mp_context=context)
            # Starting the worker waits for the fork server to import PRELOAD (about 1.5 s): a thread
            # waits instead, and the first plot submitted after the simulation finds the worker ready.
            self._worker_up = False  # set by the thread once the worker has answered
            self._starting = threading.Thread(target=self._start, daemon=True)
            self._starting.start()
        except (OSError, ValueError, RuntimeError):  # no process can be started here: draw in this one
            self._pool = None

    def _start(self) -> None:
        try:
            self._pool.submit(_ready).result()
            self._worker_up = True
        except Exception:  # whatever stopped the worker, the plots are drawn here
            pass

    def draw(self, function: str, *args: object, path: Path) -> Path:
        """Call ``function(*args, tmp_path)`` and move the PNG to ``path``, in the worker if there is one.

        ``function`` is named (``symbiosim.runs.plots.plot_radius``), so that this process need not
        import matplotlib (0.3 s) to hand a plot over.
        """
        future = None
        if self._pool is not None:
            self._starting.join()
            if not self._worker_up:
                self.close()
        if self._pool is not None:
            try:
                future = self._pool.submit(_draw, function, args, path)
            except (BrokenProcessPool, RuntimeError):  # the worker could not start or has died
                self.close()
        if future is None:
            _draw(function, args, path)
        self._jobs.append((function, args, path, future))
        return path

    def finish(self) -> None:
        """Wait for every plot; raise the first error (a dead worker's plots are drawn here instead)."""
        try:
            for function, args, path, future in self._jobs:
                if future is None:
                    continue
                try:
                    future.result()
                except BrokenProcessPool:  # the worker was killed (memory, a signal): draw here
                    _draw(function, args, path)
        finally:
            self.close()

    def close(self) -> None:
        """Stop the worker (its unfinished plots are dropped)."""
        if self._pool is not None:
            self._starting.join()
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> "Painter":
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.close()
