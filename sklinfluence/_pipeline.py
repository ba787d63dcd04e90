"""Feature names and input Jacobians of the fitted steps in front of the model.

When the wrapped estimator is a :class:`~sklearn.pipeline.Pipeline`, influence
is taken on its final step, in the features that step sees. This module maps
those features back to what the user gave:

- :func:`model_feature_names` names them with the transforms'
  ``get_feature_names_out``;
- :func:`input_jacobian` gives ``d (model features) / d (raw columns)`` for
  preprocessing that is affine in its input once fitted (scalers, PCA and
  their :class:`~sklearn.compose.ColumnTransformer` and ``Pipeline``
  combinations, with ``"passthrough"`` and ``"drop"``). Steps with no such
  derivative (one-hot encoders, discretizers, imputers, anything unknown)
  give NaN in the raw columns they read, together with a note naming them.

In both the fitted transformers are held fixed: a training point's effect on,
say, a scaler's mean is not part of any influence.
"""

import numbers

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA, IncrementalPCA, TruncatedSVD
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    RobustScaler,
    StandardScaler,
)


def unfreeze(estimator):
    """The estimator inside a :class:`~sklearn.frozen.FrozenEstimator`."""
    while isinstance(estimator, FrozenEstimator):
        estimator = estimator.estimator
    return estimator


def default_names(n_features, feature_names_in=None):
    """``feature_names_in`` when given, else ``x0, x1, ...`` as sklearn does."""
    if feature_names_in is not None and len(feature_names_in) == n_features:
        return np.asarray(feature_names_in, dtype=object)
    return np.asarray([f"x{j}" for j in range(n_features)], dtype=object)


def model_feature_names(estimator, n_model_features, feature_names_in=None):
    """Names of the features the final estimator of ``estimator`` sees.

    Parameters
    ----------
    estimator : estimator object
        A fitted estimator or pipeline.
    n_model_features : int
        Number of features the final step sees.
    feature_names_in : array-like of str, default=None
        Names of the raw input columns, when known.

    Returns
    -------
    names : ndarray of object of shape (n_model_features,)
        ``get_feature_names_out`` of the pipeline's transforms when they
        provide it, else the input names, else ``x0, x1, ...``.
    """
    estimator = unfreeze(estimator)
    if isinstance(estimator, Pipeline) and len(estimator) > 1:
        try:
            names = estimator[:-1].get_feature_names_out()
        except (AttributeError, ValueError, TypeError):
            names = None
        if names is not None and len(names) == n_model_features:
            return np.asarray(names, dtype=object)
        return default_names(n_model_features)
    return default_names(n_model_features, feature_names_in)


class _NoJacobian(Exception):
    """Raised inside the chain rule for a step with no input derivative."""


def _column_positions(columns, n_in, names_in):
    """Positions of a ColumnTransformer column specification among its inputs."""
    if isinstance(columns, slice):
        return np.arange(n_in)[columns]
    if isinstance(columns, (str, numbers.Integral)):
        columns = [columns]
    columns = list(columns)
    if not columns:
        return np.array([], dtype=int)
    if all(isinstance(c, (bool, np.bool_)) for c in columns):
        return np.flatnonzero(columns)
    if all(isinstance(c, numbers.Integral) for c in columns):
        return np.asarray(columns, dtype=int) % n_in
    lookup = {name: j for j, name in enumerate(names_in)}
    return np.array([lookup[c] for c in columns], dtype=int)


def _step_label(name, step):
    return f"{name!r} ({type(step).__name__})" if name else type(step).__name__


def step_jacobian(step, n_in, names_in, name=""):
    """Constant Jacobian ``d output / d input`` of a fitted affine step.

    Returns an array of shape ``(n_out, n_in)`` and a list of notes about the
    sub-steps that have no derivative; their rows are NaN in the columns they
    read, so any raw column they touch comes out NaN after the chain rule.
    Raises ``_NoJacobian`` when the whole step has none.
    """
    step = unfreeze(step)
    if step is None or (isinstance(step, str) and step == "passthrough"):
        return np.eye(n_in), []
    if isinstance(step, FunctionTransformer) and step.func is None:
        return np.eye(n_in), []
    if isinstance(step, StandardScaler):
        scale = step.scale_ if step.scale_ is not None else np.ones(n_in)
        return np.diag(1.0 / scale), []
    if isinstance(step, (MaxAbsScaler, RobustScaler)):
        scale = getattr(step, "scale_", None)
        scale = np.ones(n_in) if scale is None else scale
        return np.diag(1.0 / scale), []
    if isinstance(step, MinMaxScaler) and not step.clip:
        return np.diag(step.scale_), []
    if isinstance(step, (PCA, IncrementalPCA)):
        A = np.array(step.components_, dtype=np.float64)
        if step.whiten:
            A = A / np.sqrt(step.explained_variance_)[:, None]
        return A, []
    if isinstance(step, TruncatedSVD):
        return np.array(step.components_, dtype=np.float64), []
    if isinstance(step, Pipeline):
        J = np.eye(n_in)
        notes = []
        names = names_in
        for sub_name, sub in step.steps:
            if sub is None or sub == "passthrough":
                continue
            J_sub, sub_notes = step_jacobian(sub, J.shape[0], names, sub_name)
            J = _compose(J_sub, J)
            notes += sub_notes
            names = [None] * J.shape[0]
        return J, notes
    if isinstance(step, ColumnTransformer):
        return _column_transformer_jacobian(step, n_in, names_in)
    if isinstance(step, FeatureUnion):
        blocks, notes = [], []
        for sub_name, sub in step.transformer_list:
            if sub == "drop":
                continue
            try:
                J_sub, sub_notes = step_jacobian(sub, n_in, names_in, sub_name)
            except _NoJacobian as exc:
                n_out = len(sub.get_feature_names_out())
                J_sub, sub_notes = np.full((n_out, n_in), np.nan), [str(exc)]
            blocks.append(J_sub)
            notes += sub_notes
        return np.vstack(blocks), notes
    raise _NoJacobian(_step_label(name, step))


def _compose(outer, inner):
    """Chain rule ``outer @ inner`` where NaN marks an unknown derivative.

    A plain product would spread a NaN over every column of its row (NaN
    times 0 is NaN); here an output is unknown in an input only when a path
    from the input to the output passes through an unknown entry.
    """
    unknown_outer, unknown_inner = np.isnan(outer), np.isnan(inner)
    value = np.nan_to_num(outer, nan=0.0) @ np.nan_to_num(inner, nan=0.0)
    depends_outer = (unknown_outer | (outer != 0)).astype(int)
    depends_inner = (unknown_inner | (inner != 0)).astype(int)
    unknown = (depends_outer @ unknown_inner.astype(int) > 0) | (
        unknown_outer.astype(int) @ depends_inner > 0
    )
    value[unknown] = np.nan
    return value


def _column_transformer_jacobian(ct, n_in, names_in):
    names_in = getattr(ct, "feature_names_in_", names_in)
    n_out = sum(s.stop - s.start for s in ct.output_indices_.values())
    J = np.zeros((n_out, n_in))
    notes = []
    for name, trans, columns in ct.transformers_:
        rows = ct.output_indices_.get(name, slice(0, 0))
        if trans == "drop" or rows.stop == rows.start:
            continue
        cols = _column_positions(columns, n_in, names_in)
        sub_names = [names_in[c] for c in cols] if names_in is not None else None
        try:
            J_sub, sub_notes = step_jacobian(trans, len(cols), sub_names, name)
            if J_sub.shape[0] != rows.stop - rows.start:
                raise _NoJacobian(_step_label(name, trans))
        except _NoJacobian as exc:
            J_sub = np.full((rows.stop - rows.start, len(cols)), np.nan)
            sub_notes = [str(exc)]
        J[rows.start : rows.stop, cols] = J_sub
        notes += [f"{note} on {_format_columns(sub_names, cols)}" for note in sub_notes]
    return J, notes


def _format_columns(names, cols):
    labels = [str(n) for n in names] if names is not None else [str(c) for c in cols]
    return "column" + ("s " if len(labels) > 1 else " ") + ", ".join(labels)


def input_jacobian(estimator, n_in, n_model_features, feature_names_in=None):
    """Jacobian of the model features in the raw input columns.

    Parameters
    ----------
    estimator : estimator object
        The fitted wrapped estimator; for a pipeline, every step but the last
        is differentiated, holding its fitted state fixed.
    n_in : int
        Number of raw input columns.
    n_model_features : int
        Number of features the final step sees.
    feature_names_in : array-like of str, default=None
        Their names.

    Returns
    -------
    jacobian : ndarray of shape (n_model_features, n_in)
        NaN in the columns read by a step without a derivative.
    notes : list of str
        One note per such step, naming it and the columns it reads.
    """
    estimator = unfreeze(estimator)
    if not (isinstance(estimator, Pipeline) and len(estimator) > 1):
        return np.eye(n_in), []
    try:
        return step_jacobian(estimator[:-1], n_in, feature_names_in)
    except _NoJacobian as exc:  # a step outside any ColumnTransformer
        return np.full((n_model_features, n_in), np.nan), [str(exc)]
