"""The result of ``explain``: the top helpful and harmful training points."""

import numpy as np
from scipy import sparse


def _import_pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError(
            "Plotting needs matplotlib: pip install 'sklinfluence[plot]'."
        ) from exc
    return plt


class Explanation:
    """Most helpful and most harmful training points for each test point.

    Returned by ``explain``; not usually built by hand. Scores are
    ``influence_upweight`` values: negative for helpful points (upweighting
    them lowers the test loss), positive for harmful ones.

    Parameters
    ----------
    helpful_indices, harmful_indices : ndarray of shape (n_test, n_top)
        Row positions into the training data, most influential first. A
        list holds only points of its sign (negative influence for helpful,
        positive for harmful); when fewer exist, the remaining slots are -1
        with a NaN score. :meth:`entries` gives the listed points only.
    helpful_scores, harmful_scores : ndarray of shape (n_test, n_top)
        Their influence values.
    y_train : ndarray of shape (n_train,)
        Training targets.
    y_test : ndarray of shape (n_test,) or None
        Test targets, when given.
    y_pred : ndarray of shape (n_test,)
        The model's predictions for the test points.
    X_train, X_test : ndarray or sparse matrix
        The features the final estimator sees, for plotting.
    train_index, test_index : array-like, default=None
        Labels of the rows (e.g. a DataFrame's index); positions otherwise.
    feature_names : array-like of str, default=None
        Names of the input features.

    Attributes
    ----------
    n_test : int
        Number of explained test points.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklinfluence import InfluenceClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = LogisticRegression(C=0.1, solver="newton-cholesky", tol=1e-8)
    >>> model = InfluenceClassifier(clf).fit(X[:300] / 16, y[:300])
    >>> explanation = model.explain(X[300:302] / 16, n_top=2)
    >>> explanation
    Explanation(n_test=2, n_top=2)
    >>> explanation.to_frame().columns[:5].tolist()
    ['test', 'y_test', 'y_pred', 'role', 'rank']
    """

    def __init__(
        self,
        helpful_indices,
        helpful_scores,
        harmful_indices,
        harmful_scores,
        y_train,
        y_test,
        y_pred,
        X_train=None,
        X_test=None,
        train_index=None,
        test_index=None,
        feature_names=None,
    ):
        self.helpful_indices = helpful_indices
        self.helpful_scores = helpful_scores
        self.harmful_indices = harmful_indices
        self.harmful_scores = harmful_scores
        self.y_train = y_train
        self.y_test = y_test
        self.y_pred = y_pred
        self.X_train = X_train
        self.X_test = X_test
        self.train_index = train_index
        self.test_index = test_index
        self.feature_names = feature_names

    @property
    def n_test(self):
        return self.helpful_indices.shape[0]

    def __repr__(self):
        return (
            f"Explanation(n_test={self.n_test}, n_top={self.helpful_indices.shape[1]})"
        )

    def entries(self, j, role):
        """The listed training points of test point ``j`` for ``role``.

        Parameters
        ----------
        j : int
            Position of the test point.
        role : {"helpful", "harmful"}

        Returns
        -------
        entries : list of (int, float)
            Training row positions and influence values, most influential
            first. Shorter than ``n_top`` when fewer training points have
            the role's sign.
        """
        idx = self.helpful_indices if role == "helpful" else self.harmful_indices
        scores = self.helpful_scores if role == "helpful" else self.harmful_scores
        return [
            (int(i), float(s)) for i, s in zip(idx[j], scores[j], strict=True) if i >= 0
        ]

    def _label(self, index, position):
        return position if index is None else np.asarray(index)[position]

    def to_frame(self, *, features=False):
        """The explanation as a tidy DataFrame, one row per (test, training) pair.

        Parameters
        ----------
        features : bool, default=False
            Also add the training row's features as the final estimator sees
            them (after any pipeline transforms), one column per feature,
            named by ``feature_names``.

        Returns
        -------
        frame : pandas.DataFrame
            Columns ``test``, ``y_test``, ``y_pred``, ``role`` ("helpful" or
            "harmful"), ``rank`` (1 is the most influential), ``train`` (the
            training row's label), ``train_position``, ``y_train`` and
            ``influence``, then the features when asked for.

        Examples
        --------
        >>> import pandas as pd
        >>> from sklearn.compose import make_column_transformer
        >>> from sklearn.datasets import load_breast_cancer
        >>> from sklearn.linear_model import LogisticRegression
        >>> from sklearn.pipeline import make_pipeline
        >>> from sklearn.preprocessing import OneHotEncoder, StandardScaler
        >>> from sklinfluence import InfluenceClassifier
        >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
        >>> X = X[["mean radius", "mean texture"]].assign(
        ...     large=(X["mean area"] > 700).map({True: "yes", False: "no"}))
        >>> prep = make_column_transformer(
        ...     (StandardScaler(), ["mean radius", "mean texture"]),
        ...     (OneHotEncoder(), ["large"]))
        >>> model = InfluenceClassifier(
        ...     make_pipeline(prep, LogisticRegression(tol=1e-8))
        ... ).fit(X.iloc[:300], y.iloc[:300])
        >>> frame = model.explain(X.iloc[[300]], y.iloc[[300]], n_top=1).to_frame(
        ...     features=True)
        >>> list(frame.columns[-2:])
        ['onehotencoder__large_no', 'onehotencoder__large_yes']
        """
        from ._frames import import_pandas

        pd = import_pandas("Explanation.to_frame")
        records = []
        for j in range(self.n_test):
            for role in ("helpful", "harmful"):
                for rank, (i, score) in enumerate(self.entries(j, role), start=1):
                    records.append(
                        {
                            "test": self._label(self.test_index, j),
                            "y_test": None if self.y_test is None else self.y_test[j],
                            "y_pred": self.y_pred[j],
                            "role": role,
                            "rank": rank,
                            "train": self._label(self.train_index, i),
                            "train_position": int(i),
                            "y_train": self.y_train[i],
                            "influence": float(score),
                        }
                    )
        frame = pd.DataFrame.from_records(records)
        if features and self.X_train is not None:
            rows = self.X_train[frame["train_position"].to_numpy()]
            rows = rows.toarray() if sparse.issparse(rows) else np.asarray(rows)
            names = self.feature_names
            if names is None:
                names = [f"x{k}" for k in range(rows.shape[1])]
            values = pd.DataFrame(rows, columns=[str(n) for n in names])
            frame = pd.concat([frame, values], axis=1)
        return frame

    def plot(self, test_points=None, *, image_shape=None, cmap="gray_r"):
        """Show each test image beside its most helpful and harmful training images.

        Parameters
        ----------
        test_points : array-like of int, default=None
            Positions of the test points to show; ``None`` shows up to five.
        image_shape : tuple of int, default=None
            Shape to reshape each feature vector to; by default a square, if
            the number of features is a perfect square.
        cmap : str, default="gray_r"
            Colormap of the images.

        Returns
        -------
        figure : matplotlib.figure.Figure
        """
        plt = _import_pyplot()
        if test_points is None:
            test_points = range(min(self.n_test, 5))
        test_points = list(test_points)
        n_features = self.X_train.shape[1]
        if image_shape is None:
            side = int(round(np.sqrt(n_features)))
            if side * side != n_features:
                raise ValueError(
                    f"{n_features} features do not form a square image; pass "
                    "image_shape=(height, width), or draw tabular data as a "
                    "bar chart with sklinfluence.InfluentialExamplesDisplay."
                )
            image_shape = (side, side)

        def image(X, i):
            row = X[i].toarray().ravel() if sparse.issparse(X) else X[i]
            return np.asarray(row)[:n_features].reshape(image_shape)

        n_top = self.helpful_indices.shape[1]
        n_cols = 1 + 2 * n_top
        fig, axes = plt.subplots(
            len(test_points),
            n_cols,
            figsize=(1.3 * n_cols, 1.6 * len(test_points)),
            squeeze=False,
        )
        for row, j in enumerate(test_points):
            ax = axes[row, 0]
            ax.imshow(image(self.X_test, j), cmap=cmap)
            truth = "" if self.y_test is None else f"true {self.y_test[j]}\n"
            ax.set_title(f"{truth}pred {self.y_pred[j]}", fontsize=8)
            panels = [
                ("helpful", i, s, "tab:green") for i, s in self.entries(j, "helpful")
            ] + [("harmful", i, s, "tab:red") for i, s in self.entries(j, "harmful")]
            for col, (role, i, score, color) in enumerate(panels, start=1):
                ax = axes[row, col]
                ax.imshow(image(self.X_train, i), cmap=cmap)
                ax.set_title(
                    f"{role}\ny={self.y_train[i]} {score:+.2g}", fontsize=7, color=color
                )
        for ax in axes.ravel():
            ax.set_xticks([])
            ax.set_yticks([])
        fig.tight_layout()
        return fig
