"""``sklinfluence explain`` on good and bad CSV files written from real data.

Good files: statsmodels' ``fair`` survey with the wife's occupation as text
(a categorical column for the one-hot encoder) and whether an affair was
reported as the target. Bad files are variations of it.
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import LinearSVC

from sklinfluence import InfluenceClassifier
from sklinfluence._adapters import ADAPTERS
from sklinfluence.cli import main

from ._data import OCCUPATIONS

NUMERIC = ["rate_marriage", "age", "yrs_married", "children", "religious", "educ"]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def survey():
    datasets = pytest.importorskip("statsmodels.datasets")
    data = datasets.fair.load_pandas().data.sample(206, random_state=1)
    frame = data[NUMERIC].assign(
        occupation=data["occupation"].map(OCCUPATIONS),
        affair=np.where(data["affairs"] > 0, "yes", "no"),
        affairs=data["affairs"],
    )
    return frame.reset_index(drop=True)


@pytest.fixture
def files(tmp_path, survey):
    """Train and test CSV files (test with and without the target)."""
    train = survey.iloc[:200].drop(columns="affairs")
    test = survey.iloc[200:].drop(columns="affairs")
    paths = {
        "train": tmp_path / "train.csv",
        "test": tmp_path / "test.csv",
        "test_unlabelled": tmp_path / "test_unlabelled.csv",
    }
    train.to_csv(paths["train"], index=False)
    test.to_csv(paths["test"], index=False)
    test.drop(columns="affair").to_csv(paths["test_unlabelled"], index=False)
    return paths, train, test


def _run(argv, capsys):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_csv_output_matches_the_python_api(files, capsys, tmp_path):
    paths, train, test = files
    output = tmp_path / "out.csv"
    status, out, err = _run(
        ["explain", paths["train"], paths["test"], "--target", "affair",
         "--scale", "--C", "0.5", "--n-top", "3", "--output", output],
        capsys,
    )  # fmt: skip
    assert status == 0, err
    assert out == "" and err == ""
    table = pd.read_csv(output)
    assert len(table) == len(test) * 2 * 3
    assert list(table.columns[:9]) == [
        "test_row", "y_test", "y_pred", "role", "rank", "train_row", "y_train",
        "influence", "removal_effect",
    ]  # fmt: skip
    # Each listed training row carries its own values.
    for _, row in table.iterrows():
        source = train.iloc[int(row["train_row"])]
        assert row["occupation"] == source["occupation"]
        assert row["age"] == source["age"]
        assert row["y_train"] == source["affair"]

    # The same numbers from the Python API with the same pipeline.
    prep = ColumnTransformer(
        [
            ("num", StandardScaler(), NUMERIC),
            ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
             ["occupation"]),
        ],
        verbose_feature_names_out=False,
    )  # fmt: skip
    clf = LogisticRegression(C=0.5, solver="newton-cholesky", tol=1e-10)
    model = InfluenceClassifier(Pipeline([("prep", prep), ("model", clf)]))
    X_train = train.drop(columns="affair")
    model.fit(X_train, train["affair"])
    X_test = test.drop(columns="affair")
    upweight = model.influence_upweight(X_test, test["affair"])
    for _, row in table.iterrows():
        j = int(row["test_row"])  # rows are labelled by position in the file
        assert_allclose(row["influence"], upweight[int(row["train_row"]), j], rtol=1e-6)
    helpful = table[table["role"] == "helpful"]
    harmful = table[table["role"] == "harmful"]
    assert (helpful["influence"] < 0).all() and (harmful["influence"] > 0).all()
    # Removing a helpful row raises the test loss; removing a harmful one lowers it.
    assert (helpful["removal_effect"] > 0).all()
    assert (harmful["removal_effect"] < 0).all()


def test_json_with_check_reports_agreement_with_refits(files, capsys, tmp_path):
    paths, _, test = files
    output = tmp_path / "out.json"
    status, out, err = _run(
        ["explain", paths["train"], paths["test"], "--target", "affair",
         "--scale", "--n-top", "2", "--check", "--output", output],
        capsys,
    )  # fmt: skip
    assert status == 0, err
    assert err.startswith("check: ")
    assert "exact leave-one-out vs refits" in err
    result = json.loads(output.read_text())
    assert result["model"] == "logistic" and result["target"] == "affair"
    explanations = result["explanations"]
    assert [e["test_row"] for e in explanations] == list(range(len(test)))
    first = explanations[0]
    assert set(first) == {"test_row", "y_test", "y_pred", "helpful", "harmful"}
    entry = first["helpful"][0]
    assert {"train_row", "influence", "removal_effect", "removal_refit"} <= set(entry)
    assert set(entry["row"]) == set(NUMERIC) | {"occupation"}

    check = result["check"]
    assert check["n_pairs"] == len(test) * 4
    # Exact leave-one-out is what sklearn's refits do, to refit precision;
    # the estimates are well correlated with them.
    assert check["exact"]["max_abs_error"] < 1e-6 * check["exact"]["max_abs_effect"]
    assert check["newton"]["pearson_r"] > 0.95
    assert check["first_order"]["pearson_r"] > 0.95
    for e in explanations:
        for item in e["helpful"] + e["harmful"]:
            assert item["removal_refit"] == pytest.approx(
                item["removal_exact"], rel=1e-5, abs=1e-12
            )


def test_unlabelled_test_rows_explain_predictions_on_stdout(files, capsys):
    paths, _, test = files
    status, out, err = _run(
        ["explain", paths["train"], paths["test_unlabelled"], "--target", "affair"],
        capsys,
    )
    assert status == 0, err
    table = pd.read_csv(pd.io.common.StringIO(out))
    assert "y_test" not in table.columns
    assert set(table["y_pred"]) <= {"yes", "no"}
    assert len(table) == len(test) * 2 * 5


def test_unseen_test_category_is_a_warning_not_an_error(files, tmp_path, capsys):
    paths, _, test = files
    odd = test.copy()
    odd.loc[odd.index[0], "occupation"] = "astronaut"
    odd.to_csv(tmp_path / "odd.csv", index=False)
    status, out, err = _run(
        ["explain", paths["train"], tmp_path / "odd.csv", "--target", "affair"],
        capsys,
    )
    assert status == 0
    assert err.strip() == (
        "sklinfluence explain: warning: test column 'occupation' has value(s) "
        "'astronaut' not seen in training; they are encoded as all zeros."
    )
    assert len(pd.read_csv(pd.io.common.StringIO(out))) == len(test) * 10


def test_index_col_labels_rows(tmp_path, survey, capsys):
    frame = survey.drop(columns="affairs").assign(
        person=[f"id-{i}" for i in range(len(survey))]
    )
    frame.iloc[:200].to_csv(tmp_path / "train.csv", index=False)
    frame.iloc[200:].to_csv(tmp_path / "test.csv", index=False)
    status, out, err = _run(
        ["explain", tmp_path / "train.csv", tmp_path / "test.csv", "--target",
         "affair", "--index-col", "person", "--format", "json", "--n-top", "1"],
        capsys,
    )  # fmt: skip
    assert status == 0, err
    result = json.loads(out)
    assert result["explanations"][0]["test_row"] == "id-200"
    assert result["explanations"][0]["helpful"][0]["train_row"].startswith("id-")


def test_regression_models_when_their_adapters_exist(files, survey, tmp_path, capsys):
    if Ridge not in ADAPTERS:
        pytest.skip("no Ridge adapter in this version")
    data = survey.drop(columns="affair")
    data.iloc[:200].to_csv(tmp_path / "train_r.csv", index=False)
    data.iloc[200:].to_csv(tmp_path / "test_r.csv", index=False)
    status, out, err = _run(
        ["explain", tmp_path / "train_r.csv", tmp_path / "test_r.csv", "--target",
         "affairs", "--model", "ridge", "--alpha", "2", "--check"],
        capsys,
    )  # fmt: skip
    assert status == 0, err
    assert "exact leave-one-out vs refits" in err


def test_svm_models_when_their_adapters_exist(files, tmp_path, capsys):
    svm = pytest.importorskip("sklinfluence.svm")
    if svm.SmoothHingeClassifier not in ADAPTERS or LinearSVC not in ADAPTERS:
        pytest.skip("no SVM adapters in this version")
    paths, _, test = files
    output = tmp_path / "svm.json"
    status, _, err = _run(
        ["explain", paths["train"], paths["test"], "--target", "affair", "--scale",
         "--model", "smooth-svm", "--C", "0.5", "--n-top", "2", "--check",
         "--output", output],
        capsys,
    )  # fmt: skip
    assert status == 0, err
    check = json.loads(output.read_text())["check"]
    # Trained on the smooth hinge: exact leave-one-out is what refits do.
    assert check["exact"]["max_abs_error"] < 1e-5 * check["exact"]["max_abs_effect"]

    # Trained on the hinge: influence borrows the smooth hinge, with a warning.
    status, out, err = _run(
        ["explain", paths["train"], paths["test"], "--target", "affair", "--scale",
         "--model", "linear-svm", "--hinge-smoothing", "0.1", "--n-top", "1"],
        capsys,
    )  # fmt: skip
    assert status == 0, err
    assert "warning: The fitted LinearSVC minimizes the non-differentiable" in err
    assert len(pd.read_csv(pd.io.common.StringIO(out))) == 2 * len(test)


def _write(path, frame):
    frame.to_csv(path, index=False)
    return path


def _bad_cases(tmp_path, train, test):
    """(train path, test path, extra arguments, message) for bad inputs."""
    with_nan = train.copy()
    with_nan.loc[7, "age"] = np.nan
    ids = train.assign(name=[f"person {i}" for i in range(len(train))])
    test_ids = test.assign(name=[f"person {i}" for i in range(len(test))])
    numeric_text = test.astype({"age": object})
    numeric_text.loc[numeric_text.index[0], "age"] = "forty"
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    header_only = tmp_path / "header.csv"
    header_only.write_text(",".join(train.columns) + "\n")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00a\x00,\x00b\n\x00\x81")
    t, s = tmp_path / "train.csv", tmp_path / "test.csv"
    _write(t, train)
    _write(s, test)
    return {
        "missing target": (t, s, ["--target", "affairz"], "target column 'affairz'"),
        "nan in train": (
            _write(tmp_path / "nan.csv", with_nan),
            s,
            [],
            "missing values in column",
        ),
        "inf in train": (
            _write(tmp_path / "inf.csv", train.assign(educ=np.inf)),
            s,
            [],
            "infinite values in column.*'educ'",
        ),
        "nan in test": (
            t,
            _write(tmp_path / "nan_test.csv", test.assign(educ=np.nan)),
            [],
            "test CSV .* missing values",
        ),
        "free text column": (
            _write(tmp_path / "ids.csv", ids),
            _write(tmp_path / "ids_t.csv", test_ids),
            [],
            "'name' has 200 distinct text values",
        ),
        "text in a numeric test column": (
            t,
            _write(tmp_path / "text.csv", numeric_text),
            [],
            "numeric in the train CSV but holds text",
        ),
        "empty file": (empty, s, [], "is empty"),
        "header only": (header_only, s, [], "no data rows"),
        "missing file": (tmp_path / "nope.csv", s, [], "no such file"),
        "directory": (t, tmp_path, [], "is a directory"),
        "not utf-8": (binary, s, [], "not UTF-8|cannot parse"),
        "test lacks a column": (
            t,
            _write(tmp_path / "fewer.csv", test.drop(columns="educ")),
            [],
            "lacks column\\(s\\) 'educ'",
        ),
        "test has another column": (
            t,
            _write(tmp_path / "more.csv", test.assign(salary=1.0)),
            [],
            "'salary' that the train CSV does not have",
        ),
        "unseen test class": (
            t,
            _write(tmp_path / "cls.csv", test.assign(affair="maybe")),
            [],
            "class\\(es\\) 'maybe'",
        ),
        "single class": (
            _write(tmp_path / "one.csv", train.assign(affair="no")),
            s,
            [],
            "single class",
        ),
        "numeric target for a classifier": (
            t,
            s,
            ["--target", "age", "--drop", "affair"],
            "non-integer values",
        ),
        "text target for a regressor": (
            t,
            s,
            ["--model", "ridge"],
            "needs a numeric target",
        ),
        "wrong regularization flag": (t, s, ["--alpha", "3"], "--alpha does not apply"),
        "negative C": (t, s, ["--C", "-1"], "--C must be a positive number"),
        "bad index column": (t, s, ["--index-col", "who"], "--index-col 'who'"),
        "bad drop column": (t, s, ["--drop", "who"], "--drop 'who'"),
        "bad n-top": (t, s, ["--n-top", "0"], "--n-top must be"),
        "bad max-refits": (
            t,
            s,
            ["--check", "--max-refits", "0"],
            "--max-refits must be",
        ),
        "smoothing for a logistic model": (
            t,
            s,
            ["--hinge-smoothing", "0.1"],
            "applies to --model linear-svm",
        ),
    }


CASES = [
    "missing target", "nan in train", "inf in train", "nan in test", "free text column",
    "text in a numeric test column", "empty file", "header only", "missing file",
    "directory", "not utf-8", "test lacks a column", "test has another column",
    "unseen test class", "single class", "numeric target for a classifier",
    "text target for a regressor", "wrong regularization flag", "negative C",
    "bad index column", "bad drop column", "bad n-top", "bad max-refits",
    "smoothing for a logistic model",
]  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_bad_input_gives_one_line_and_status_1(case, files, tmp_path, capsys):
    _, train, test = files
    train_path, test_path, extra, message = _bad_cases(tmp_path, train, test)[case]
    argv = ["explain", train_path, test_path]
    if "--target" not in extra:
        argv += ["--target", "affair"]
    status, out, err = _run(argv + extra, capsys)
    assert status == 1
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("sklinfluence explain: error: ")
    assert pytest.importorskip("re").search(message, lines[0]), lines[0]


def test_model_without_adapter_is_a_one_line_error(files, capsys, monkeypatch):
    paths, _, _ = files
    monkeypatch.delitem(ADAPTERS, LinearSVC, raising=False)
    status, out, err = _run(
        ["explain", paths["train"], paths["test"], "--target", "affair",
         "--model", "linear-svm"],
        capsys,
    )  # fmt: skip
    assert status == 1
    assert err.strip() == (
        "sklinfluence explain: error: --model linear-svm (LinearSVC) is not "
        "supported by this version of sklinfluence; try --model logistic."
    )


def test_usage_errors_exit_with_status_2(files, capsys):
    paths, _, _ = files
    with pytest.raises(SystemExit) as exc:
        main(["explain", str(paths["train"]), str(paths["test"])])
    assert exc.value.code == 2
    assert "--target" in capsys.readouterr().err


def test_subprocess_exit_codes_and_no_traceback(files, tmp_path):
    paths, _, _ = files
    command = [sys.executable, "-m", "sklinfluence", "explain"]
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    bad = subprocess.run(
        command + [str(tmp_path / "nope.csv"), str(paths["test"]), "--target", "x"],
        capture_output=True, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert bad.returncode == 1
    assert "Traceback" not in bad.stderr
    assert bad.stderr.count("\n") == 1

    good = subprocess.run(
        command + [str(paths["train"]), str(paths["test"]), "--target", "affair",
                   "--n-top", "1", "--format", "json"],
        capture_output=True, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert good.returncode == 0, good.stderr
    assert len(json.loads(good.stdout)["explanations"]) == 6
