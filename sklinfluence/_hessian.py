"""Linear solves with the Hessian of a training objective.

Two solvers share one interface, ``solve(B)`` for a stack of right-hand sides:

- ``"direct"``: an eigendecomposition of the dense Hessian. It gives the
  condition number for free, and a pseudo-inverse on numerically singular
  directions (with a warning) instead of infinities.
- ``"cg"``: preconditioned conjugate gradients from :mod:`scipy.sparse.linalg`
  on a :class:`~scipy.sparse.linalg.LinearOperator` of Hessian-vector
  products, with the Hessian's diagonal as preconditioner. Nothing of size
  ``n_params**2`` is formed, so it serves sparse, high-dimensional designs.

The softmax null space. For multinomial models, adding one constant to every
class's parameters (the same vector ``u`` added to each row of ``theta``)
leaves the loss unchanged, so the data Hessian vanishes on those directions;
with an unpenalized intercept the full Hessian is singular there. The
Hessian maps the subspace ``S = {V : sum_k V[k] = 0}`` into itself, and so
its complement, and every loss gradient lies in ``S`` (softmax residuals sum
to zero over classes). We therefore solve with ``H + mu * J``, where ``J`` is
the orthogonal projector onto the complement of ``S``: this leaves the
solution of any right-hand side in ``S`` unchanged while making the system
nonsingular. Right-hand sides are projected onto ``S`` first.
"""

import warnings

import numpy as np
from scipy import linalg, sparse
from scipy.linalg import lapack

from ._parallel import block_budget, blocks, map_blocks, split_for_jobs
from .exceptions import ConvergenceWarning, IllConditionedHessianWarning

# Above this many parameters, ``solver="auto"`` switches from a dense
# factorization (O(n_params**3)) to conjugate gradients.
DIRECT_MAX_PARAMS = 2000

# Condition numbers beyond this make influences sensitive to rounding and to
# tiny changes of the data; we warn.
CONDITION_WARN = 1e10


def _project_sum_to_zero(objective, B):
    """Project flat parameter vectors (rows of ``B``) onto ``S``."""
    if not objective.sum_to_zero:
        return B
    V = objective.unravel(B)
    V = V - V.mean(axis=-2, keepdims=True)
    return V.reshape(B.shape)


def _project_columns(sum_to_zero, shape, B):
    """Project the columns of ``B`` (shape ``(n_params, m)``) onto ``S``."""
    if not sum_to_zero:
        return B
    K, cols = shape
    V = B.reshape(K, cols, -1)
    return (V - V.mean(axis=0, keepdims=True)).reshape(B.shape)


def _add_lift(H, mu, K, cols):
    """Add ``mu * J`` (``J = (1/K) 11^T (x) I``) to ``H`` in place."""
    H4 = H.reshape(K, cols, K, cols)
    diag = np.arange(cols)
    for k in range(K):
        for m in range(K):
            H4[k, diag, m, diag] += mu / K


class HessianOperator:
    """The Hessian of a linear objective at its fitted parameters, as an operator.

    ``H = sum_i c_i A_i D_i A_i^T + diag(P) + damping * I``, with ``A_i = I_K
    (x) [x_i, 1]`` and ``D_i`` the loss curvature in the linear predictor.
    The curvature is evaluated once, here, so a product costs two passes over
    ``X`` (dense or sparse) and nothing of size ``n_params**2`` is formed.
    For softmax models ``mu * J`` lifts the null space (module docstring)
    when ``lift=True``.

    Parameters
    ----------
    objective : LinearObjective
    damping : float, default=0.0
    lift : bool, default=True
    """

    def __init__(self, objective, damping=0.0, lift=True):
        self.X = objective.X
        self.shape_ = objective.theta.shape
        self.fit_intercept = objective.fit_intercept
        self.sum_to_zero = objective.sum_to_zero
        self.ridge = (objective.penalty + damping).ravel()
        n = self.X.shape[0]
        K = self.shape_[0]
        eta = objective.decision(self.X)
        c = objective.data_weights()
        if K == 1:
            self._curv = objective.loss.hess_blocks(objective.y, eta)[:, 0, 0] * c
        elif n * K * K * 8 <= 4 * block_budget():
            self._curv = objective.loss.hess_blocks(objective.y, eta) * c[:, None, None]
        else:
            # Too large to keep per sample: apply the loss's curvature on demand.
            self._curv = None
            self._loss, self._y, self._eta, self._c = (
                objective.loss,
                objective.y,
                eta,
                c,
            )
        self.mu = 0.0
        if lift and self.sum_to_zero:
            self.mu = max(float(np.mean(self.diagonal(lifted=False))), 1.0)

    @property
    def n_params(self):
        return self.shape_[0] * self.shape_[1]

    def _curvature_blocks(self, rows):
        """``c_i D_i`` for a slice of rows, shape ``(b, K, K)``."""
        if self._curv is None:
            sl = slice(rows.start, rows.stop)
            D = self._loss.hess_blocks(self._y[sl], self._eta[sl])
            return D * self._c[sl, None, None]
        if self._curv.ndim == 1:
            return self._curv[rows, None, None]
        return self._curv[rows]

    def _apply_curvature(self, U):
        """``c_i D_i U_i`` for ``U`` of shape ``(n, K, b)``."""
        if self._curv is None:
            out = np.empty_like(U)
            for j in range(U.shape[2]):
                out[:, :, j] = self._loss.hess_apply(self._y, self._eta, U[:, :, j])
            return out * self._c[:, None, None]
        if self._curv.ndim == 1:
            return U * self._curv[:, None, None]
        return np.matmul(self._curv, U)

    def matmat(self, V):
        """``H V`` for a stack of parameter vectors as columns, ``(n_params, b)``."""
        K, cols = self.shape_
        b = V.shape[1]
        d = self.X.shape[1]
        V3 = V.reshape(K, cols, b)

        # Scores of every sample along every direction: U[i, k, j] = x_i . V[k, :, j].
        if K == 1:
            U = np.asarray(self.X @ V3[0, :d])
            if self.fit_intercept:
                U += V3[0, d]
            U *= self._curv[:, None]
            Q = U[:, None, :]
        else:
            U = np.empty((self.X.shape[0], K, b))
            for k in range(K):
                U[:, k] = self.X @ V3[k, :d]
                if self.fit_intercept:
                    U[:, k] += V3[k, d]
            Q = self._apply_curvature(U)

        # Back to parameters: out[k] = X_tilde^T Q[:, k].
        out = np.empty((K, cols, b))
        for k in range(K):
            Qk = Q[:, k]
            out[k, :d] = np.asarray(self.X.T @ Qk)
            if self.fit_intercept:
                out[k, d] = Qk.sum(axis=0)
        out = out.reshape(-1, b)
        out += self.ridge[:, None] * V
        if self.mu:
            out += self.mu * np.broadcast_to(V3.mean(axis=0), V3.shape).reshape(-1, b)
        return out

    def diagonal(self, lifted=True):
        """Diagonal of ``H``, from one pass over ``X`` in blocks."""
        K, cols = self.shape_
        n, d = self.X.shape
        diag = np.zeros((K, cols))
        if sparse.issparse(self.X):
            # Per stored entry: its square, its weight and their product.
            per_row = 24 * self.X.nnz / max(n, 1) + 8 * (K * K + 1)
        else:
            per_row = 8 * (2 * d + K * K)
        for rows in blocks(n, per_row):
            D = self._curvature_blocks(rows)
            Dkk = np.diagonal(D, axis1=1, axis2=2)  # (b, K)
            Xb = self.X[rows]
            if sparse.issparse(Xb):
                Xb = Xb.tocsr()
                counts = np.diff(Xb.indptr)
                sq = Xb.data**2
                for k in range(K):
                    weights = sq * np.repeat(Dkk[:, k], counts)
                    diag[k, :d] += np.bincount(Xb.indices, weights, minlength=d)
            else:
                diag[:, :d] += Dkk.T @ (Xb * Xb)
            diag[:, -1] += Dkk.sum(axis=0) if self.fit_intercept else 0.0
        if not self.fit_intercept:
            diag[:, -1] += 0.0
        diag = diag.ravel() + self.ridge
        if lifted and self.mu:
            diag += self.mu / K
        return diag

    def dense(self, lifted=True):
        """The dense ``(n_params, n_params)`` Hessian, assembled block by block.

        Each block of rows adds ``X_b^T diag(c D_kl) X_b`` to the ``(k, l)``
        block, so no copy of ``X`` is made; diagonal blocks, whose weights
        are non-negative for a convex loss, use a symmetric rank-b update
        (``S^T S`` with ``S = diag(sqrt(w)) X_b``), half the flops of a
        general product.
        """
        K, cols = self.shape_
        n, d = self.X.shape
        H = np.zeros((K, cols, K, cols))
        is_sparse = sparse.issparse(self.X)
        for rows in blocks(n, 8 * (3 * cols + K * K)):
            D = self._curvature_blocks(rows)
            Xb = self.X[rows]
            if is_sparse and self.fit_intercept:
                ones = np.ones((Xb.shape[0], 1))
                Xb = sparse.hstack([Xb, ones], format="csr")
            for k in range(K):
                for m in range(k, K):
                    w = D[:, k, m]
                    if is_sparse:
                        gram = (Xb.T @ Xb.multiply(w[:, None])).toarray()
                    elif k == m and w.min() >= 0:
                        S = self._scaled_design(Xb, np.sqrt(w))
                        gram = S.T @ S
                    else:
                        gram = self._scaled_design(Xb, w).T @ self._scaled_design(
                            Xb, np.ones_like(w)
                        )
                    H[k, :, m, :] += gram
                    if m != k:
                        H[m, :, k, :] += gram.T
        H = H.reshape(K * cols, K * cols)
        H[np.diag_indices_from(H)] += self.ridge
        if lifted and self.mu:
            _add_lift(H, self.mu, K, cols)
        return H

    def _scaled_design(self, Xb, w):
        """``diag(w) [X_b, 1]`` in one dense array."""
        d = Xb.shape[1]
        S = np.empty((Xb.shape[0], d + self.fit_intercept))
        np.multiply(Xb, w[:, None], out=S[:, :d])
        if self.fit_intercept:
            S[:, d] = w
        return S


class DirectSolver:
    """Solve ``H x = b`` with the dense Hessian, factorized once.

    A Cholesky factorization serves when the Hessian is clearly positive
    definite (LAPACK's condition estimate below ``CONDITION_WARN /
    n_params``); otherwise an eigendecomposition gives the exact condition
    number, a warning, and a pseudo-inverse on numerically singular
    directions instead of infinities.

    Parameters
    ----------
    objective : LinearObjective
    damping : float
        Added to every diagonal entry of ``H`` (the Hessian of the objective
        as the estimator writes it, in the units of its penalty).
    hessian : ndarray, default=None
        A Hessian already computed for ``objective`` (without damping).

    Attributes
    ----------
    inverse_ : ndarray of shape (n_params, n_params)
        The inverse of ``H`` on ``S`` (the pseudo-inverse where singular).
    condition_number_ : float
        The 2-norm condition number when the eigendecomposition ran, else
        LAPACK's estimate of the 1-norm condition number (within a factor
        ``n_params`` of the former).
    """

    name = "direct"
    bytes_per_rhs = None  # set in __init__

    def __init__(self, objective, damping=0.0, hessian=None):
        # The objective (which holds the training data) is not kept, so the
        # solver is cheap to ship to parallel workers.
        self.n_jobs = None
        self.verbose = 0
        self._sum_to_zero = objective.sum_to_zero
        self._shape = objective.theta.shape

        def damped_lifted_hessian():
            if hessian is None:
                H = HessianOperator(objective, damping=damping, lift=False).dense()
            else:
                H = hessian.copy()
                H[np.diag_indices_from(H)] += damping
            if objective.sum_to_zero:
                _add_lift(H, max(np.mean(np.diag(H)), 1.0), *objective.theta.shape)
            return H

        H = damped_lifted_hessian()
        p = H.shape[0]
        self.bytes_per_rhs = 8 * 2 * p

        # Factorize: Cholesky when clearly positive definite, else eigh (on a
        # fresh copy: the failed factorization may have overwritten H).
        self._factor = self._cholesky(H)
        self._inverse = None
        if self._factor is None:
            H = damped_lifted_hessian()
            self._inverse = self._restrict(self._eigh_inverse(H))

    def _restrict(self, inverse):
        # Restricted to S on both sides, this is the inverse of H on S and
        # zero on the null space: the operator every solve applies.
        if not self._sum_to_zero:
            return inverse
        inverse = _project_columns(True, self._shape, inverse)
        return np.ascontiguousarray(_project_columns(True, self._shape, inverse.T))

    @property
    def inverse_(self):
        """The inverse of ``H`` on ``S`` (the pseudo-inverse where singular)."""
        if self._inverse is None:
            inverse, info = lapack.dpotri(self._factor, lower=1)
            inverse = np.tril(inverse)
            self._inverse = self._restrict(inverse + np.tril(inverse, -1).T)
        return self._inverse

    def _cholesky(self, H):
        """The lower Cholesky factor of ``H``, or None if not clearly SPD.

        ``H`` is overwritten (the factor takes its memory); the caller
        rebuilds it for the eigendecomposition when None is returned.
        """
        anorm = float(np.abs(H).sum(axis=0).max())
        try:
            factor = linalg.cholesky(H, lower=True, overwrite_a=True)
        except linalg.LinAlgError:
            return None
        rcond, info = lapack.dpocon(factor, anorm, uplo="L")
        if info != 0 or not rcond > H.shape[0] / CONDITION_WARN:
            return None
        self.condition_number_ = float(1.0 / rcond)
        return factor

    def _eigh_inverse(self, H):
        evals, evecs = linalg.eigh(H)
        largest = max(abs(evals[-1]), np.finfo(float).tiny)
        cutoff = largest * H.shape[0] * np.finfo(float).eps
        singular = evals <= cutoff
        self.condition_number_ = np.inf if singular.any() else float(largest / evals[0])
        if singular.any():
            warnings.warn(
                f"The Hessian is singular: {int(singular.sum())} of its "
                f"{H.shape[0]} eigenvalues are zero or negative at the fitted "
                f"parameters (smallest {evals[0]:.3g}, largest {largest:.3g}). "
                "Influences are computed with a pseudo-inverse on the rest and "
                "are unreliable along those directions; add a penalty to the "
                "model (e.g. a finite C) or set damping > 0.",
                IllConditionedHessianWarning,
                stacklevel=4,
            )
        elif self.condition_number_ > CONDITION_WARN:
            warnings.warn(
                f"The Hessian is ill-conditioned (condition number "
                f"{self.condition_number_:.3g}); influences may be dominated by "
                "rounding. Add a penalty to the model or set damping > 0.",
                IllConditionedHessianWarning,
                stacklevel=4,
            )
        inv_evals = np.where(singular, 0.0, 1.0 / np.where(singular, 1.0, evals))
        return (evecs * inv_evals) @ evecs.T

    def solve_columns(self, B):
        """Solve for each column of ``B`` (shape ``(n_params, m)``)."""
        if self._inverse is not None:
            return self._inverse @ B
        B = _project_columns(self._sum_to_zero, self._shape, np.asarray(B, float))
        X = linalg.cho_solve((self._factor, True), B)
        return _project_columns(self._sum_to_zero, self._shape, X)

    def solve(self, B):
        """Solve for each row of ``B`` (shape ``(m, n_params)``)."""
        return self.solve_columns(np.atleast_2d(B).T).T

    def solve_block(self, B):
        """Solutions of the columns of ``B`` with (zero) iterations and residuals."""
        m = B.shape[1]
        return self.solve_columns(B), np.zeros(m, dtype=int), np.zeros(m)

    def check_residuals(self, iterations, residual):
        """Nothing to check for a factorization."""


def _pcg(operator, B, inv_diag, tol, maxiter):
    """Preconditioned CG run on every column of ``B`` at once.

    Each column follows its own CG recurrence (its own step lengths), exactly
    as if solved alone; only the Hessian products are shared, one pass over
    the data for all active columns. A column stops when its relative
    residual ``||b - H x|| / ||b||`` reaches ``tol``. Returns the solutions,
    the iterations per column and the true relative residual of each, from
    one more product (never the recurrence's estimate).
    """
    # Set up: x = 0, r = b, z = M^-1 r, p = z.
    p_dim, m = B.shape
    X = np.zeros((p_dim, m))
    iterations = np.zeros(m, dtype=int)
    norm_b = np.linalg.norm(B, axis=0)
    active = np.flatnonzero(norm_b > 0)
    R = B[:, active].copy()
    Xa = np.zeros_like(R)
    Z = inv_diag[:, None] * R
    P = Z.copy()
    rz = np.einsum("ij,ij->j", R, Z)

    # Iterate; drop columns as they converge so later products shrink.
    for _ in range(maxiter):
        if active.size == 0:
            break
        AP = operator.matmat(P)
        pAp = np.einsum("ij,ij->j", P, AP)
        curvature_ok = pAp > 0
        alpha = np.where(curvature_ok, rz / np.where(curvature_ok, pAp, 1.0), 0.0)
        Xa += alpha * P
        R -= alpha * AP
        iterations[active] += 1
        residual = np.linalg.norm(R, axis=0) / norm_b[active]
        done = (residual <= tol) | ~curvature_ok | ~np.isfinite(residual)
        if done.any():
            X[:, active[done]] = Xa[:, done]
            keep = ~done
            active, R, P, Xa, rz = (
                active[keep],
                R[:, keep],
                P[:, keep],
                Xa[:, keep],
                rz[keep],
            )
            if active.size == 0:
                break
        Z = inv_diag[:, None] * R
        rz_new = np.einsum("ij,ij->j", R, Z)
        P *= rz_new / rz
        P += Z
        rz = rz_new
    X[:, active] = Xa

    # Test for stopping honestly: the true residual of every column.
    true_residual = np.zeros(m)
    nonzero = norm_b > 0
    if nonzero.any():
        Rt = operator.matmat(X[:, nonzero]) - B[:, nonzero]
        true_residual[nonzero] = np.linalg.norm(Rt, axis=0) / norm_b[nonzero]
    return X, iterations, true_residual


class CGSolver:
    """Solve ``H x = b`` by preconditioned conjugate gradients, many ``b`` at once.

    The Hessian is a :class:`HessianOperator` (two passes over ``X`` per
    product, nothing of size ``n_params**2``) and the preconditioner its
    diagonal. Right-hand sides are solved in chunks sized to the memory
    budget; within a chunk all columns share each pass over the data (every
    column keeps its own CG recurrence, so the iterates are those of solving
    it alone), and chunks run in parallel through joblib with ``n_jobs``.
    Every column's true residual is checked; a warning reports those that
    miss ``tol`` with the residual and the iteration count.

    Parameters
    ----------
    objective : LinearObjective
    damping : float
        Added to the diagonal of ``H``, as for :class:`DirectSolver`.
    tol : float
        Relative residual ``||H x - b|| / ||b||`` to reach.
    max_iter : int or None
        Iteration cap per right-hand side; ``None`` means ``10 * n_params``.
    """

    name = "cg"

    def __init__(self, objective, damping=0.0, tol=1e-8, max_iter=None):
        self._sum_to_zero = objective.sum_to_zero
        self._shape = objective.theta.shape
        self.tol = tol
        self.max_iter = max_iter
        self.n_jobs = None
        self.verbose = 0
        self.condition_number_ = None
        self.operator_ = HessianOperator(objective, damping=damping)
        diag = self.operator_.diagonal()
        # Jacobi preconditioner: cheap, and it removes the scale differences
        # between features that slow CG down most on unscaled data.
        self.inv_diag_ = 1.0 / np.where(diag > 0, diag, 1.0)
        n, p = objective.X.shape[0], objective.n_params
        # x, r, z, p, Hp, b and a copy per column, plus two scores per sample.
        self.bytes_per_rhs = 8 * (8 * p + 3 * n * objective.n_outputs)

    def solve_block(self, B):
        """Solve the columns of ``B`` here, serially; reports as :func:`_pcg`."""
        B = _project_columns(
            self._sum_to_zero, self._shape, np.asarray(B, dtype=np.float64)
        )
        return _pcg(self.operator_, B, self.inv_diag_, self.tol, self._maxiter())

    def solve_columns(self, B):
        """Solve for each column of ``B`` (``(n_params, m)``), in parallel chunks."""
        B = _project_columns(
            self._sum_to_zero, self._shape, np.asarray(B, dtype=np.float64)
        )
        m = B.shape[1]
        slices = split_for_jobs(blocks(m, self.bytes_per_rhs), m, self.n_jobs)
        tasks = (
            (self.operator_, B[:, sl], self.inv_diag_, self.tol, self._maxiter())
            for sl in slices
        )
        out = np.empty_like(B)
        iterations = np.empty(m, dtype=int)
        residual = np.empty(m)
        results = map_blocks(
            _pcg,
            tasks,
            n_tasks=len(slices),
            n_jobs=self.n_jobs,
            verbose=self.verbose,
            desc="CG solves",
        )
        for sl, (X, its, res) in zip(slices, results, strict=True):
            out[:, sl], iterations[sl], residual[sl] = X, its, res
        self.check_residuals(iterations, residual)
        return out

    def solve(self, B):
        """Solve for each row of ``B`` (shape ``(m, n_params)``)."""
        return self.solve_columns(np.atleast_2d(B).T).T

    def _maxiter(self):
        return self.max_iter or 10 * self.operator_.n_params

    def check_residuals(self, iterations, residual):
        """Warn for every right-hand side whose true residual misses ``tol``."""
        # Never return a partial answer silently.
        failed = ~np.isfinite(residual) | (residual > 10 * self.tol)
        if failed.any():
            worst = int(np.argmax(np.where(np.isfinite(residual), residual, np.inf)))
            warnings.warn(
                f"Conjugate gradients did not converge for {int(failed.sum())} of "
                f"{len(residual)} right-hand sides: worst relative residual "
                f"{residual[worst]:.3g} after {iterations[worst]} iterations "
                f"(tol={self.tol:g}). The Hessian is probably ill-conditioned; set "
                "damping > 0, raise max_iter, or use solver='direct' if the "
                "parameter count allows.",
                ConvergenceWarning,
                stacklevel=3,
            )


def make_solver(objective, solver="auto", damping=0.0, tol=1e-8, max_iter=None):
    """Build the solver named by ``solver`` for ``objective``."""
    if solver == "auto":
        solver = "direct" if objective.n_params <= DIRECT_MAX_PARAMS else "cg"
    if solver == "direct":
        return DirectSolver(objective, damping=damping)
    return CGSolver(objective, damping=damping, tol=tol, max_iter=max_iter)
