"""``sklinfluence demo``: influence on scikit-learn's handwritten digits.

Fits a multinomial logistic regression to the bundled digits (real 8x8 scans
of handwritten digits), explains several test images, misclassified ones
among them, by their most helpful and harmful training images, and then
checks the predicted removal effects against actual refits.
"""

import time
from pathlib import Path

import numpy as np

SHADES = " .:-=+*#%@"


def add_parser(commands):
    parser = commands.add_parser(
        "demo",
        help="explain handwritten digits and check against refits",
        description=__doc__.split("\n\n")[1],
    )
    parser.add_argument(
        "--output",
        default="sklinfluence-demo.png",
        help="where to save the figure (default: %(default)s)",
    )
    parser.add_argument(
        "--n-refits",
        type=int,
        default=30,
        help="training points to refit without (default: %(default)s)",
    )
    parser.add_argument(
        "--n-explain",
        type=int,
        default=6,
        help="test images to explain (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.set_defaults(run=run)
    return parser


def _ascii(image):
    """Rows of an 8x8 image in [0, 1] drawn with characters, two per pixel."""
    levels = np.clip((image * (len(SHADES) - 1)).round().astype(int), 0, 9)
    return ["".join(SHADES[v] * 2 for v in row) for row in levels]


def _print_explanation(explanation, X_test, X_train, y_test, j, positions):
    test = positions[j]
    label = f"test image {test}: true {y_test[test]}, predicted "
    label += f"{explanation.y_pred[j]}"
    if explanation.y_pred[j] != y_test[test]:
        label += "  (misclassified)"
    print(label)
    panels = [("test", X_test[test], "")]
    for role in ("helpful", "harmful"):
        for i, score in explanation.entries(j, role):
            y = explanation.y_train[i]
            panels.append((f"{role} #{i}", X_train[i], f"y={y} {score:+.3g}"))
    drawn = [_ascii(image.reshape(8, 8)) for _, image, _ in panels]
    print("  ".join(f"{name:<16}" for name, _, _ in panels))
    print("  ".join(f"{note:<16}" for _, _, note in panels))
    for row in range(8):
        print("  ".join(f"{image[row]:<16}" for image in drawn))
    print()


def _actual_refits(model, X_train, y_train, X_test, y_test, indices):
    """Change of each test loss after refitting without each training point."""
    from ._adapters import stack_theta
    from ._refits import refit_without

    obj = model.objective_
    y_enc = model.target_encoding_(y_test)
    base = obj.loss.loss(y_enc, obj.decision(X_test))
    fitted = model.estimator_
    out = []
    for i in indices:
        est = refit_without(fitted, X_train, y_train, i, warm_from=fitted)
        theta = stack_theta(est.coef_, est.intercept_, est.fit_intercept).ravel()
        out.append(obj.loss.loss(y_enc, obj.decision(X_test, theta)) - base)
    return np.array(out)


def _figure(explanation, predicted, actual, names, path):
    from ._refits import agreement

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed; no figure written.")
        print("Install it with: pip install 'sklinfluence[plot]'")
        return None

    explanations = explanation.plot(range(explanation.n_test), image_shape=(8, 8))
    explanations.suptitle("Most helpful and harmful training images", fontsize=10)
    explanations.tight_layout()
    fig, axes = plt.subplots(1, len(names), figsize=(4 * len(names), 4))
    for ax, name in zip(np.atleast_1d(axes), names):
        pred = predicted[name]
        r, slope = agreement(pred, actual)
        ax.scatter(actual.ravel(), pred.ravel(), s=8, alpha=0.6)
        low = min(actual.min(), pred.min())
        high = max(actual.max(), pred.max())
        ax.plot([low, high], [low, high], color="gray", lw=1, ls="--")
        ax.set_xlabel("actual change of test loss (refit)")
        ax.set_ylabel(f"predicted ({name})")
        ax.set_title(f"{name}: r = {r:.3f}, slope = {slope:.3f}", fontsize=10)
    fig.tight_layout()

    # One PNG: the explanations above the agreement plots.
    from io import BytesIO

    images = []
    for figure in (explanations, fig):
        buffer = BytesIO()
        figure.savefig(buffer, format="png", dpi=110)
        plt.close(figure)
        buffer.seek(0)
        images.append(plt.imread(buffer))
    width = max(image.shape[1] for image in images)
    padded = [
        np.pad(image, ((0, 0), (0, width - image.shape[1]), (0, 0)), constant_values=1)
        for image in images
    ]
    plt.imsave(path, np.vstack(padded))
    return path


def run(args):
    """Run the demo; returns the exit code."""
    from threadpoolctl import threadpool_limits

    # Digits are small: one BLAS thread is fastest, and multi-threaded BLAS
    # can stall badly on a busy machine.
    with threadpool_limits(limits=1, user_api="blas"):
        return _run(args)


def _run(args):
    import warnings

    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    from . import InfluenceClassifier
    from ._refits import agreement

    start = time.perf_counter()
    digits = load_digits()
    X = digits.data / 16.0
    X_train, X_test, y_train, y_test = train_test_split(
        X, digits.target, test_size=0.25, random_state=args.seed, stratify=digits.target
    )
    print(
        f"Digits: {len(y_train)} training and {len(y_test)} test images of "
        "8x8 pixels, 10 classes."
    )

    # A tight tolerance: influence functions assume the model is at its optimum.
    estimator = LogisticRegression(
        C=0.1, solver="newton-cholesky", tol=1e-10, max_iter=1000
    )
    model = InfluenceClassifier(estimator).fit(X_train, y_train)
    accuracy = model.score(X_test, y_test)
    print(
        "Multinomial LogisticRegression(C=0.1, solver='newton-cholesky'): "
        f"test accuracy {accuracy:.3f}, "
        f"{model.objective_.n_params} parameters, relative gradient norm "
        f"{model.optimality_:.1e} at the fit."
    )
    print()

    # Several test images, misclassified ones first.
    rng = np.random.RandomState(args.seed)
    wrong = np.flatnonzero(model.predict(X_test) != y_test)
    right = np.setdiff1d(np.arange(len(y_test)), wrong)
    n_wrong = min(len(wrong), max(1, args.n_explain // 2))
    chosen = np.concatenate(
        [
            rng.choice(wrong, n_wrong, replace=False),
            rng.choice(right, args.n_explain - n_wrong, replace=False),
        ]
    )
    explanation = model.explain(X_test[chosen], y_test[chosen], n_top=3)
    print(
        "Influence of upweighting each training image on the test loss "
        "(negative: helpful, positive: harmful):"
    )
    print()
    for j in range(len(chosen)):
        _print_explanation(explanation, X_test, X_train, y_test, j, chosen)

    # Check against actual refits for the most influential training points.
    predicted = {
        name: model.removal_effect(X_test[chosen], y_test[chosen], method=name)
        for name in ("first_order", "newton")
    }
    strength = np.abs(predicted["newton"]).sum(axis=1)
    top = np.argsort(-strength)[: args.n_refits]
    predicted = {name: values[top] for name, values in predicted.items()}
    print(
        f"Refitting without each of the {len(top)} most influential training "
        f"images ({len(top)} refits)...",
        flush=True,
    )
    refit_start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        actual = _actual_refits(
            model, X_train, y_train, X_test[chosen], y_test[chosen], top
        )
    refit_time = time.perf_counter() - refit_start
    predicted["exact"] = model.removal_effect(
        X_test[chosen], y_test[chosen], method="exact", train_indices=top
    )
    print(f"done in {refit_time:.1f} s.")
    print()
    print("Predicted against actual change of test loss on removal:")
    print(f"  {'method':<12} {'Pearson r':>10} {'slope':>8} {'max |error|':>12}")
    for name, values in predicted.items():
        r, slope = agreement(values, actual)
        error = np.abs(values - actual).max()
        print(f"  {name:<12} {r:>10.4f} {slope:>8.3f} {error:>12.2e}")
    print("  (slope: least squares of predicted on actual, through the origin)")
    print()

    path = _figure(
        explanation,
        {k: predicted[k] for k in ("first_order", "newton")},
        actual,
        ["first_order", "newton"],
        Path(args.output),
    )
    if path is not None:
        print(f"Figure written to {Path(path).resolve()}")
    print(f"Finished in {time.perf_counter() - start:.1f} s.")
    return 0
