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
from scipy import linalg
from scipy.sparse.linalg import LinearOperator, cg

from .exceptions import ConvergenceWarning, IllConditionedHessianWarning

# Above this many parameters, ``solver="auto"`` switches from a dense
# eigendecomposition (O(n_params**3)) to conjugate gradients.
DIRECT_MAX_PARAMS = 2000

# Condition numbers beyond this make influences sensitive to rounding and to
# tiny changes of the data; we warn.
CONDITION_WARN = 1e10


def _project_sum_to_zero(objective, B):
    """Project flat parameter vectors onto ``S``, where class rows sum to zero."""
    if not objective.sum_to_zero:
        return B
    V = objective.unravel(B)
    V = V - V.mean(axis=-2, keepdims=True)
    return V.reshape(B.shape)


class DirectSolver:
    """Solve ``H x = b`` through an eigendecomposition of the dense Hessian.

    Parameters
    ----------
    objective : LinearObjective
    damping : float
        Added to every diagonal entry of ``H`` (the Hessian of the objective
        as the estimator writes it, in the units of its penalty).
    hessian : ndarray, default=None
        A Hessian already computed for ``objective``.
    """

    name = "direct"

    def __init__(self, objective, damping=0.0, hessian=None):
        self.objective = objective
        H = objective.hessian() if hessian is None else hessian.copy()
        H[np.diag_indices_from(H)] += damping

        # Lift the softmax null space; see the module docstring.
        if objective.sum_to_zero:
            K, cols = objective.theta.shape
            mu = max(np.mean(np.diag(H)), 1.0)
            J = np.kron(np.full((K, K), 1.0 / K), np.eye(cols))
            H += mu * J

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
                stacklevel=3,
            )
        elif self.condition_number_ > CONDITION_WARN:
            warnings.warn(
                f"The Hessian is ill-conditioned (condition number "
                f"{self.condition_number_:.3g}); influences may be dominated by "
                "rounding. Add a penalty to the model or set damping > 0.",
                IllConditionedHessianWarning,
                stacklevel=3,
            )
        inv_evals = np.where(singular, 0.0, 1.0 / np.where(singular, 1.0, evals))
        inverse = (evecs * inv_evals) @ evecs.T

        # Restricted to S on both sides, this is the inverse of H on S and
        # zero on the null space: the operator every solve applies.
        inverse = _project_sum_to_zero(objective, inverse)
        self.inverse_ = _project_sum_to_zero(objective, inverse.T)

    def solve(self, B):
        """Solve for each row of ``B`` (shape ``(m, n_params)``)."""
        return np.atleast_2d(B) @ self.inverse_


class CGSolver:
    """Solve ``H x = b`` by preconditioned conjugate gradients.

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
        self.objective = objective
        self.tol = tol
        self.max_iter = max_iter
        self.condition_number_ = None
        p = objective.n_params
        shape = objective.theta.shape

        self._mu = 0.0
        diag = objective.hessian_diagonal().ravel() + damping
        if objective.sum_to_zero:
            self._mu = max(float(np.mean(diag)), 1.0)
            diag = diag + self._mu / shape[0]

        def matvec(v):
            V = v.reshape(shape)
            out = objective.hessp(V) + damping * V
            if self._mu:
                out = out + self._mu * V.mean(axis=0, keepdims=True)
            return out.ravel()

        self.operator_ = LinearOperator((p, p), matvec=matvec, dtype=np.float64)
        # Jacobi preconditioner: cheap, and it removes the scale differences
        # between features that slow CG down most on unscaled data.
        inv_diag = 1.0 / np.where(diag > 0, diag, 1.0)
        self.preconditioner_ = LinearOperator(
            (p, p), matvec=lambda v: inv_diag * v, dtype=np.float64
        )

    def _solve_one(self, b):
        iterations = 0

        def count(_):
            nonlocal iterations
            iterations += 1

        norm_b = np.linalg.norm(b)
        if norm_b == 0:
            return np.zeros_like(b), 0, 0.0
        maxiter = self.max_iter or 10 * b.size
        x, _ = cg(
            self.operator_,
            b,
            rtol=self.tol,
            maxiter=maxiter,
            M=self.preconditioner_,
            callback=count,
        )
        residual = np.linalg.norm(self.operator_ @ x - b) / norm_b
        return x, iterations, residual

    def solve(self, B):
        """Solve for each row of ``B``; warn for every right-hand side that fails."""
        B = _project_sum_to_zero(self.objective, np.atleast_2d(B))
        out = np.empty_like(B, dtype=np.float64)
        failed = []
        for row, b in enumerate(B):
            out[row], iterations, residual = self._solve_one(b)
            # Never return a partial answer silently: check the true residual.
            if not np.isfinite(residual) or residual > 10 * self.tol:
                failed.append((iterations, residual))
        if failed:
            worst = max(failed, key=lambda f: f[1])
            warnings.warn(
                f"Conjugate gradients did not converge for {len(failed)} of "
                f"{len(B)} right-hand sides: worst relative residual "
                f"{worst[1]:.3g} after {worst[0]} iterations (tol={self.tol:g}). "
                "The Hessian is probably ill-conditioned; set damping > 0, raise "
                "max_iter, or use solver='direct' if the parameter count allows.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return out


def make_solver(objective, solver="auto", damping=0.0, tol=1e-8, max_iter=None):
    """Build the solver named by ``solver`` for ``objective``."""
    if solver == "auto":
        solver = "direct" if objective.n_params <= DIRECT_MAX_PARAMS else "cg"
    if solver == "direct":
        return DirectSolver(objective, damping=damping)
    return CGSolver(objective, damping=damping, tol=tol, max_iter=max_iter)
