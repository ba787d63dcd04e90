"""``sklinfluence explain``: influence for people with CSV files.

Reads a training and a test CSV, fits a convex model (numeric columns as
they are or standardized, text columns one-hot encoded), and writes, for
every test row, its most helpful and most harmful training rows with their
influence, the predicted change of the test loss if the row were removed,
and the row's own values. ``--check`` retrains the model without each of
those rows and reports how well the predictions agree.

Every problem with the input ends in a one-line message on stderr and exit
status 1; usage errors exit with status 2, as argparse does.
"""

import json
import math
import sys
import warnings

import numpy as np

from ._frames import import_pandas
from .exceptions import UnsupportedEstimatorError

FORMATS = ("csv", "json")


class CLIError(Exception):
    """A problem with the input, reported as one line without a traceback."""


# ----------------------------------------------------------------------
# models


def _linear_svm(C, alpha, smoothing):
    from sklearn.svm import LinearSVC

    if smoothing is None:
        # The squared hinge has a (generalized) Hessian: no smoothing needed.
        return LinearSVC(C=C, tol=1e-10, max_iter=100_000)
    return LinearSVC(C=C, loss="hinge", dual=True, tol=1e-10, max_iter=100_000)


def _smooth_svm(C, alpha, smoothing):
    try:
        from .svm import SmoothHingeClassifier
    except ImportError:  # pragma: no cover - older versions
        raise CLIError(
            "--model smooth-svm is not supported by this version of sklinfluence; "
            "try --model logistic."
        ) from None
    return SmoothHingeClassifier(C=C, t=0.1 if smoothing is None else smoothing)


def _models():
    """Model choices: (kind, factory(C, alpha, smoothing), regularization flag)."""
    from sklearn.linear_model import (
        LinearRegression,
        LogisticRegression,
        PoissonRegressor,
        Ridge,
    )

    return {
        "logistic": (
            "classifier",
            lambda C, alpha, smoothing: LogisticRegression(
                C=C, solver="newton-cholesky", tol=1e-10, max_iter=1000
            ),
            "C",
        ),
        "linear-svm": ("classifier", _linear_svm, "C"),
        "smooth-svm": ("classifier", _smooth_svm, "C"),
        "ridge": (
            "regressor",
            lambda C, alpha, smoothing: Ridge(alpha=alpha),
            "alpha",
        ),
        "poisson": (
            "regressor",
            lambda C, alpha, smoothing: PoissonRegressor(
                alpha=alpha, solver="newton-cholesky", tol=1e-10, max_iter=1000
            ),
            "alpha",
        ),
        "linear": (
            "regressor",
            lambda C, alpha, smoothing: LinearRegression(),
            None,
        ),
    }


MODEL_NAMES = ("logistic", "linear-svm", "smooth-svm", "ridge", "poisson", "linear")


def add_parser(commands):
    parser = commands.add_parser(
        "explain",
        help="explain test rows of a CSV through the training rows",
        description=(
            "Fit a convex model on TRAIN and write, for every row of TEST, the "
            "training rows that helped and harmed its prediction most, with "
            "the predicted change of its loss if each were removed."
        ),
        epilog=(
            "Text columns are one-hot encoded; numeric columns are used as they "
            "are, or standardized with --scale. Rows are labelled by their "
            "0-based position in the file, or by --index-col. The influence of "
            "a row is I_up,loss (positive: it raises the test loss, harmful); "
            "removal_effect is the predicted change of the test loss if the "
            "row were left out (positive: it helped). Fitted preprocessing is "
            "held fixed."
        ),
    )
    parser.add_argument("train", help="training CSV, with a header row")
    parser.add_argument("test", help="CSV of the rows to explain, same columns")
    parser.add_argument("--target", required=True, help="name of the target column")
    parser.add_argument(
        "--model",
        choices=MODEL_NAMES,
        default="logistic",
        help="classifiers: logistic (default), linear-svm (LinearSVC, squared "
        "hinge), smooth-svm (a linear SVM trained on the smooth hinge, exact "
        "influence); regressors: ridge, poisson, linear (no penalty)",
    )
    parser.add_argument(
        "--C",
        type=float,
        default=None,
        help="inverse regularization of logistic and the SVMs (default 1.0)",
    )
    parser.add_argument(
        "--alpha",
        type=float,
        default=None,
        help="regularization of ridge and poisson (default 1.0)",
    )
    parser.add_argument(
        "--hinge-smoothing",
        type=float,
        default=None,
        help="linear-svm: train on the hinge loss and take influence from the "
        "smooth hinge at this temperature (approximate); smooth-svm: its "
        "temperature t (default 0.1)",
    )
    parser.add_argument(
        "--scale", action="store_true", help="standardize the numeric columns"
    )
    parser.add_argument(
        "--index-col", default=None, help="column whose values label the rows"
    )
    parser.add_argument(
        "--drop",
        action="append",
        default=[],
        metavar="COLUMN",
        help="ignore this column (repeatable)",
    )
    parser.add_argument(
        "--max-categories",
        type=int,
        default=50,
        help="largest number of distinct values a text column may have (50)",
    )
    parser.add_argument(
        "--n-top", type=int, default=5, help="helpful and harmful rows per test row"
    )
    parser.add_argument("--output", "-o", default=None, help="output file (stdout)")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="csv or json (default: from the output file's suffix, else csv)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="retrain without each listed training row and report agreement",
    )
    parser.add_argument(
        "--max-refits",
        type=int,
        default=200,
        help="at most this many retrainings for --check (200)",
    )
    parser.add_argument(
        "--debug", action="store_true", help="show tracebacks of unexpected errors"
    )
    parser.set_defaults(run=run)
    return parser


def run(args):
    """Entry point of the subcommand; returns the exit status."""
    try:
        import_pandas("sklinfluence explain")
    except ImportError as exc:
        _error(str(exc))
        return 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            status = _run(args)
        except CLIError as exc:
            _error(str(exc))
            status = 1
        except Exception as exc:  # noqa: BLE001 - never a traceback for users
            if args.debug:
                raise
            _error(
                f"{type(exc).__name__}: {_one_line(exc)} (rerun with --debug to "
                "see where)"
            )
            status = 1
    for warning in _unique(caught):
        print(f"sklinfluence explain: warning: {warning}", file=sys.stderr)
    return status


def _error(message):
    print(f"sklinfluence explain: error: {_one_line(message)}", file=sys.stderr)


def _one_line(message):
    return " ".join(str(message).split())


def _unique(caught):
    seen = []
    for w in caught:
        text = _one_line(w.message)
        if text not in seen:
            seen.append(text)
    return seen


# ----------------------------------------------------------------------
# reading and checking the CSV files


def _read_csv(path, role, index_col):
    import pandas as pd

    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise CLIError(f"cannot read the {role} CSV {path!r}: no such file.") from None
    except IsADirectoryError:
        raise CLIError(
            f"cannot read the {role} CSV {path!r}: it is a directory."
        ) from None
    except PermissionError:
        raise CLIError(
            f"cannot read the {role} CSV {path!r}: permission denied."
        ) from None
    except pd.errors.EmptyDataError:
        raise CLIError(f"the {role} CSV {path!r} is empty.") from None
    except UnicodeDecodeError:
        raise CLIError(
            f"the {role} CSV {path!r} is not UTF-8 text; save it as UTF-8 CSV."
        ) from None
    except (pd.errors.ParserError, ValueError, OSError) as exc:
        raise CLIError(
            f"cannot parse the {role} CSV {path!r}: {_one_line(exc)}"
        ) from None
    if frame.shape[0] == 0:
        raise CLIError(f"the {role} CSV {path!r} has a header but no data rows.")

    duplicated = frame.columns[frame.columns.duplicated()]
    unnamed = [c for c in frame.columns if str(c).startswith("Unnamed: ")]
    if len(duplicated):
        raise CLIError(f"the {role} CSV {path!r} repeats column {duplicated[0]!r}.")
    if unnamed and frame[unnamed].isna().all().all():
        # Trailing separators give empty, unnamed columns; drop them quietly.
        frame = frame.drop(columns=unnamed)

    if index_col is not None:
        if index_col not in frame.columns:
            raise CLIError(
                f"--index-col {index_col!r} is not a column of the {role} CSV "
                f"{path!r}; its columns are {_list(frame.columns)}."
            )
        if frame[index_col].duplicated().any():
            value = frame[index_col][frame[index_col].duplicated()].iloc[0]
            raise CLIError(
                f"--index-col {index_col!r} repeats the label {value!r} in the "
                f"{role} CSV; row labels must be unique."
            )
        frame = frame.set_index(index_col)
    return frame


def _list(columns, limit=12):
    names = [repr(str(c)) for c in columns]
    if len(names) > limit:
        names = names[:limit] + [f"... ({len(columns) - limit} more)"]
    return ", ".join(names)


def _check_missing(frame, role, path):
    _refuse_cells(frame.isna(), role, path, "missing", "fill them in")
    numeric = frame.select_dtypes("number")
    infinite = numeric.isin([np.inf, -np.inf])
    _refuse_cells(infinite, role, path, "infinite", "replace them")


def _refuse_cells(bad, role, path, what, fix):
    """One-line error naming the columns and the first row of the bad cells."""
    if not bad.any().any():
        return
    columns = bad.columns[bad.any()]
    rows = bad.any(axis=1)
    first = bad.index[rows][0]
    raise CLIError(
        f"the {role} CSV {path!r} has {what} values in column(s) "
        f"{_list(columns)} ({int(rows.sum())} row(s), first at row {first!r}); "
        f"{fix} or drop those rows or columns (--drop)."
    )


def _is_numeric(series):
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    return is_numeric_dtype(series) or is_bool_dtype(series)


def _prepare(args):
    """Read both files and split them into features and targets."""
    train = _read_csv(args.train, "train", args.index_col)
    test = _read_csv(args.test, "test", args.index_col)
    target = args.target
    if target not in train.columns:
        raise CLIError(
            f"the target column {target!r} is not in the train CSV {args.train!r}; "
            f"its columns are {_list(train.columns)}."
        )
    for column in args.drop:
        if column not in train.columns or column == target:
            raise CLIError(
                f"--drop {column!r} is not a feature column of the train CSV; "
                f"its columns are {_list(train.columns)}."
            )

    features = [c for c in train.columns if c != target and c not in args.drop]
    if not features:
        raise CLIError(
            f"the train CSV {args.train!r} has no feature columns besides the "
            f"target {target!r}."
        )
    missing = [c for c in features if c not in test.columns]
    if missing:
        raise CLIError(
            f"the test CSV {args.test!r} lacks column(s) {_list(missing)} of the "
            "train CSV; both files need the same feature columns."
        )
    extra = [
        c
        for c in test.columns
        if c not in features and c != target and c not in args.drop
    ]
    if extra:
        raise CLIError(
            f"the test CSV {args.test!r} has column(s) {_list(extra)} that the "
            "train CSV does not have; remove them or pass --drop."
        )

    _check_missing(train[features + [target]], "train", args.train)
    _check_missing(
        test[[c for c in test.columns if c not in args.drop]], "test", args.test
    )

    numeric, categorical = [], []
    for column in features:
        if _is_numeric(train[column]):
            if not _is_numeric(test[column]):
                text = test[column][~test[column].map(_looks_numeric)].iloc[0]
                raise CLIError(
                    f"column {column!r} is numeric in the train CSV but holds text "
                    f"in the test CSV (e.g. {text!r})."
                )
            numeric.append(column)
            continue
        distinct = train[column].nunique()
        if distinct > args.max_categories:
            raise CLIError(
                f"column {column!r} has {distinct} distinct text values in "
                f"{len(train)} rows, more than --max-categories="
                f"{args.max_categories}: it looks like an identifier or free text, "
                f"not a category. Drop it (--drop {column}), use it as row "
                "labels (--index-col), or raise --max-categories."
            )
        categorical.append(column)

    X_train = train[features].copy()
    X_test = test[features].copy()
    for column in categorical:
        # One type per column, whatever pandas guessed per file.
        X_train[column] = X_train[column].astype(str)
        X_test[column] = X_test[column].astype(str)
    y_train = train[target]
    y_test = test[target] if target in test.columns else None
    return X_train, y_train, X_test, y_test, numeric, categorical


def _looks_numeric(value):
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _check_target(kind, model_name, y_train, y_test, path):
    if kind == "regressor":
        for role, y in (("train", y_train), ("test", y_test)):
            if y is not None and not _is_numeric(y):
                text = y[~y.map(_looks_numeric)].iloc[0]
                raise CLIError(
                    f"--model {model_name} needs a numeric target, but the {role} "
                    f"CSV's {y.name!r} holds text (e.g. {text!r}); use --model "
                    "logistic for classes."
                )
        return y_train.astype(float), None if y_test is None else y_test.astype(float)

    if _is_numeric(y_train) and y_train.dtype.kind == "f":
        if not np.all(np.mod(y_train, 1) == 0):
            raise CLIError(
                f"--model {model_name} is a classifier, but the target "
                f"{y_train.name!r} has {y_train.nunique()} distinct non-integer "
                "values; use --model ridge or poisson for a numeric target."
            )
    if y_train.nunique() < 2:
        raise CLIError(
            f"the target {y_train.name!r} has a single class "
            f"({y_train.iloc[0]!r}) in the train CSV; a classifier needs two or more."
        )
    if y_test is not None:
        unseen = sorted(set(y_test.astype(str)) - set(y_train.astype(str)))
        if unseen:
            raise CLIError(
                f"the test CSV's target {y_test.name!r} has class(es) "
                f"{', '.join(map(repr, unseen))} that the train CSV lacks."
            )
        if not _is_numeric(y_train) or not _is_numeric(y_test):
            y_train, y_test = y_train.astype(str), y_test.astype(str)
    elif not _is_numeric(y_train):
        y_train = y_train.astype(str)
    return y_train, y_test


# ----------------------------------------------------------------------
# the model


def _build_model(args, kind, numeric, categorical):
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from ._classes import InfluenceClassifier, InfluenceRegressor

    _, factory, flag = _models()[args.model]
    for name, value in (("C", args.C), ("alpha", args.alpha)):
        if value is not None and flag != name:
            use = f"use --{flag}" if flag else "it has no regularization"
            raise CLIError(f"--{name} does not apply to --model {args.model}; {use}.")
        if value is not None and not (math.isfinite(value) and value > 0):
            raise CLIError(f"--{name} must be a positive number; got {value}.")
    C = 1.0 if args.C is None else args.C
    alpha = 1.0 if args.alpha is None else args.alpha

    steps = []
    if numeric:
        steps.append(
            ("num", StandardScaler() if args.scale else "passthrough", numeric)
        )
    if categorical:
        encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        steps.append(("cat", encoder, categorical))
    prep = ColumnTransformer(steps, verbose_feature_names_out=False)
    estimator = factory(C, alpha, args.hinge_smoothing)
    pipe = Pipeline([("prep", prep), ("model", estimator)])

    wrapper = (InfluenceClassifier if kind == "classifier" else InfluenceRegressor)(
        pipe
    )
    if args.hinge_smoothing is not None:
        if args.model not in ("linear-svm", "smooth-svm"):
            raise CLIError(
                "--hinge-smoothing applies to --model linear-svm or smooth-svm only."
            )
        if not (math.isfinite(args.hinge_smoothing) and args.hinge_smoothing > 0):
            raise CLIError(
                "--hinge-smoothing must be a positive number; got "
                f"{args.hinge_smoothing}."
            )
    if args.hinge_smoothing is not None and args.model == "linear-svm":
        if "hinge_smoothing" not in wrapper.get_params():
            raise CLIError(
                "--hinge-smoothing is not supported by this version of sklinfluence."
            )
        wrapper.set_params(hinge_smoothing=args.hinge_smoothing)
    return wrapper


def _fit(model, args, X_train, y_train):
    try:
        return model.fit(X_train, y_train)
    except UnsupportedEstimatorError:
        final = model.estimator.steps[-1][1]
        raise CLIError(
            f"--model {args.model} ({type(final).__name__}) is not supported by "
            "this version of sklinfluence; try --model logistic."
        ) from None
    except ValueError as exc:
        raise CLIError(
            f"fitting --model {args.model} failed: {_one_line(exc)}"
        ) from None


# ----------------------------------------------------------------------
# explaining and checking


def _explain(model, X_test, y_test, n_top):
    """Tidy table of the top rows per test row, with removal effects."""
    explanation = model.explain(X_test, y_test, n_top=n_top)
    table = explanation.to_frame()
    removal = np.empty(len(table))
    for label, rows in table.groupby("test", sort=False):
        position = X_test.index.get_loc(label)
        y_row = None if y_test is None else y_test.iloc[[position]]
        effect = model.removal_effect(
            X_test.iloc[[position]],
            y_row,
            train_indices=rows["train_position"].to_numpy(),
        )
        removal[rows.index] = np.asarray(effect)[:, 0]
    table["removal_effect"] = removal
    return table


def _check(model, X_test, y_test, table, max_refits):
    """Retrain without each listed row; add the results and the agreement."""
    from ._refits import actual_removal_effect

    positions = list(dict.fromkeys(table["train_position"]))
    truncated = len(positions) > max_refits
    positions = np.asarray(positions[:max_refits], dtype=int)
    actual, optimality = actual_removal_effect(
        model, X_test, y_test, train_indices=positions
    )
    exact = np.asarray(
        model.removal_effect(X_test, y_test, method="exact", train_indices=positions)
    )
    first = np.asarray(
        model.removal_effect(
            X_test, y_test, method="first_order", train_indices=positions
        )
    )
    row_of = {p: k for k, p in enumerate(positions)}
    test_of = {label: j for j, label in enumerate(X_test.index)}
    refit_col = np.full(len(table), np.nan)
    exact_col = np.full(len(table), np.nan)
    first_col = np.full(len(table), np.nan)
    for t, (label, position) in enumerate(zip(table["test"], table["train_position"])):
        k = row_of.get(position)
        if k is not None:
            j = test_of[label]
            refit_col[t], exact_col[t], first_col[t] = (
                actual[k, j],
                exact[k, j],
                first[k, j],
            )
    table["removal_first_order"] = first_col
    table["removal_exact"] = exact_col
    table["removal_refit"] = refit_col

    done = ~np.isnan(refit_col)
    summary = {
        "n_refits": int(len(positions)),
        "n_pairs": int(done.sum()),
        "truncated": bool(truncated),
        "max_refit_gradient_norm": (
            float(np.max(optimality[~np.isnan(optimality)]))
            if (~np.isnan(optimality)).any()
            else None
        ),
    }
    for name, column in (
        ("newton", table["removal_effect"].to_numpy()),
        ("first_order", first_col),
        ("exact", exact_col),
    ):
        summary[name] = _agreement(column[done], refit_col[done])
    return summary


def _agreement(predicted, actual):
    if predicted.size >= 2 and np.ptp(actual) > 0 and np.ptp(predicted) > 0:
        r = float(np.corrcoef(predicted, actual)[0, 1])
    else:
        r = float("nan")
    denominator = float(actual @ actual)
    slope = float(actual @ predicted) / denominator if denominator > 0 else float("nan")
    return {
        "pearson_r": r,
        "slope": slope,
        "max_abs_error": float(np.max(np.abs(predicted - actual), initial=0.0)),
        "max_abs_effect": float(np.max(np.abs(actual), initial=0.0)),
    }


def _report(summary):
    def line(name, a):
        return (
            f"{name}: r = {a['pearson_r']:.4f}, slope = {a['slope']:.4f}, "
            f"max |error| = {a['max_abs_error']:.3g}"
        )

    head = (
        f"check: {summary['n_refits']} retrainings of the model, "
        f"{summary['n_pairs']} (test, training) pairs, largest |actual effect| "
        f"{summary['newton']['max_abs_effect']:.3g}"
    )
    if summary["truncated"]:
        head += " (truncated by --max-refits)"
    lines = [
        head,
        "  " + line("removal_effect (Newton step) vs refits", summary["newton"]),
        "  " + line("first-order influence vs refits", summary["first_order"]),
        "  " + line("exact leave-one-out vs refits", summary["exact"]),
    ]
    worst = summary["max_refit_gradient_norm"]
    if worst is not None and np.isinf(worst):
        lines.append(
            "  note: some refits stopped before converging (the solver said "
            "so); their effects are noisy. Try --scale."
        )
    elif worst is not None and worst > 1e-4:
        lines.append(
            "  note: some refits did not converge (relative gradient norm "
            f"{worst:.2g}); their effects are noisy."
        )
    return "\n".join(lines)


# ----------------------------------------------------------------------
# output


def _with_rows(table, X_train):
    """Append each training row's own values to the table."""
    values = X_train.iloc[table["train_position"].to_numpy()].reset_index(drop=True)
    values.columns = [f"train_{c}" if c in _META else c for c in values.columns]
    out = table.rename(columns={"test": "test_row", "train": "train_row"})
    return out.join(values)


def _write(args, table, X_train, summary):
    out = _with_rows(table, X_train)
    if out["y_test"].isna().all():
        out = out.drop(columns="y_test")
    fmt = args.format
    if fmt is None:
        fmt = "json" if str(args.output or "").lower().endswith(".json") else "csv"
    if fmt == "csv":
        text = out.drop(columns="train_position").to_csv(index=False)
    else:
        text = json.dumps(
            _as_json(out, X_train, args, summary), indent=2, default=_plain
        )
        text += "\n"
    if args.output is None:
        sys.stdout.write(text)
        return
    try:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise CLIError(f"cannot write {args.output!r}: {exc.strerror}.") from None


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def _clean(value):
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _as_json(out, X_train, args, summary):
    features = list(X_train.columns)
    renamed = [f"train_{c}" if c in _META else c for c in features]
    explanations = []
    for label, rows in out.groupby("test_row", sort=False):
        first = rows.iloc[0]
        entry = {"test_row": _clean(label)}
        if "y_test" in rows:
            entry["y_test"] = _clean(first["y_test"])
        entry["y_pred"] = _clean(first["y_pred"])
        for role in ("helpful", "harmful"):
            entries = []
            for _, row in rows[rows["role"] == role].iterrows():
                item = {
                    k: _clean(row[k])
                    for k in row.index
                    if k in _META and k not in ("test_row", "y_test", "y_pred", "role")
                }
                item.pop("train_position", None)
                item["row"] = {f: _clean(row[r]) for f, r in zip(features, renamed)}
                entries.append(item)
            entry[role] = entries
        explanations.append(entry)
    result = {
        "model": args.model,
        "target": args.target,
        "n_top": args.n_top,
        "explanations": explanations,
    }
    if summary is not None:
        result["check"] = _clean_tree(summary)
    return result


def _clean_tree(tree):
    if isinstance(tree, dict):
        return {k: _clean_tree(v) for k, v in tree.items()}
    return _clean(tree)


_META = {
    "test_row",
    "y_test",
    "y_pred",
    "role",
    "rank",
    "train_row",
    "train_position",
    "y_train",
    "influence",
    "removal_effect",
    "removal_first_order",
    "removal_exact",
    "removal_refit",
}


def _run(args):
    if args.n_top < 1:
        raise CLIError(f"--n-top must be a positive integer; got {args.n_top}.")
    if args.max_refits < 1:
        raise CLIError(
            f"--max-refits must be a positive integer; got {args.max_refits}."
        )
    if args.max_categories < 1:
        raise CLIError(f"--max-categories must be positive; got {args.max_categories}.")
    kind = _models()[args.model][0]
    X_train, y_train, X_test, y_test, numeric, categorical = _prepare(args)
    for column in categorical:
        unseen = sorted(set(X_test[column]) - set(X_train[column]))
        if unseen:
            print(
                f"sklinfluence explain: warning: test column {column!r} has "
                f"value(s) {_list(unseen, limit=5)} not seen in training; they are "
                "encoded as all zeros.",
                file=sys.stderr,
            )
    y_train, y_test = _check_target(kind, args.model, y_train, y_test, args.train)
    model = _build_model(args, kind, numeric, categorical)
    _fit(model, args, X_train, y_train)
    try:
        table = _explain(model, X_test, y_test, args.n_top)
    except ValueError as exc:
        raise CLIError(f"explaining the test rows failed: {_one_line(exc)}") from None

    summary = None
    if args.check:
        summary = _check(model, X_test, y_test, table, args.max_refits)
        print(_report(summary), file=sys.stderr)
    _write(args, table, X_train, summary)
    return 0
