"""pandas in, pandas out: row labels, feature names and DataFrame results.

The influence methods return NumPy arrays by default. After
``model.set_output(transform="pandas")`` they return DataFrames whose rows are
the training rows' labels (the index of the DataFrame given to ``fit``) and
whose columns are the test rows' labels or the feature names, following
scikit-learn's ``set_output`` switch. The setting is kept by
:func:`~sklearn.base.clone`, so it survives ``GridSearchCV``.
"""

import functools
import inspect

import numpy as np

from ._pipeline import default_names

OUTPUTS = ("default", "pandas")


def row_labels(X):
    """The index of a DataFrame or Series, or ``None`` for other inputs."""
    index = getattr(X, "index", None)
    if index is None or not hasattr(X, "iloc"):
        return None
    return index


def set_output(self, *, transform=None):
    """Choose the container of the influence methods' results.

    Parameters
    ----------
    transform : {"default", "pandas"}, default=None
        ``"pandas"``: :meth:`influence_upweight` and :meth:`removal_effect`
        return a DataFrame indexed by training row (the labels of the index
        of the ``X`` given to ``fit``, or positions), with one column per test
        row (the test ``X``'s index, or positions); :meth:`self_influence` a
        Series; :meth:`influence_params` and :meth:`removal_params` a
        DataFrame with one column per parameter; :meth:`influence_perturb`
        a DataFrame indexed by (training row, test row) with one column per
        feature. ``"default"``: NumPy arrays. ``None`` leaves the setting
        unchanged. The name follows scikit-learn's ``set_output``.

    Returns
    -------
    self : estimator instance
        The wrapper, for chaining.

    Notes
    -----
    A long ("tidy") table, one row per (training row, test row) pair, is
    ``frame.stack().rename("influence").reset_index()``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklinfluence import InfluenceClassifier
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> X.index = [f"patient-{i}" for i in range(len(X))]
    >>> model = InfluenceClassifier(
    ...     make_pipeline(StandardScaler(), LogisticRegression(tol=1e-8))
    ... ).set_output(transform="pandas")
    >>> model = model.fit(X.iloc[:300], y.iloc[:300])
    >>> scores = model.influence_upweight(X.iloc[300:302], y.iloc[300:302])
    >>> scores.shape
    (300, 2)
    >>> scores.index[:2].tolist(), scores.columns.tolist()
    (['patient-0', 'patient-1'], ['patient-300', 'patient-301'])
    """
    if transform is None:
        return self
    if transform not in OUTPUTS:
        raise ValueError(
            f"transform must be one of {OUTPUTS} or None; got {transform!r}. "
            "Use 'pandas' for DataFrame results."
        )
    config = dict(getattr(self, "_sklearn_output_config", {}))
    config["transform"] = transform
    self._sklearn_output_config = config
    return self


def wants_pandas(estimator):
    config = getattr(estimator, "_sklearn_output_config", {})
    return config.get("transform", "default") == "pandas"


def labels_of_train_rows(model, positions):
    """Labels of training rows at ``positions``: ``train_index_`` or positions."""
    index = getattr(model, "train_index_", None)
    if index is None:
        return np.asarray(positions)
    return index[np.asarray(positions)]


def labels_of_test_rows(X, n_test):
    index = row_labels(X)
    if index is None:
        return np.arange(n_test)
    return index


def parameter_names(model):
    """One name per entry of the flattened ``theta``: feature names, ``intercept``."""
    obj = model.objective_
    names = list(model.model_feature_names_)
    if obj.fit_intercept:
        names.append("intercept")
    if obj.n_outputs == 1:
        return names
    classes = getattr(model, "classes_", range(obj.n_outputs))
    return [f"{cls}:{name}" for cls in classes for name in names]


def frame_output(kind):
    """Decorate an influence method so it honours ``set_output(transform="pandas")``.

    ``kind`` names the layout of the method's array: ``"train_test"``
    (n_train, n_test), ``"train"`` (n_train,), ``"train_params"``
    (n_train, n_params) or ``"perturb"`` (n_train, n_test, n_features).
    """

    def decorator(method):
        signature = inspect.signature(method)

        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            result = method(self, *args, **kwargs)
            if not wants_pandas(self):
                return result
            bound = signature.bind(self, *args, **kwargs)
            bound.apply_defaults()
            return _to_pandas(self, kind, result, bound.arguments, method.__name__)

        return wrapper

    return decorator


def import_pandas(purpose):
    """Import pandas, or say how to install it."""
    try:
        import pandas
    except ImportError as exc:
        raise ImportError(
            f"{purpose} needs pandas, which is not installed: "
            "pip install 'sklinfluence[pandas]'."
        ) from exc
    return pandas


def _to_pandas(model, kind, values, arguments, name):
    pd = import_pandas("set_output(transform='pandas')")

    if kind == "group_test":
        test = pd.Index(
            labels_of_test_rows(arguments.get("X"), values.shape[1]), name="test"
        )
        groups = pd.RangeIndex(values.shape[0], name="group")
        return pd.DataFrame(values, index=groups, columns=test)
    positions = model._train_indices(arguments.get("train_indices"))
    rows = pd.Index(labels_of_train_rows(model, positions), name="train")
    if kind == "train":
        return pd.Series(values, index=rows, name=name)
    if kind == "train_params":
        return pd.DataFrame(values, index=rows, columns=parameter_names(model))
    test = pd.Index(
        labels_of_test_rows(arguments.get("X"), values.shape[1]), name="test"
    )
    if kind == "train_test":
        return pd.DataFrame(values, index=rows, columns=test)
    # perturb: one row per (training row, test row), one column per feature.
    if arguments.get("space", "model") == "input":
        features = default_names(
            model.n_features_in_, getattr(model, "feature_names_in_", None)
        )
    else:
        features = model.model_feature_names_
    index = pd.MultiIndex.from_product([rows, test])
    flat = values.reshape(-1, values.shape[-1])
    return pd.DataFrame(flat, index=index, columns=list(features))
