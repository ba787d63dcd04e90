"""Influence computations on a linear objective, block by block.

Notation (see :mod:`sklinfluence._objective`): ``theta`` has shape ``(K,
cols)``; the loss gradient of sample ``i`` is ``g_i = r_i (x) x_i`` with
``r_i = dl/deta`` (a ``K``-vector) and ``x_i`` the row with a 1 appended for
the intercept. Nothing of size ``n_samples * n_params`` is formed: products
with training gradients go through ``X @ V`` and a contraction with ``r``.

The functions here pair two steps, kept apart as in the literature:
*influence factors* ``H^-1 g_test`` (one linear solve per test point) and
their products with training gradients (one product with ``X`` per block).

Layout. Influence factors are kept as an array ``F`` of shape ``(K, cols,
m)``, one column per test point: ``F[k, :n_features]`` is then a contiguous
``(n_features, m)`` matrix, so a block of training rows meets it in one
BLAS (or sparse-times-dense) product ``X_b @ F[k, :n_features]`` with no
transposed copy, and iterative solvers work on the columns directly.

Memory. Every loop runs over blocks sized by
:func:`sklinfluence._parallel.batch_size` from the bytes a block allocates
per row, so temporaries stay within scikit-learn's ``working_memory``; the
only arrays of size ``n_train * n_test`` are results the caller asked for.
Block tasks receive only their own rows and the shared factors (a
:class:`RowModel` stands in for the objective, which holds the whole
training design), so they are cheap to ship to joblib workers.
"""

import warnings

import numpy as np
from joblib import effective_n_jobs
from scipy import linalg, sparse

from ._parallel import (
    batch_size,
    blocks,
    map_blocks,
    progress,
    result_share,
    split_for_jobs,
)
from .exceptions import ApproximationWarning, ConvergenceWarning

__all__ = ["batch_size", "blocks"]

# With an iterative solver, methods that need one solve per training point
# (leverage, parameter changes) refuse to run over more points than this
# unless the caller names them with ``train_indices``.
MAX_IMPLICIT_SOLVES = 1000


class RowModel:
    """What a block task needs of an objective: the loss and the parameters.

    A light stand-in for :class:`~sklinfluence._objective.LinearObjective`
    (which holds the training design) so that tasks shipped to other
    processes or machines carry only their own rows.
    """

    def __init__(self, objective):
        self.loss = objective.loss
        self.theta = objective.theta
        self.fit_intercept = objective.fit_intercept

    def decision(self, X):
        W = self.theta[:, : X.shape[1]]
        eta = np.asarray(X @ W.T, dtype=np.float64)
        if self.fit_intercept:
            eta += self.theta[:, -1]
        return eta

    def gradient(self, X, y):
        return self.loss.gradient(y, self.decision(X))


def row_bytes(X, extra_floats):
    """Bytes per row of a block of ``X`` plus ``extra_floats`` float64 temporaries."""
    if sparse.issparse(X):
        per_row = 12 * X.nnz / max(X.shape[0], 1) + 8
    else:
        per_row = 8 * X.shape[1]
    return int(per_row + 8 * extra_floats)


def block_rows(X, y, idx, rows):
    """Rows ``idx[rows]`` of ``X`` and ``y``: a view when they are contiguous."""
    sel = idx[rows]
    if len(sel) and sel[-1] - sel[0] + 1 == len(sel) and np.all(np.diff(sel) == 1):
        sl = slice(int(sel[0]), int(sel[-1]) + 1)
        return X[sl], y[sl]
    return X[sel], y[sel]


def take_rows(X, rows):
    return X[rows]


def dense_design(objective, X):
    """The rows of ``X`` with the intercept column, as a dense array."""
    Xd = X.toarray() if sparse.issparse(X) else np.asarray(X, dtype=np.float64)
    if objective.fit_intercept:
        Xd = np.hstack([Xd, np.ones((Xd.shape[0], 1))])
    return Xd


def gradient_coefs(objective, X, y):
    """``r_i = dl/deta`` at the fitted parameters, shape ``(n, K)``."""
    return objective.loss.gradient(y, objective.decision(X))


def outer_rows(objective, R, X):
    """Flat per-sample gradients ``R_i (x) x_i``, shape ``(n, n_params)``.

    Dense in ``n * n_params``: for few rows only (its callers block it).
    """
    Xd = dense_design(objective, X)
    return (R[:, :, None] * Xd[:, None, :]).reshape(len(Xd), -1)


def rhs_columns(shape, fit_intercept, X, R):
    """Gradients ``R_j (x) x_j`` of a block of rows as columns, ``(n_params, b)``."""
    K, cols = shape
    b, d = X.shape
    out = np.empty((K, cols, b))
    for k in range(K):
        if sparse.issparse(X):
            out[k, :d] = X.multiply(R[:, k : k + 1]).T.toarray()
        else:
            out[k, :d] = X.T * R[:, k]
        if fit_intercept:
            out[k, d] = R[:, k]
    return out.reshape(K * cols, b)


def _factor_block(solver, shape, fit_intercept, X, R):
    """Solve ``H F = G^T`` for one block of rows; returns the solver's report."""
    return solver.solve_block(rhs_columns(shape, fit_intercept, X, R))


def influence_factors(objective, solver, X, R, *, n_jobs=None, verbose=0):
    """Influence factors ``H^-1 (R_j (x) x_j)`` as columns: ``(K, cols, m)``.

    Rows of ``X`` are taken in blocks sized by the solver's memory per
    right-hand side, solved in parallel with ``n_jobs``; every solution's
    residual is checked (a warning names those that miss the tolerance).
    """
    K, cols = objective.theta.shape
    m = X.shape[0]
    out = np.empty((K * cols, m))
    slices = blocks(m, solver.bytes_per_rhs + row_bytes(X, 0))
    slices = split_for_jobs(slices, m, n_jobs)
    tasks = (
        (solver, (K, cols), objective.fit_intercept, X[sl], R[sl]) for sl in slices
    )
    reports = []
    results = map_blocks(
        _factor_block,
        tasks,
        n_tasks=len(slices),
        n_jobs=n_jobs,
        verbose=verbose,
        desc="influence factors",
    )
    for sl, (F, iterations, residual) in zip(slices, results, strict=True):
        out[:, sl] = F
        reports.append((iterations, residual))
    solver.check_residuals(
        np.concatenate([r[0] for r in reports]), np.concatenate([r[1] for r in reports])
    )
    return out.reshape(K, cols, m)


def _scores(model, X, y, F, weights=1.0, out=None):
    """``w_i * sum_k r_ik x_i . F[k, :, j]``: weighted gradients times factors.

    Returns the ``(b, m)`` block (written into ``out`` when given). For dense
    rows the block's weighted gradients ``w_i r_i (x) x_i`` (``b x n_params``,
    small next to the ``b x m`` result) are formed and met in one BLAS
    product, so the result is written once. For sparse rows the gradients
    stay sparse: ``K`` sparse-times-dense products, with the intercept added
    as an outer product.
    """
    R = model.gradient(X, y)
    R *= np.asarray(weights, dtype=np.float64).reshape(-1, 1)
    K, cols, m = F.shape
    b, d = X.shape
    if not sparse.issparse(X):
        G = np.empty((b, K, cols))
        np.multiply(R[:, :, None], X[:, None, :], out=G[:, :, :d])
        if model.fit_intercept:
            G[:, :, d] = R
        return np.matmul(G.reshape(b, K * cols), F.reshape(K * cols, m), out=out)
    if out is None:
        out = np.zeros((b, m))
    else:
        out[...] = 0.0
    for k in range(K):
        out += np.asarray(X.multiply(R[:, k : k + 1]).tocsr() @ F[k, :d])
        if model.fit_intercept:
            out += R[:, k : k + 1] * F[k, d]
    return out


def pair_block(model, X, y, F, weights, offset_weights=None, offset=None, out=None):
    """One block of ``weights_i * g_i . F_j (+ offset_weights_i * offset_j)``."""
    out = _scores(model, X, y, F, weights, out=out)
    if offset is not None:
        out += np.asarray(offset_weights)[:, None] * offset[None, :]
    return out


def pair_all(
    objective,
    F,
    idx,
    weights,
    *,
    offset_weights=None,
    offset=None,
    n_jobs=None,
    verbose=0,
    desc="influence",
):
    """The ``(len(idx), m)`` matrix of :func:`pair_block` over training rows ``idx``.

    ``weights`` (and ``offset_weights``) hold one value per selected row, or
    are scalars.
    """
    X, y = objective.X, objective.y
    m = F.shape[-1]
    model = RowModel(objective)
    K, cols = objective.theta.shape
    slices = blocks(
        len(idx),
        row_bytes(X, 2 * m + 4 * K + K * cols),
        max_bytes=result_share(8 * len(idx) * m),
    )
    weights = np.broadcast_to(np.asarray(weights, dtype=np.float64), (len(idx),))
    if offset_weights is not None:
        offset_weights = np.broadcast_to(offset_weights, (len(idx),))

    def tasks():
        for sl in slices:
            Xb, yb = block_rows(X, y, idx, sl)
            ow = None if offset_weights is None else offset_weights[sl]
            yield (model, Xb, yb, F, weights[sl], ow, offset)

    out = np.empty((len(idx), m))
    if effective_n_jobs(n_jobs) == 1:
        # Serial: each block is written in place, the result once.
        for args, sl in zip(
            progress(tasks(), total=len(slices), verbose=verbose, desc=desc),
            slices,
            strict=True,
        ):
            pair_block(*args, out=out[sl])
        return out
    results = map_blocks(
        pair_block,
        tasks(),
        n_tasks=len(slices),
        n_jobs=n_jobs,
        verbose=verbose,
        desc=desc,
    )
    for sl, block in zip(slices, results, strict=True):
        out[sl] = block
    return out


def _top_block(model, X, y, F, scale, k, start):
    """Top-``k`` most negative and most positive scores of one block, per column."""
    scores = _scores(model, X, y, F, scale).T  # (m, b)
    local = np.arange(start, start + scores.shape[1])
    best = _select(scores, k, local)
    worst = _select(-scores, k, local)
    return best, worst


def _select(values, k, labels):
    """The ``k`` smallest of each row of ``values`` and their labels, unsorted."""
    if values.shape[1] > k:
        part = np.argpartition(values, k - 1, axis=1)[:, :k]
        return labels[part], np.take_along_axis(values, part, axis=1)
    return np.broadcast_to(labels, values.shape).copy(), values.copy()


def top_influences(objective, F, k, scale, *, n_jobs=None, verbose=0):
    """Most helpful and most harmful training rows per test column of ``F``.

    Scores are ``scale * g_i . F_j``; each block keeps only its own top ``k``
    per test point, so no ``(n_train, n_test)`` array is formed.

    Returns
    -------
    helpful, harmful : tuple of (indices, scores), each ``(m, k)``
        Sorted from the most negative (helpful) and the most positive
        (harmful) score.
    """
    X, y = objective.X, objective.y
    n, m = X.shape[0], F.shape[-1]
    model = RowModel(objective)
    idx = np.arange(n)
    K, cols = objective.theta.shape
    slices = blocks(
        n, row_bytes(X, 4 * m + 4 * K + K * cols), max_bytes=result_share(8 * n * m)
    )
    tasks = (
        (model, *block_rows(X, y, idx, sl), F, scale, k, sl.start) for sl in slices
    )
    best_idx = worst_idx = np.empty((m, 0), dtype=int)
    best_val = worst_val = np.empty((m, 0))
    results = map_blocks(
        _top_block,
        tasks,
        n_tasks=len(slices),
        n_jobs=n_jobs,
        verbose=verbose,
        desc="explain",
    )
    for (bi, bv), (wi, wv) in results:
        best_idx, best_val = merge_top(best_idx, best_val, bi, bv, k)
        worst_idx, worst_val = merge_top(worst_idx, worst_val, wi, wv, k)
    return (best_idx, best_val), (worst_idx, -worst_val)


def merge_top(idx, val, new_idx, new_val, k):
    """Keep the ``k`` smallest values per row of two candidate sets, sorted."""
    all_idx = np.hstack([idx, new_idx])
    all_val = np.hstack([val, new_val])
    if all_val.shape[1] > k:
        part = np.argpartition(all_val, k - 1, axis=1)[:, :k]
        all_idx = np.take_along_axis(all_idx, part, axis=1)
        all_val = np.take_along_axis(all_val, part, axis=1)
    # Ties are broken by the lower training index, whatever the block layout.
    order = np.lexsort((all_idx, all_val), axis=1) if all_val.size else all_idx
    if all_val.size:
        return (
            np.take_along_axis(all_idx, order, axis=1),
            np.take_along_axis(all_val, order, axis=1),
        )
    return all_idx, all_val


def check_solve_count(solver, n_points, n_outputs, what, explicit):
    """Refuse an implicit request for very many iterative solves.

    With the direct solver every per-point quantity comes from the dense
    inverse. With conjugate gradients, ``what`` costs ``n_outputs`` solves per
    training point; over all points of a large problem that is hours of
    work, so it runs only when the caller names the points.
    """
    n_solves = n_points * n_outputs
    if getattr(solver, "inverse_", None) is not None or explicit:
        return
    if n_solves > MAX_IMPLICIT_SOLVES:
        raise ValueError(
            f"{what} with the conjugate-gradient solver needs {n_outputs} Hessian "
            f"solve(s) per training point, {n_solves} in all for the "
            f"{n_points} training points, each costing up to max_iter passes over "
            "the training data. Pass train_indices to choose the points (for "
            "example the top of a first-order ranking from removal_effect("
            "method='first_order') or explain), or train_indices=np.arange("
            "n_samples) to run over all of them anyway."
        )


def unit_factors(objective, solver, X):
    """``H^-1 (e_k (x) x_j)`` for every row ``j`` and output ``k``: ``(m, K, K, cols)``.

    Index ``[j, k]`` is the parameter direction that moves output ``k`` of row
    ``j``; pairing it with a parameter change gives the change of that score.
    """
    K, cols = objective.theta.shape
    m = X.shape[0]
    out = np.empty((m, K, K, cols))
    eye = np.eye(K)
    for rows in blocks(m, K * (solver.bytes_per_rhs + 8 * K * cols)):
        Xb = X[rows]
        b = Xb.shape[0]
        for k in range(K):
            R = np.broadcast_to(eye[k], (b, K))
            F, iterations, residual = solver.solve_block(
                rhs_columns((K, cols), objective.fit_intercept, Xb, R)
            )
            solver.check_residuals(iterations, residual)
            out[rows, k] = np.moveaxis(F.reshape(K, cols, b), -1, 0)
    return out


def leverage(objective, solver, X):
    """``M_i = A_i^T H^-1 A_i`` with ``A_i = I_K (x) x_i``: shape ``(n, K, K)``.

    For one output this is the scalar ``x_i^T H^-1 x_i``. With the dense
    inverse at hand it costs ``n * n_params**2`` flops, otherwise ``K`` solves
    per row.
    """
    K, cols = objective.theta.shape
    n = X.shape[0]
    out = np.empty((n, K, K))
    inverse = getattr(solver, "inverse_", None)
    if inverse is None:
        for rows in blocks(n, 16 * K * K * cols):
            Xd = dense_design(objective, take_rows(X, rows))
            Y = unit_factors(objective, solver, take_rows(X, rows))
            out[rows] = np.einsum("bklc,bc->blk", Y, Xd)
        return out
    H_blocks = inverse.reshape(K, cols, K, cols).transpose(0, 2, 1, 3)
    for rows in blocks(n, 8 * K * K * cols):
        Xd = dense_design(objective, take_rows(X, rows))
        Y = np.matmul(Xd[None, None], H_blocks)  # (K, K, b, cols)
        out[rows] = np.einsum("klbc,bc->bkl", Y, Xd)
    return out


def newton_coefs(objective, solver, indices):
    """Modified residuals ``q_i`` of the Newton-step removal of each point.

    Removing point ``i`` changes the objective's gradient at ``theta`` by
    ``-(a_i g_i + b_i grad Omega)``, and its Hessian by ``-a_i A_i D_i A_i^T``
    (a rank-``K`` change). By the Woodbury identity the Newton step is

        delta_i = H^-1 A_i q_i + b_i H^-1 grad Omega,
        q_i = a_i r_i + (I - a_i D_i M_i)^-1 a_i D_i (a_i M_i r_i + b_i w_i)

    with ``M_i`` the leverage block and ``w_i = A_i^T H^-1 grad Omega``. For
    averaged objectives the ``O(1/n)`` growth of the remaining weights is
    left out of the Hessian change (it enters the gradient exactly).

    Returns
    -------
    q : ndarray of shape (len(indices), K)
    b : ndarray of shape (len(indices),)
    phi : ndarray of shape (K, cols)
        ``H^-1 grad Omega``.
    """
    X = take_rows(objective.X, indices)
    y = objective.y[indices]
    eta = objective.decision(X)
    r = objective.loss.gradient(y, eta)
    D = objective.loss.hess_blocks(y, eta)
    a, b = objective.removal_coefficients(indices)
    M = leverage(objective, solver, X)

    phi = np.zeros_like(objective.theta)
    w = np.zeros_like(r)
    if np.any(b):
        phi = solver.solve(objective.penalty_gradient().ravel()[None])[0]
        phi = phi.reshape(objective.theta.shape)
        w = objective.design_times(X, phi)

    K = r.shape[1]
    aD = a[:, None, None] * D
    system = np.eye(K)[None] - aD @ M
    warn_high_leverage(indices, np.abs(np.linalg.eigvals(aD @ M)).max(axis=1))
    inner = a[:, None] * np.einsum("bkl,bl->bk", M, r) + b[:, None] * w
    correction = np.linalg.solve(system, np.einsum("bkl,bl->bk", aD, inner)[..., None])
    q = a[:, None] * r + correction[..., 0]
    return q, b, phi


# Beyond this leverage the Newton step divides by (1 - h) < 0.1: the removal
# leaves a direction of little curvature and one step can overshoot badly.
LEVERAGE_WARN = 0.9


def warn_high_leverage(indices, leverages):
    """Warn when removing a point leaves the objective nearly flat somewhere."""
    high = leverages > LEVERAGE_WARN
    if np.any(high):
        worst = np.argmax(leverages)
        warnings.warn(
            f"{int(high.sum())} of {len(leverages)} removed points have a "
            f"leverage above {LEVERAGE_WARN} (largest {leverages[worst]:.4g}, "
            f"training row {np.asarray(indices)[worst]}): without them the "
            "objective is nearly flat in some direction, and a single Newton "
            "step can overshoot. Use method='exact' for these points.",
            ApproximationWarning,
            stacklevel=4,
        )


def newton_refit(objective, theta0, tol=1e-10, max_iter=50, damping=0.0):
    """Minimize ``objective`` by Newton's method from ``theta0``.

    Each step solves with the dense Hessian (plus the softmax null-space lift)
    and backtracks until the objective decreases. Stops when the gradient's
    norm falls below ``tol`` times its norm at the penalty scale.

    Returns
    -------
    theta : ndarray shaped like ``objective.theta``
    converged : bool
    """
    from ._hessian import _project_sum_to_zero

    theta = np.array(theta0, dtype=np.float64)
    K, cols = theta.shape
    value = objective.value(theta.ravel())
    scale = max(np.linalg.norm(objective.gradient(np.zeros(theta.size))), 1e-300)
    for _ in range(max_iter):
        grad = _project_sum_to_zero(
            objective, objective.gradient(theta.ravel()).ravel()
        )
        if np.linalg.norm(grad) <= tol * scale:
            return theta, True
        H = objective.hessian(theta.ravel())
        H[np.diag_indices_from(H)] += damping
        if objective.sum_to_zero:
            H += max(np.mean(np.diag(H)), 1.0) * np.kron(
                np.full((K, K), 1.0 / K), np.eye(cols)
            )
        try:
            step = linalg.solve(H, grad, assume_a="pos")
        except linalg.LinAlgError:
            step = linalg.lstsq(H, grad)[0]
        step = _project_sum_to_zero(objective, step).reshape(K, cols)
        # Backtrack until the objective does not increase; near the optimum
        # the full step is taken and convergence is quadratic.
        t = 1.0
        while t > 1e-10:
            candidate = theta - t * step
            new_value = objective.value(candidate.ravel())
            # Allow for rounding: at the optimum, values agree to ~1e-16.
            if new_value <= value + 1e-13 * abs(value):
                break
            t *= 0.5
        else:
            break
        theta, value = candidate, new_value
    grad = _project_sum_to_zero(objective, objective.gradient(theta.ravel()).ravel())
    return theta, bool(np.linalg.norm(grad) <= tol * scale)


def warn_refit(n_failed, n_total):
    if n_failed:
        warnings.warn(
            f"The exact Newton refit did not converge for {n_failed} of "
            f"{n_total} removed points; their values are from the last iterate. "
            "The objective may have no finite optimum without those points "
            "(e.g. separable data without a penalty).",
            ConvergenceWarning,
            stacklevel=3,
        )
