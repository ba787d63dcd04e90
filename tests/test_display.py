"""The Displays draw on the Agg backend and carry the values they were given."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import scale

from sklinfluence import (
    InfluenceClassifier,
    InfluentialExamplesDisplay,
    MislabelReviewDisplay,
    RemovalEffectDisplay,
)
from sklinfluence._refits import actual_removal_effect

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


@pytest.fixture
def pyplot():
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def _tight():
    return LogisticRegression(solver="newton-cholesky", tol=1e-12)


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = pd.DataFrame(scale(X), columns=X.columns)
    X.index = [f"p{i}" for i in range(len(X))]
    y.index = X.index
    model = InfluenceClassifier(_tight()).fit(X.iloc[:250], y.iloc[:250])
    return model, X.iloc[250:], y.iloc[250:]


# ----------------------------------------------------------------------
# RemovalEffectDisplay


def test_removal_display_carries_and_draws_its_values(pyplot):
    predicted = np.array([0.1, -0.25, 0.4, 0.05])
    actual = np.array([0.12, -0.2, 0.5, 0.04])
    display = RemovalEffectDisplay(
        predicted, actual, method="newton", reference="refit", estimator_name="LR"
    )
    assert_array_equal(display.predicted, predicted)
    assert_array_equal(display.actual, actual)
    assert_allclose(display.pearson_r, np.corrcoef(actual, predicted)[0, 1])
    assert_allclose(display.slope, actual @ predicted / (actual @ actual))

    fig, ax = pyplot.subplots()
    assert display.plot(ax=ax) is display
    assert display.ax_ is ax and display.figure_ is fig
    assert_allclose(display.scatter_.get_offsets(), np.c_[actual, predicted])
    assert_allclose(display.line_.get_xdata(), display.line_.get_ydata())
    assert f"slope = {display.slope:.3f}" in display.text_.get_text()
    assert "refit" in ax.get_xlabel() and "newton" in ax.get_ylabel()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0].startswith("LR: r = ")


def test_removal_display_second_layer_skips_diagonal_and_text(pyplot):
    first = RemovalEffectDisplay([1.0, 2.0], [1.0, 2.0]).plot()
    second = RemovalEffectDisplay([0.5, 3.0], [1.0, 2.0]).plot(
        ax=first.ax_, diagonal=False, annotate=False
    )
    assert second.line_ is None and second.text_ is None
    assert len(first.ax_.lines) == 1
    assert first.ax_.get_ylim()[1] >= 3.0


def test_removal_display_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="same length"):
        RemovalEffectDisplay([1.0, 2.0], [1.0])


def test_removal_display_from_estimator_against_refits(pyplot, cancer):
    model, X_test, y_test = cancer
    x, label = X_test.iloc[[3]], y_test.iloc[[3]]
    display = RemovalEffectDisplay.from_estimator(model, x, label, n_points=6)

    # The six rows with the largest first-order effect, by the DataFrame index.
    first = model.removal_effect(x, label, method="first_order")[:, 0]
    top = np.argsort(-np.abs(first))[:6]
    assert_array_equal(display.train_labels, model.train_index_[top])
    assert_allclose(
        display.predicted, model.removal_effect(x, label, train_indices=top)[:, 0]
    )
    actual, optimality = actual_removal_effect(model, x, label, train_indices=top)
    assert optimality.max() < 1e-6
    assert_allclose(display.actual, actual[:, 0])
    # Refits agree with the library's exact leave-one-out to refit precision,
    # and the Newton step has slope one against them.
    exact = model.removal_effect(x, label, method="exact", train_indices=top)
    assert_allclose(actual[:, 0], exact[:, 0], rtol=1e-5, atol=1e-10)
    assert display.pearson_r > 0.99
    assert display.slope == pytest.approx(1.0, abs=0.05)
    assert display.estimator_name == "LogisticRegression"
    assert display.figure_ is display.ax_.figure


def test_removal_display_from_estimator_exact_reference(pyplot, cancer):
    model, X_test, y_test = cancer
    display = RemovalEffectDisplay.from_estimator(
        model,
        X_test.iloc[:2],
        y_test.iloc[:2],
        train_indices=[0, 5, 9],
        method="first_order",
        reference="exact",
    )
    assert display.predicted.shape == (6,)
    exact = model.removal_effect(
        X_test.iloc[:2], y_test.iloc[:2], method="exact", train_indices=[0, 5, 9]
    )
    assert_allclose(display.actual, exact.ravel())


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"method": "exact"}, "method must be"),
        ({"reference": "loo"}, "reference must be"),
        ({"n_points": 0}, "n_points must be"),
    ],
)
def test_removal_display_from_estimator_validates(cancer, kwargs, match):
    model, X_test, y_test = cancer
    with pytest.raises(ValueError, match=match):
        RemovalEffectDisplay.from_estimator(
            model, X_test.iloc[:1], y_test.iloc[:1], **kwargs
        )


# ----------------------------------------------------------------------
# InfluentialExamplesDisplay


def test_examples_display_bar_chart_names_rows_by_index(pyplot, cancer):
    model, X_test, y_test = cancer
    display = InfluentialExamplesDisplay.from_estimator(
        model, X_test, y_test, test_point=2, n_top=3
    )
    explanation = model.explain(X_test.iloc[[2]], y_test.iloc[[2]], n_top=3)
    scores = np.r_[explanation.helpful_scores[0], explanation.harmful_scores[0]]
    assert_allclose(display.scores, scores)
    assert_allclose([bar.get_width() for bar in display.bars_], scores)
    positions = np.r_[explanation.helpful_indices[0], explanation.harmful_indices[0]]
    labels = [t.get_text() for t in display.ax_.get_yticklabels()]
    expected = [f"{model.train_index_[i]} (y={model.y_fit_[i]})" for i in positions]
    assert labels == expected
    assert display.test_label == X_test.index[2]
    assert X_test.index[2] in display.ax_.get_title()
    assert list(display.roles) == ["helpful"] * 3 + ["harmful"] * 3
    assert display.image_axes_ is None


def test_examples_display_images_for_digits(pyplot):
    X, y = load_digits(return_X_y=True)
    keep = np.isin(y, [4, 9])
    X, y = X[keep] / 16, y[keep]
    model = InfluenceClassifier(
        LogisticRegression(C=0.1, solver="newton-cholesky", tol=1e-10)
    ).fit(X[:200], y[:200])
    display = InfluentialExamplesDisplay.from_estimator(
        model, X[200:210], y[200:210], test_point=4, n_top=2, image_shape=(8, 8)
    )
    assert display.image_axes_.shape == (2, 3)
    assert display.bars_ is None
    assert display.test_label == 4
    assert_allclose(display.test_image, X[204].reshape(8, 8))
    explanation = model.explain(X[[204]], y[[204]], n_top=2)
    first_helpful = explanation.helpful_indices[0, 0]
    shown = display.image_axes_[0, 1].get_images()[0].get_array()
    assert_allclose(shown, X[first_helpful].reshape(8, 8))
    assert display.image_axes_[1, 1].get_title().startswith("harmful")

    # The same Display as a bar chart on request.
    display.plot(kind="bar")
    assert len(display.bars_) == 4


def test_examples_display_constructor_and_errors(pyplot):
    display = InfluentialExamplesDisplay([-1.0, 2.0], ["helpful", "harmful"], [7, 9])
    with pytest.raises(ValueError, match="needs images"):
        display.plot(kind="images")
    with pytest.raises(ValueError, match="kind must be"):
        display.plot(kind="pie")
    with pytest.raises(ValueError, match="one entry per shown"):
        InfluentialExamplesDisplay([1.0], ["harmful", "helpful"], [1, 2])
    with pytest.raises(ValueError, match="roles must be"):
        InfluentialExamplesDisplay([1.0], ["bad"], [1])


def test_examples_display_rejects_bad_test_point_and_shape(cancer):
    model, X_test, y_test = cancer
    with pytest.raises(ValueError, match="out of range"):
        InfluentialExamplesDisplay.from_estimator(
            model, X_test.iloc[:2], y_test.iloc[:2], test_point=5
        )
    with pytest.raises(ValueError, match="needs 64 features"):
        InfluentialExamplesDisplay.from_estimator(
            model, X_test.iloc[:2], y_test.iloc[:2], image_shape=(8, 8)
        )


# ----------------------------------------------------------------------
# MislabelReviewDisplay


def test_mislabel_display_from_rankings_carries_curve(pyplot):
    flipped = np.array([False, True, False, True, True, False, False, False])
    ranking = np.array([1, 0, 3, 2])
    display = MislabelReviewDisplay.from_rankings(ranking, flipped, name="mine")
    assert_allclose(display.fraction_checked, np.arange(5) / 8)
    assert_allclose(display.fraction_found, [0, 1 / 3, 1 / 3, 2 / 3, 2 / 3])
    assert display.fraction_flipped == pytest.approx(3 / 8)
    assert_allclose(display.line_.get_xdata(), display.fraction_checked)
    assert_allclose(display.line_.get_ydata(), display.fraction_found)
    assert_allclose(display.oracle_line_.get_xdata(), [0, 3 / 8, 1])
    assert display.found_at(2 / 8) == pytest.approx(1 / 3)
    assert display.ax_.get_legend().get_texts()[0].get_text() == "mine"


def test_mislabel_display_constructor_plots_given_values(pyplot):
    fig, ax = pyplot.subplots()
    display = MislabelReviewDisplay([0, 0.5, 1], [0, 0.9, 1], name="given")
    assert display.plot(ax=ax, references=False) is display
    assert display.chance_line_ is None and display.oracle_line_ is None
    assert display.figure_ is fig
    assert_allclose(display.line_.get_ydata(), [0, 0.9, 1])


def test_mislabel_display_from_estimator_ranks_by_self_influence(pyplot):
    X, y = load_breast_cancer(return_X_y=True)
    X, y = scale(X)[:300], y[:300].copy()
    flipped = np.random.default_rng(1).random(300) < 0.1
    y[flipped] = 1 - y[flipped]
    model = InfluenceClassifier(_tight()).fit(X, y)
    display = MislabelReviewDisplay.from_estimator(model, flipped)

    order = np.argsort(model.self_influence(), kind="stable")
    expected = np.r_[0, np.cumsum(flipped[order])] / flipped.sum()
    assert_allclose(display.fraction_found, expected)
    assert display.name == "self-influence"
    # Far better than checking at random: most flips are in the top 20%.
    assert display.found_at(0.2) > 0.7


@pytest.mark.parametrize(
    "ranking, flipped, match",
    [
        ([0, 1], [False, False], "marks no training row"),
        ([0, 0], [True, False], "twice"),
        ([0, 3], [True, False], "positions in"),
        ([0.5], [True, False], "integer positions"),
    ],
)
def test_mislabel_display_validates(ranking, flipped, match):
    with pytest.raises(ValueError, match=match):
        MislabelReviewDisplay.from_rankings(np.array(ranking), flipped)


def test_mislabel_display_flags_must_match_training_rows(cancer):
    model, _, _ = cancer
    with pytest.raises(ValueError, match="one flag per training row"):
        MislabelReviewDisplay.from_estimator(model, np.zeros(3, dtype=bool))


def test_displays_do_not_import_matplotlib_until_plotting():
    import subprocess
    import sys

    code = "import sys; import sklinfluence.display; print('matplotlib' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
