"""Blocks, parallel map and progress bars for the influence computations.

Every long computation in sklinfluence is a loop over independent blocks
(rows of the training data, or chunks of right-hand sides of a linear
solve). This module sizes the blocks within scikit-learn's
``working_memory`` setting, runs them through joblib (so any joblib backend
serves, e.g. ``joblib.parallel_config(backend="dask")`` on a Dask cluster),
and wraps them in an optional progress bar.

What a task receives is kept small: the block's own rows and the few arrays
it shares with every other block. Arguments that are the same object for
every task (the training design in a linear solve, say) are shipped once by
joblib's Dask backend, which scatters them, and memory-mapped by its loky
backend.
"""

import sys

from joblib import Parallel, delayed, effective_n_jobs
from sklearn import get_config
from sklearn.utils import gen_batches

# Blocks larger than this gain nothing from BLAS and make parallel tasks
# coarse, so a block stays below it even when ``working_memory`` is larger.
MAX_BLOCK_BYTES = 64 * 2**20


def block_budget():
    """Bytes one block may take: ``working_memory``, at most 64 MiB."""
    return min(int(get_config()["working_memory"] * 2**20), MAX_BLOCK_BYTES)


def batch_size(bytes_per_row, n_rows, max_bytes=None):
    """Rows per block so that a block's temporaries stay within the budget.

    Parameters
    ----------
    bytes_per_row : int
        Bytes of every array a block allocates, per row of the block.
    n_rows : int
        Rows to cover.
    max_bytes : int, default=None
        A tighter cap than the budget, e.g. a fraction of the result so that
        temporaries stay small next to it.

    Returns
    -------
    size : int
        At least 1 and at most ``max(n_rows, 1)``.
    """
    budget = block_budget() if max_bytes is None else min(block_budget(), max_bytes)
    size = budget // max(int(bytes_per_row), 1)
    return int(min(max(1, size), max(n_rows, 1)))


def blocks(n_rows, bytes_per_row, max_bytes=None):
    """Slices covering ``range(n_rows)`` in blocks of :func:`batch_size` rows."""
    return list(gen_batches(n_rows, batch_size(bytes_per_row, n_rows, max_bytes)))


def result_share(result_bytes):
    """Temporaries cap for a loop producing ``result_bytes``: a sixteenth of it.

    Keeps the peak memory of a blocked computation close to its input plus
    its result (at least 1 MiB, so small problems are not cut too finely).
    """
    return max(2**20, int(result_bytes) // 16)


def progress(iterable, *, total, verbose, desc):
    """Wrap ``iterable`` in a tqdm progress bar when ``verbose > 0``.

    Nothing is shown at ``verbose=0`` (the default), nor when tqdm is not
    installed or there is a single step. The bar goes to stderr.
    """
    if not verbose or total <= 1:
        return iterable
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - depends on the install
        return iterable
    return tqdm(iterable, total=total, desc=desc, file=sys.stderr, leave=False)


def map_blocks(func, tasks, *, n_tasks=None, n_jobs=None, verbose=0, desc=""):
    """Apply ``func(*args)`` to each tuple of ``tasks``, in order, as a generator.

    Runs through :class:`joblib.Parallel` with ``n_jobs``, so the active joblib
    backend (threads, processes, Dask) is used. Results are yielded one by
    one as they complete in order, so the caller can write each into its
    place without holding all of them.

    Parameters
    ----------
    func : callable
        A module-level function (picklable for process and Dask backends).
    tasks : iterable of tuple
        Positional arguments of each call. A generator is consumed lazily
        (joblib dispatches a few tasks ahead), so blocks built on demand
        are not all held at once.
    n_tasks : int, default=None
        Number of tasks, for the progress bar; ``len(tasks)`` if ``None``.
    n_jobs : int, default=None
        As for joblib; ``None`` means one job unless a ``parallel_config``
        context says otherwise.
    verbose : int, default=0
        Show a progress bar (tqdm) when positive.
    desc : str, default=""
        Label of the progress bar.

    Yields
    ------
    result
        ``func(*args)`` for each task, in the order of ``tasks``.
    """
    n_tasks = len(tasks) if n_tasks is None else n_tasks
    if n_tasks == 1:
        # A single block: skip joblib's dispatch, whatever the backend.
        for args in tasks:
            yield func(*args)
        return
    results = Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(func)(*args) for args in tasks
    )
    yield from progress(results, total=n_tasks, verbose=verbose, desc=desc)


def split_for_jobs(slices, n_rows, n_jobs):
    """Split ``slices`` further so that there are at least as many as workers."""
    workers = effective_n_jobs(n_jobs)
    if workers <= 1 or len(slices) >= workers or n_rows <= 1:
        return slices
    return list(gen_batches(n_rows, max(1, -(-n_rows // workers))))
