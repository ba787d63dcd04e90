"""The issue-5 examples run on their small settings, and the attack holds up."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from ._data import load_example


def _run_fast(name, tmp_path):
    """Run the example's ``main`` on its small settings; it must save a figure."""
    pytest.importorskip("matplotlib")
    example = load_example(name)
    output = tmp_path / f"{name}.png"
    result = example.main(fast=True, output=str(output))
    assert output.stat().st_size > 0
    return example, result


def test_attack_example_flip_confirmed_by_refit(tmp_path):
    example, result = _run_fast("plot_training_set_attack", tmp_path)

    # Confirm independently: refit from scratch, at a tight tolerance, on
    # the perturbed training set with the labels unchanged.
    X_train, y_train, X_test, y_test = example.load_threes_and_eights()
    j = result["test_index"]
    before = LogisticRegression(C=0.05, tol=1e-12, max_iter=10_000)
    before.fit(X_train, y_train)
    after = LogisticRegression(C=0.05, tol=1e-12, max_iter=10_000)
    after.fit(result["X_attacked"], y_train)
    assert before.predict(X_test[j : j + 1])[0] == y_test[j]
    assert after.predict(X_test[j : j + 1])[0] != y_test[j]
    assert result["flipped"]

    # The change is small and bounded: a few images, at most 4 of 16 levels,
    # inside the pixel range.
    changed = np.flatnonzero(np.any(result["X_attacked"] != X_train, axis=1))
    assert set(changed) <= set(result["targets"]) and len(changed) <= 3
    assert np.abs(result["X_attacked"] - X_train).max() <= 4.0
    assert result["X_attacked"].min() >= 0 and result["X_attacked"].max() <= 16


def test_mislabel_example_runs(tmp_path):
    _, results = _run_fast("plot_mislabel_detection", tmp_path)
    for _, _, at in results.values():
        for method in ("influence", "loss"):
            assert np.all(np.array(at[method]) > np.array(at["random"]) + 0.4)
