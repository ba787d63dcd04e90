"""Bundled data sets and example scripts, prepared as several test modules use them."""

import importlib.util
from pathlib import Path

import numpy as np
from sklearn.datasets import load_diabetes, load_wine
from sklearn.preprocessing import MaxAbsScaler, scale

# The codes of statsmodels' ``fair`` survey column ``occupation``.
OCCUPATIONS = {
    1: "student",
    2: "farming",
    3: "white-collar",
    4: "skilled",
    5: "managerial",
    6: "professional",
}


def diabetes():
    """Standardized diabetes: 200 training rows and 10 test rows, y scaled too."""
    X, y = load_diabetes(return_X_y=True)
    X = scale(X)
    y = (y - y.mean()) / y.std()
    return X[:200], y[:200], X[300:310], y[300:310]


def shuffled_wine(n_train):
    """Wine (three classes, 13 features) max-abs scaled, shuffled, split at n_train."""
    X, y = load_wine(return_X_y=True)
    X = MaxAbsScaler().fit_transform(X)
    order = np.random.default_rng(0).permutation(len(y))
    X, y = X[order], y[order]
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load_example(name):
    """The script ``examples/<name>.py`` imported as a module (not run as main)."""
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
