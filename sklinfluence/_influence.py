"""Influence computations on a linear objective, block by block.

Notation (see :mod:`sklinfluence._objective`): ``theta`` has shape ``(K,
cols)``; the loss gradient of sample ``i`` is ``g_i = r_i (x) x_i`` with
``r_i = dl/deta`` (a ``K``-vector) and ``x_i`` the row with a 1 appended for
the intercept. Nothing of size ``n_samples * n_params`` is formed: products
with training gradients go through ``X @ V`` and a contraction with ``r``.

The functions here pair two steps, kept apart as in the literature:
*influence factors* ``H^-1 g_test`` (one linear solve per test point) and
their products with training gradients (one product with ``X`` per block).
"""

import warnings

import numpy as np
from scipy import linalg, sparse
from sklearn import get_config
from sklearn.utils import gen_batches

from .exceptions import ApproximationWarning, ConvergenceWarning


def batch_size(bytes_per_row, n_rows):
    """Rows per block so that a block stays within sklearn's ``working_memory``."""
    budget = get_config()["working_memory"] * 2**20
    return int(min(max(1, budget // max(bytes_per_row, 1)), max(n_rows, 1)))


def blocks(n_rows, bytes_per_row):
    return gen_batches(n_rows, batch_size(bytes_per_row, n_rows))


def take_rows(X, rows):
    return X[rows] if not sparse.issparse(X) else X[rows]


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
    """Flat per-sample gradients ``R_i (x) x_i``, shape ``(n, n_params)``."""
    Xd = dense_design(objective, X)
    return (R[:, :, None] * Xd[:, None, :]).reshape(len(Xd), -1)


def solve_outer(objective, solver, R, X):
    """Influence factors ``H^-1 (R_j (x) x_j)`` as an array ``(m, K, cols)``."""
    K, cols = objective.theta.shape
    out = np.empty((X.shape[0], K, cols))
    for rows in blocks(X.shape[0], 16 * K * cols):
        rhs = outer_rows(objective, R[rows], take_rows(X, rows))
        out[rows] = solver.solve(rhs).reshape(-1, K, cols)
    return out


def pair_products(objective, X, R, F):
    """``sum_k R[i, k] * x_i . F[j, k]`` for every ``i`` and ``j``: ``(n, m)``.

    ``F`` has shape ``(m, K, cols)``; the result is ``G_train @ F_flat.T``
    without forming ``G_train``.
    """
    m, K, cols = F.shape
    Z = objective.design_times(X, F.reshape(m * K, cols)).reshape(-1, m, K)
    return np.einsum("imk,ik->im", Z, R)


def unit_factors(objective, solver, X):
    """``H^-1 (e_k (x) x_j)`` for every row ``j`` and output ``k``: ``(m, K, K, cols)``.

    Index ``[j, k]`` is the parameter direction that moves output ``k`` of row
    ``j``; pairing it with a parameter change gives the change of that score.
    """
    K, cols = objective.theta.shape
    m = X.shape[0]
    eye = np.eye(K)
    out = np.empty((m, K, K, cols))
    for rows in blocks(m, 16 * K * K * cols):
        Xd = dense_design(objective, take_rows(X, rows))
        b = Xd.shape[0]
        rhs = (eye[None, :, :, None] * Xd[:, None, None, :]).reshape(b * K, K * cols)
        out[rows] = solver.solve(rhs).reshape(b, K, K, cols)
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


def newton_coefs(objective, solver, indices, penalty_factor=None):
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
