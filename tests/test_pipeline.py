"""Pipelines with real preprocessing: feature names and the input-space chain rule.

Data: statsmodels' ``fair`` survey (extramarital affairs, 1974), numeric
answers plus the wife's occupation as a category; the target is whether any
affair was reported.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (
    KBinsDiscretizer,
    MaxAbsScaler,
    MinMaxScaler,
    OneHotEncoder,
    StandardScaler,
)

from sklinfluence import InfluenceClassifier
from sklinfluence._pipeline import input_jacobian
from sklinfluence.exceptions import NoInputDerivativeWarning

from ._data import OCCUPATIONS

NUMERIC = ["age", "yrs_married", "children", "educ"]


@pytest.fixture(scope="module")
def fair():
    datasets = pytest.importorskip("statsmodels.datasets")
    data = datasets.fair.load_pandas().data.sample(300, random_state=0)
    X = data[["rate_marriage", "age", "yrs_married", "children", "religious", "educ"]]
    X = X.assign(occupation=data["occupation"].map(OCCUPATIONS))
    y = (data["affairs"] > 0).astype(int).rename("affair")
    return X.iloc[:250], y.iloc[:250], X.iloc[250:], y.iloc[250:]


def _pipeline(remainder="passthrough"):
    prep = ColumnTransformer(
        [
            ("num", StandardScaler(), NUMERIC),
            ("cat", OneHotEncoder(), ["occupation"]),
        ],
        remainder=remainder,
    )
    return Pipeline([("prep", prep), ("clf", _tight_logistic())])


def _tight_logistic():
    return LogisticRegression(solver="newton-cholesky", tol=1e-12, max_iter=1000)


def test_feature_names_and_index_flow_into_explanations(fair):
    X_train, y_train, X_test, y_test = fair
    model = InfluenceClassifier(_pipeline()).fit(X_train, y_train)

    expected = model.estimator_[:-1].get_feature_names_out()
    assert list(model.model_feature_names_) == list(expected)
    assert "cat__occupation_student" in model.model_feature_names_
    assert_allclose(model.train_index_, X_train.index)

    explanation = model.explain(X_test.iloc[:3], y_test.iloc[:3], n_top=2)
    assert list(explanation.feature_names) == list(expected)
    frame = explanation.to_frame()
    # Rows are named by the DataFrames' own index, not by positions.
    assert set(frame["test"]) == set(X_test.index[:3])
    assert_allclose(frame["train"], X_train.index[frame["train_position"]])
    assert not set(frame["train"]) <= set(range(len(X_train)))

    # The training rows' model features, named by get_feature_names_out.
    wide = explanation.to_frame(features=True)
    assert list(wide.columns[-len(expected) :]) == list(expected)
    assert_allclose(
        wide[list(expected)].to_numpy(), model.X_fit_[wide["train_position"]]
    )


def test_perturb_frame_names_model_features(fair):
    X_train, y_train, X_test, y_test = fair
    model = InfluenceClassifier(_pipeline()).set_output(transform="pandas")
    model.fit(X_train, y_train)
    frame = model.influence_perturb(
        X_test.iloc[:2], y_test.iloc[:2], train_indices=[4, 7]
    )
    assert list(frame.columns) == list(model.model_feature_names_)
    assert frame.index.names == ["train", "test"]
    assert list(frame.index) == [
        (X_train.index[i], X_test.index[j]) for i in (4, 7) for j in (0, 1)
    ]
    with pytest.warns(NoInputDerivativeWarning):
        raw = model.influence_perturb(
            X_test.iloc[:2], y_test.iloc[:2], train_indices=[4, 7], space="input"
        )
    assert list(raw.columns) == list(X_train.columns)
    assert raw["occupation"].isna().all() and raw["age"].notna().all()


def _test_loss(final, prep, X_train, y_train, x_test, y_test):
    fitted = clone(final).fit(prep.transform(X_train), y_train)
    proba = fitted.predict_proba(prep.transform(x_test))[0, y_test]
    return -np.log(proba)


@pytest.mark.parametrize("column", ["age", "educ", "rate_marriage"])
def test_input_chain_rule_matches_refits(fair, column):
    # Perturb one raw column of the training row with the largest effect, push
    # it through the fitted (fixed) preprocessing, refit the classifier, and
    # compare the central difference of the test loss with the prediction
    # (c_i / sum(c)) * I_pert,input = I_pert,input / n for LogisticRegression.
    X_train, y_train, X_test, y_test = fair
    remainder = MinMaxScaler()
    model = InfluenceClassifier(_pipeline(remainder)).fit(X_train, y_train)
    x_test, label = X_test.iloc[[0]], int(y_test.iloc[0])
    with pytest.warns(NoInputDerivativeWarning, match="'cat' \\(OneHotEncoder\\)"):
        perturb = model.influence_perturb(x_test, [label], space="input")
    assert perturb.shape == (len(X_train), 1, X_train.shape[1])

    c = list(X_train.columns).index(column)
    i = int(np.argmax(np.abs(perturb[:, 0, c])))
    predicted = perturb[i, 0, c] / len(X_train)

    prep, final = model.estimator_[:-1], model.estimator_[-1]
    step = 1e-3 * X_train[column].std()
    losses = []
    for sign in (1, -1):
        X_moved = X_train.copy()
        X_moved.iloc[i, c] += sign * step
        losses.append(_test_loss(final, prep, X_moved, y_train, x_test, label))
    actual = (losses[0] - losses[1]) / (2 * step)
    assert abs(predicted) > 1e-4
    assert_allclose(predicted, actual, rtol=1e-5)


def test_one_hot_columns_are_nan_with_a_warning_naming_the_step(fair):
    X_train, y_train, X_test, y_test = fair
    model = InfluenceClassifier(_pipeline()).fit(X_train, y_train)
    with pytest.warns(NoInputDerivativeWarning) as record:
        raw = model.influence_perturb(X_test.iloc[:2], y_test.iloc[:2], space="input")
    message = str(record[0].message)
    assert "OneHotEncoder" in message and "occupation" in message
    occupation = list(X_train.columns).index("occupation")
    assert np.isnan(raw[:, :, occupation]).all()
    others = np.delete(raw, occupation, axis=2)
    assert np.isfinite(others).all()

    # Scaled columns are the model-space values divided by the scale.
    model_space = model.influence_perturb(X_test.iloc[:2], y_test.iloc[:2])
    names = list(model.model_feature_names_)
    scaler = model.estimator_[0].named_transformers_["num"]
    for k, column in enumerate(NUMERIC):
        assert_allclose(
            raw[:, :, list(X_train.columns).index(column)],
            model_space[:, :, names.index(f"num__{column}")] / scaler.scale_[k],
        )


def test_input_space_without_pipeline_is_model_space():
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    model = InfluenceClassifier(_tight_logistic()).fit(X[:200], y[:200])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        raw = model.influence_perturb(X[200:202], y[200:202], space="input")
    assert_allclose(raw, model.influence_perturb(X[200:202], y[200:202]))


def test_bad_space_is_rejected(fair):
    X_train, y_train, X_test, _ = fair
    model = InfluenceClassifier(_pipeline()).fit(X_train, y_train)
    with pytest.raises(ValueError, match="space must be 'model' or 'input'"):
        model.influence_perturb(X_test.iloc[:1], space="raw")


def test_jacobian_of_affine_chains_against_finite_differences():
    # The Jacobian of the fitted steps must equal their finite differences,
    # for every affine step the chain rule claims to know.
    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True, as_frame=True)
    prep = ColumnTransformer(
        [
            ("std", StandardScaler(), [0, 1, 2]),
            ("mm", MinMaxScaler(), [3, 4]),
            ("pca", make_pipeline(MaxAbsScaler(), PCA(2, whiten=True)), [5, 6, 7]),
            ("drop", "drop", [8]),
        ],
        remainder="passthrough",
    )
    # Only the fitted preprocessing is differentiated; the final step is idle.
    pipe = Pipeline([("prep", prep.fit(X)), ("clf", LogisticRegression())])
    J, notes = input_jacobian(pipe, X.shape[1], pipe[:-1].transform(X).shape[1])
    assert notes == []

    x = X.iloc[[10]]
    step = 1e-4
    base = pipe[:-1].transform(x)[0]
    for c in range(X.shape[1]):
        moved = x.copy()
        moved.iloc[0, c] += step
        fd = (pipe[:-1].transform(moved)[0] - base) / step
        assert_allclose(J[:, c], fd, rtol=1e-6, atol=1e-8)
    assert_allclose(J[:, 8], 0.0)  # a dropped column does not move the model


def test_discretizer_outside_a_column_transformer_gives_nan(fair):
    X_train, y_train, X_test, y_test = fair
    columns = ["age", "yrs_married"]
    pipe = make_pipeline(
        KBinsDiscretizer(n_bins=3, quantile_method="averaged_inverted_cdf"),
        _tight_logistic(),
    )
    model = InfluenceClassifier(pipe).fit(X_train[columns], y_train)
    with pytest.warns(NoInputDerivativeWarning, match="KBinsDiscretizer"):
        raw = model.influence_perturb(
            X_test[columns].iloc[:1], y_test.iloc[:1], space="input"
        )
    assert np.isnan(raw).all()


def test_pandas_outputs_are_labelled(fair):
    X_train, y_train, X_test, y_test = fair
    model = InfluenceClassifier(_pipeline()).set_output(transform="pandas")
    model.fit(X_train, y_train)
    upweight = model.influence_upweight(X_test.iloc[:3], y_test.iloc[:3])
    assert isinstance(upweight, pd.DataFrame)
    assert upweight.index.equals(pd.Index(X_train.index, name="train"))
    assert list(upweight.columns) == list(X_test.index[:3])

    removal = model.removal_effect(
        X_test.iloc[:2], y_test.iloc[:2], train_indices=[3, 5], method="first_order"
    )
    assert list(removal.index) == list(X_train.index[[3, 5]])

    self_inf = model.self_influence(train_indices=[0, 1])
    assert isinstance(self_inf, pd.Series) and self_inf.name == "self_influence"

    params = model.influence_params(train_indices=[2])
    assert list(params.columns) == list(model.model_feature_names_) + ["intercept"]

    # The same numbers as the default arrays.
    plain = clone(model).set_output(transform="default").fit(X_train, y_train)
    assert_allclose(
        upweight, plain.influence_upweight(X_test.iloc[:3], y_test.iloc[:3])
    )
    # clone keeps the switch, as for sklearn transformers.
    assert isinstance(clone(model).fit(X_train, y_train).self_influence(), pd.Series)


def test_set_output_rejects_unknown_containers():
    with pytest.raises(ValueError, match="transform must be one of"):
        InfluenceClassifier().set_output(transform="polars")


def test_refit_on_arrays_forgets_the_training_index(fair):
    X_train, y_train, _, _ = fair
    numeric = X_train[NUMERIC]
    model = InfluenceClassifier(make_pipeline(StandardScaler(), _tight_logistic()))
    model.fit(numeric, y_train)
    assert hasattr(model, "train_index_")
    model.fit(numeric.to_numpy(), y_train.to_numpy())
    assert not hasattr(model, "train_index_")
    assert list(model.model_feature_names_) == ["x0", "x1", "x2", "x3"]


def test_frozen_pipeline_maps_perturbation_to_inputs_like_a_fitted_one():
    from numpy.testing import assert_allclose
    from sklearn.datasets import load_breast_cancer
    from sklearn.frozen import FrozenEstimator
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    from sklinfluence import InfluenceClassifier

    X, y = load_breast_cancer(return_X_y=True)
    X, y = X[:, :5], y
    pipe = make_pipeline(
        StandardScaler(), MinMaxScaler(), LogisticRegression(tol=1e-12)
    )
    fitted = InfluenceClassifier(pipe).fit(X, y)
    frozen_pipe = FrozenEstimator(fitted.estimator_)
    frozen_steps = make_pipeline(
        *(FrozenEstimator(step) for step in fitted.estimator_[:-1]),
        fitted.estimator_[-1],
    )
    for inner in (frozen_pipe, frozen_steps):
        model = InfluenceClassifier(inner).fit(X, y)
        for space in ("model", "input"):
            assert_allclose(
                model.influence_perturb(
                    X[:2], y[:2], train_indices=[0, 1], space=space
                ),
                fitted.influence_perturb(
                    X[:2], y[:2], train_indices=[0, 1], space=space
                ),
                rtol=1e-6,
                atol=1e-12,
            )
    names = InfluenceClassifier(frozen_pipe).fit(X, y).model_feature_names_
    assert list(names) == list(fitted.model_feature_names_)


def test_pandas_output_of_loo_loss_and_group_removal():
    import pandas as pd
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression

    from sklinfluence import InfluenceClassifier

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = (X - X.mean()) / X.std()
    X.index = [f"p{i}" for i in range(len(X))]
    clf = LogisticRegression(solver="newton-cholesky", tol=1e-10)
    model = InfluenceClassifier(clf).fit(X.iloc[:200], y.iloc[:200])
    model.set_output(transform="pandas")
    loo = model.loo_loss()
    assert isinstance(loo, pd.Series) and loo.index[0] == "p0"
    effect = model.group_removal_effect(
        X.iloc[200:203], y.iloc[200:203], groups=[[0, 1], [5]]
    )
    assert isinstance(effect, pd.DataFrame)
    assert list(effect.columns) == ["p200", "p201", "p202"]
    assert effect.shape == (2, 3)
