"""Removal of training points, evaluated where it matters: self-removal and groups.

Two kernels on a :class:`~sklinfluence._objective.LinearObjective`, both built
from the same Newton step that :meth:`BaseInfluence.removal_effect` takes
(notation of :mod:`sklinfluence._influence`: ``A_i = I_K (x) x_i``, ``r_i`` and
``D_i`` the loss gradient and curvature in the scores, ``H`` the Hessian of the
objective, ``phi = H^-1 grad Omega``).

*Self-removal* (approximate leave-one-out). Removing point ``i`` moves its own
scores by ``A_i^T delta_i``; with the Newton step
``delta_i = H^-1 A_i q_i + b_i phi`` this is ``M_i q_i + b_i w_i`` with the
leverage block ``M_i = A_i^T H^-1 A_i`` and ``w_i = A_i^T phi``, so only the
``K x K`` diagonal blocks of the ``n x n`` score-change matrix are needed:
nothing of size ``n**2`` is formed.

*Group removal*. Removing a set ``S`` changes the gradient at ``theta`` by
``-(U r_a + b_S grad Omega)``, with ``U`` the ``n_params x K|S|`` matrix of the
group's ``A_i`` and ``r_a`` the stacked ``a_i r_i``, and the Hessian by
``-U C U^T`` with ``C = blockdiag(a_i D_i)``: a change of rank at most
``K|S|``. By the Woodbury identity, written so that ``C`` (singular for the
softmax) is never inverted,

    (H - U C U^T)^-1 = H^-1 + H^-1 U (I - C M_S)^-1 C U^T H^-1,

with ``M_S = U^T H^-1 U`` the group's (cross-)leverage matrix, the Newton step
is ``delta_S = H^-1 U q_S + b_S phi`` with

    q_S = r_a + (I - C M_S)^-1 C (M_S r_a + b_S w_S).

For one point this is the single-removal step of
:func:`sklinfluence._influence.newton_coefs`.
"""

import numpy as np

from . import _influence as inf


def _removal_weights(objective, indices):
    """``a_i`` of each member and the common ``b`` when ``indices`` leave together.

    Averaged objectives lose the normalizer mass of the whole group at once,
    so ``a_i = scale * s_i / N'`` and ``b = nu_S / N'`` with ``N' = N - nu_S``;
    for summed objectives ``a_i = c_i`` and ``b = 0``.
    """
    nu = objective._removed_mass(indices).sum()
    norm_after = objective.norm - nu
    if norm_after <= 0:
        raise ValueError(
            "A group contains every training point with a positive weight; "
            "nothing would be left to fit."
        )
    a = objective.scale * objective.sample_weight[indices] / norm_after
    return a, nu / norm_after


def _penalty_factor(objective, solver):
    """``phi = H^-1 grad Omega``, needed only by averaged objectives."""
    flat = objective.penalty_gradient().ravel()[None]
    return solver.solve(flat)[0].reshape(objective.theta.shape)


def self_removal_scores(objective, solver, indices, method="newton"):
    """Scores of each point predicted by the model fitted without that point.

    Parameters
    ----------
    objective : LinearObjective
    solver : solver object
        Solves with the full-data Hessian of ``objective``.
    indices : ndarray of int
        Training rows, each removed on its own.
    method : {"first_order", "newton"}
        ``"first_order"``: the parameter change ``H^-1 (a_i g_i + b_i grad
        Omega)`` with the full-data Hessian. ``"newton"``: one Newton step on
        the objective without the point (rank-``K`` Hessian update).

    Returns
    -------
    eta : ndarray of shape (len(indices), n_outputs)
        Leave-one-out linear predictor of each point.
    """
    X = inf.take_rows(objective.X, indices)
    y = objective.y[indices]
    eta = objective.decision(X)
    r = objective.loss.gradient(y, eta)
    a, b = objective.removal_coefficients(indices)
    M = inf.leverage(objective, solver, X)

    w = np.zeros_like(r)
    if np.any(b):
        w = objective.design_times(X, _penalty_factor(objective, solver))

    q = a[:, None] * r
    if method == "newton":
        D = objective.loss.hess_blocks(y, eta)
        K = r.shape[1]
        aD = a[:, None, None] * D
        system = np.eye(K)[None] - aD @ M
        inner = np.einsum("bkl,bl->bk", M, q) + b[:, None] * w
        rhs = np.einsum("bkl,bl->bk", aD, inner)[..., None]
        q = q + np.linalg.solve(system, rhs)[..., 0]
    return eta + np.einsum("bkl,bl->bk", M, q) + b[:, None] * w


def group_parameter_change(objective, solver, indices, method="newton"):
    """Parameter change when the rows ``indices`` are removed together.

    Parameters
    ----------
    objective : LinearObjective
    solver : solver object
    indices : ndarray of int
        Distinct training rows of one group.
    method : {"first_order", "newton"}

    Returns
    -------
    delta : ndarray of shape (n_outputs, n_columns)
    """
    K, cols = objective.theta.shape
    if len(indices) == 0:
        return np.zeros((K, cols))
    X = inf.take_rows(objective.X, indices)
    y = objective.y[indices]
    eta = objective.decision(X)
    r = objective.loss.gradient(y, eta)
    a, b = _removal_weights(objective, indices)
    r_a = (a[:, None] * r).ravel()

    # U has one column per (member, output): the direction e_k (x) x_i.
    Xd = inf.dense_design(objective, X)
    g = len(indices)
    U_T = (np.eye(K)[None, :, :, None] * Xd[:, None, None, :]).reshape(g * K, K * cols)
    Y = solver.solve(U_T)  # rows: H^-1 (e_k (x) x_i)

    phi = np.zeros((K, cols))
    w = np.zeros(g * K)
    if b:
        phi = _penalty_factor(objective, solver)
        w = U_T @ phi.ravel()

    q = r_a
    if method == "newton":
        M = U_T @ Y.T
        D = objective.loss.hess_blocks(y, eta) * a[:, None, None]
        C = np.zeros((g * K, g * K))
        for j in range(g):
            C[j * K : (j + 1) * K, j * K : (j + 1) * K] = D[j]
        system = np.eye(g * K) - C @ M
        q = r_a + np.linalg.solve(system, C @ (M @ r_a + b * w))
    return (q @ Y).reshape(K, cols) + b * phi


# ----------------------------------------------------------------------
# the model-level computations behind the BaseInfluence methods

LOO_METHODS = ("first_order", "newton", "exact")


def _check_method(method, allowed):
    if method not in allowed:
        raise ValueError(f"method must be one of {allowed}; got {method!r}.")
    return method


def loo_decision(model, method="newton", train_indices=None):
    """Leave-one-out linear predictor of training points; see ``loo_loss``."""
    method = _check_method(method, LOO_METHODS)
    obj = model.objective_
    idx = model._train_indices(train_indices)
    if method == "exact":
        thetas = model._exact_refits(idx)
        X = inf.take_rows(obj.X, idx)
        return np.einsum("bkc,bc->bk", thetas, inf.dense_design(obj, X))
    solver = model._solver()
    K = obj.n_outputs
    out = np.empty((len(idx), K))
    for rows in inf.blocks(len(idx), 8 * K * K * obj.n_columns):
        out[rows] = self_removal_scores(obj, solver, idx[rows], method=method)
    return out


def loo_loss(model, method="newton", train_indices=None):
    """Loss of each training point under the model fitted without it.

    The implementation of :meth:`BaseInfluence.loo_loss`.
    """
    obj = model.objective_
    idx = model._train_indices(train_indices)
    eta = loo_decision(model, method=method, train_indices=idx)
    return obj.loss.loss(obj.y[idx], eta)


def _check_groups(groups, n_samples):
    """A list of distinct-row index arrays, one per group."""
    message = (
        "groups must be a list of groups, each an array of integer row "
        "positions into the training data or a boolean mask over it; wrap a "
        "single group in a list, e.g. groups=[indices]."
    )
    if isinstance(groups, np.ndarray) and groups.ndim == 2:
        groups = list(groups)
    if not isinstance(groups, (list, tuple)) or len(groups) == 0:
        raise ValueError(message)
    checked = []
    for group in groups:
        group = np.asarray(group)
        if group.ndim != 1:
            raise ValueError(message)
        if group.dtype == bool:
            if group.shape != (n_samples,):
                raise ValueError(
                    f"A boolean group must have one entry per training sample "
                    f"({n_samples}); got shape {group.shape}."
                )
            group = np.flatnonzero(group)
        elif group.size == 0:
            group = group.astype(int)
        elif not np.issubdtype(group.dtype, np.integer):
            raise ValueError(message)
        if group.size and (group.min() < -n_samples or group.max() >= n_samples):
            raise ValueError(
                f"Group indices must lie in [-{n_samples}, {n_samples}) for "
                f"{n_samples} training samples (negative values count from the "
                "end; repeated indices count once)."
            )
        checked.append(np.unique(group % n_samples))
    return checked


GROUP_METHODS = ("first_order", "newton", "exact")


def group_removal_effect(model, X, y=None, *, groups, method="newton"):
    """Change of each test loss when each group of training points is removed.

    The implementation of :meth:`BaseInfluence.group_removal_effect`.
    """
    method = _check_method(method, GROUP_METHODS)
    obj = model.objective_
    groups = _check_groups(groups, obj.X.shape[0])
    for group in groups:
        model._check_removals(group, together=True)
    design, y = model._test_problem(X, y)
    eta_test = obj.decision(design)
    base_loss = obj.loss.loss(y, eta_test)
    out = np.empty((len(groups), design.shape[0]))

    if method == "exact":
        failed = 0
        for row, group in enumerate(groups):
            theta, ok = inf.newton_refit(obj.without(group), obj.theta)
            failed += not ok
            out[row] = obj.loss.loss(y, obj.decision(design, theta.ravel()))
        inf.warn_refit(failed, len(groups))
        return out - base_loss

    solver = model._solver()
    R_test = inf.gradient_coefs(obj, design, y)
    for row, group in enumerate(groups):
        delta = group_parameter_change(obj, solver, group, method=method)
        if method == "first_order":
            # The test loss linearized: its gradient dotted with the change.
            score_change = obj.design_times(design, delta)
            out[row] = np.einsum("mk,mk->m", R_test, score_change)
        else:
            new_eta = obj.decision(design, (obj.theta + delta).ravel())
            out[row] = obj.loss.loss(y, new_eta) - base_loss
    return out
