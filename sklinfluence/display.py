"""Plots in scikit-learn's Display style.

Each Display stores precomputed values in its constructor and computes
nothing there; ``from_estimator`` (and the other ``from_*`` class methods)
compute the values and call :meth:`plot`; ``plot(ax=...)`` draws on the given
axes (or a new figure), keeps the axes in ``ax_``, the figure in ``figure_``
and the drawn artists in attributes ending in ``_``, and returns the Display.
matplotlib is imported only when something is drawn.

- :class:`RemovalEffectDisplay`: predicted change of a test loss when a
  training point is removed, against actual retraining (Koh & Liang's
  Figure 2), with Pearson's r and the slope.
- :class:`InfluentialExamplesDisplay`: the most helpful and most harmful
  training examples for one test point, as images or as a labelled bar chart.
- :class:`MislabelReviewDisplay`: the fraction of flipped labels found
  against the fraction of the training data checked, in the order a ranking
  suggests.
"""

import numbers

import numpy as np
from scipy import sparse

from ._explanation import _import_pyplot
from ._refits import actual_removal_effect, final_estimator

__all__ = [
    "InfluentialExamplesDisplay",
    "MislabelReviewDisplay",
    "RemovalEffectDisplay",
]


def _axes(ax):
    if ax is None:
        _, ax = _import_pyplot().subplots()
    return ax, ax.figure


def _rows(X, positions):
    """Rows of an array, sparse matrix or DataFrame by position."""
    if hasattr(X, "iloc"):
        return X.iloc[positions]
    return X[positions]


def _label(index, position):
    label = position if index is None else np.asarray(index)[position]
    return label.item() if isinstance(label, np.generic) else label


# ----------------------------------------------------------------------
# removal effects against refits


class RemovalEffectDisplay:
    """Predicted change of test losses on removal against actual retraining.

    One point per (removed training row, test point) pair: the actual change
    of the test loss when the model is retrained without the row (x axis)
    against the change the influence estimate predicts (y axis), with the
    diagonal ``y = x``. Agreement is summarized by Pearson's r and by the
    slope of a least-squares line through the origin, ``sum(actual *
    predicted) / sum(actual ** 2)``: r says whether the ranking is right,
    the slope whether the sizes are (1 is unbiased; first-order influence
    tends to fall below 1 for the most influential points).

    Use :meth:`from_estimator` to compute the values from a fitted wrapper.

    Parameters
    ----------
    predicted : array-like of shape (n_points,)
        Predicted changes of the test loss.
    actual : array-like of shape (n_points,)
        Actual changes after retraining without the row.
    method : str, default=None
        How ``predicted`` was computed, for the axis label (e.g.
        ``"first_order"``, ``"newton"``).
    reference : str, default=None
        How ``actual`` was computed, for the axis label (e.g. ``"refit"``).
    train_labels : array-like of shape (n_points,), default=None
        The removed training row of each point, kept for inspection.
    estimator_name : str, default=None
        Name shown in the legend.

    Attributes
    ----------
    pearson_r : float
        Pearson's correlation of ``predicted`` and ``actual``.
    slope : float
        Least-squares slope of ``predicted`` on ``actual`` through the origin.
    ax_ : matplotlib Axes
        Axes drawn on.
    figure_ : matplotlib Figure
        Figure of ``ax_``.
    scatter_ : matplotlib PathCollection
        The points.
    line_ : matplotlib Line2D or None
        The diagonal ``y = x``, when drawn.
    text_ : matplotlib Text or None
        The r and slope annotation, when drawn.

    See Also
    --------
    InfluentialExamplesDisplay : The top training examples for a test point.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklinfluence.display import RemovalEffectDisplay
    >>> display = RemovalEffectDisplay([0.1, -0.2, 0.31], [0.1, -0.2, 0.3])
    >>> round(display.slope, 3)
    1.021
    >>> display = display.plot()
    >>> display.text_.get_text()
    'r = 1.000, slope = 1.021 (n = 3)'
    """

    def __init__(
        self,
        predicted,
        actual,
        *,
        method=None,
        reference=None,
        train_labels=None,
        estimator_name=None,
    ):
        self.predicted = np.asarray(predicted, dtype=float).ravel()
        self.actual = np.asarray(actual, dtype=float).ravel()
        if self.predicted.shape != self.actual.shape:
            raise ValueError(
                f"predicted and actual must have the same length; got "
                f"{self.predicted.size} and {self.actual.size}."
            )
        self.method = method
        self.reference = reference
        self.train_labels = train_labels
        self.estimator_name = estimator_name

    @property
    def pearson_r(self):
        if self.predicted.size < 2 or np.ptp(self.actual) == 0:
            return float("nan")
        return float(np.corrcoef(self.actual, self.predicted)[0, 1])

    @property
    def slope(self):
        denominator = float(self.actual @ self.actual)
        if denominator == 0:
            return float("nan")
        return float(self.actual @ self.predicted) / denominator

    def plot(self, ax=None, *, name=None, diagonal=True, annotate=True, **kwargs):
        """Draw the scatter, the diagonal and the r and slope annotation.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when ``None``.
        name : str, default=None
            Legend label of the points; defaults to ``estimator_name``. The
            label carries r and the slope.
        diagonal : bool, default=True
            Draw the line ``y = x`` (turn off when adding a second Display
            to the same axes).
        annotate : bool, default=True
            Write r and the slope in the upper left corner.
        **kwargs : dict
            Passed to ``ax.scatter``.

        Returns
        -------
        display : RemovalEffectDisplay
            This object, with ``ax_``, ``figure_`` and the artists set.
        """
        self.ax_, self.figure_ = _axes(ax)
        name = self.estimator_name if name is None else name
        summary = f"r = {self.pearson_r:.3f}, slope = {self.slope:.3f}"
        style = {"s": 18, "alpha": 0.8}
        style.update(kwargs)
        label = None if name is None else f"{name}: {summary}"
        self.scatter_ = self.ax_.scatter(
            self.actual, self.predicted, label=label, **style
        )

        # Square limits over everything drawn so far, so y = x is the diagonal.
        values = np.concatenate([self.actual, self.predicted])
        low, high = (values.min(), values.max()) if values.size else (-1.0, 1.0)
        if not diagonal:
            low = min(low, self.ax_.get_xlim()[0], self.ax_.get_ylim()[0])
            high = max(high, self.ax_.get_xlim()[1], self.ax_.get_ylim()[1])
        pad = 0.05 * (high - low or 1.0)
        limits = (low - pad, high + pad)
        self.line_ = None
        if diagonal:
            (self.line_,) = self.ax_.plot(
                limits, limits, color="0.5", linestyle="--", linewidth=1, label="y = x"
            )
        self.ax_.set_xlim(limits)
        self.ax_.set_ylim(limits)

        self.text_ = None
        if annotate:
            self.text_ = self.ax_.text(
                0.04,
                0.96,
                f"{summary} (n = {self.actual.size})",
                transform=self.ax_.transAxes,
                va="top",
                fontsize=9,
            )
        reference = f" ({self.reference})" if self.reference else ""
        method = f" ({self.method})" if self.method else ""
        self.ax_.set_xlabel(f"Actual change of test loss{reference}")
        self.ax_.set_ylabel(f"Predicted change of test loss{method}")
        if name is not None:
            self.ax_.legend(loc="lower right", fontsize=8)
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y=None,
        *,
        train_indices=None,
        n_points=30,
        method="newton",
        reference="refit",
        ax=None,
        name=None,
        **kwargs,
    ):
        """Compare predicted removal effects of a fitted wrapper with retraining.

        Parameters
        ----------
        estimator : InfluenceClassifier or InfluenceRegressor
            A fitted wrapper.
        X : array-like of shape (n_test, n_features)
            Test points; a few, since every one is paired with every chosen
            training row.
        y : array-like of shape (n_test,), default=None
            Their targets; ``None`` uses the model's predictions.
        train_indices : array-like of int, default=None
            Training rows to remove. ``None`` takes the ``n_points`` rows
            with the largest predicted first-order effect on any test point,
            as Koh & Liang do.
        n_points : int, default=30
            Number of rows chosen when ``train_indices`` is None.
        method : {"first_order", "newton"}, default="newton"
            The estimate on the y axis, see ``removal_effect``.
        reference : {"refit", "exact"}, default="refit"
            The x axis. ``"refit"``: scikit-learn retrains the final
            estimator without each row (on the features it saw, pipeline
            steps held fixed), at a tight tolerance with a warm start, and
            once with all rows for the baseline. ``"exact"``: Newton's method
            run to convergence on the objective without the row
            (``removal_effect(method="exact")``), much faster and equal to
            the refit when the model converged.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        name : str, default=None
            Legend label; defaults to the final estimator's class name.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : RemovalEffectDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sklearn.datasets import load_breast_cancer
        >>> from sklearn.linear_model import LogisticRegression
        >>> from sklearn.preprocessing import scale
        >>> from sklinfluence import InfluenceClassifier
        >>> from sklinfluence.display import RemovalEffectDisplay
        >>> X, y = load_breast_cancer(return_X_y=True)
        >>> X = scale(X)
        >>> clf = LogisticRegression(solver="newton-cholesky")
        >>> model = InfluenceClassifier(clf).fit(X[:300], y[:300])
        >>> display = RemovalEffectDisplay.from_estimator(
        ...     model, X[300:302], y[300:302], n_points=10, reference="exact"
        ... )
        >>> display.predicted.shape
        (20,)
        >>> bool(display.pearson_r > 0.9)
        True
        """
        if method not in ("first_order", "newton"):
            raise ValueError(
                f"method must be 'first_order' or 'newton'; got {method!r}."
            )
        if reference not in ("refit", "exact"):
            raise ValueError(
                f"reference must be 'refit' or 'exact'; got {reference!r}."
            )
        if train_indices is None:
            if not (isinstance(n_points, numbers.Integral) and n_points >= 1):
                raise ValueError(
                    f"n_points must be a positive integer; got {n_points!r}."
                )
            first = np.asarray(
                estimator.removal_effect(X, y, method="first_order"), dtype=float
            )
            strength = np.abs(first).max(axis=1)
            train_indices = np.argsort(-strength, kind="stable")[:n_points]
        idx = estimator._train_indices(train_indices)

        predicted = np.asarray(
            estimator.removal_effect(X, y, method=method, train_indices=idx),
            dtype=float,
        )
        if reference == "exact":
            actual = np.asarray(
                estimator.removal_effect(X, y, method="exact", train_indices=idx),
                dtype=float,
            )
        else:
            actual, _ = actual_removal_effect(estimator, X, y, train_indices=idx)

        n_train = estimator.X_fit_.shape[0]
        labels = np.asarray(getattr(estimator, "train_index_", np.arange(n_train)))
        n_test = predicted.shape[1]
        display = cls(
            predicted,
            actual,
            method=method,
            reference=reference,
            train_labels=np.repeat(labels[idx], n_test),
            estimator_name=type(final_estimator(estimator)).__name__,
        )
        return display.plot(ax=ax, name=name, **kwargs)


# ----------------------------------------------------------------------
# the most helpful and harmful training examples


class InfluentialExamplesDisplay:
    """The most helpful and most harmful training examples for one test point.

    Drawn as images (``images`` given: e.g. handwritten digits), the test
    image first, the helpful examples on the top row and the harmful ones on
    the bottom row; otherwise as a horizontal bar chart of the influence
    scores, one bar per training row, labelled with the row's label and
    target. Scores are ``influence_upweight`` values: negative for helpful
    rows (upweighting them lowers the test loss), positive for harmful ones.

    Use :meth:`from_estimator` or :meth:`from_explanation` to build it.

    Parameters
    ----------
    scores : array-like of shape (n_examples,)
        Influence of each shown training row on the test loss.
    roles : array-like of str of shape (n_examples,)
        ``"helpful"`` or ``"harmful"`` for each row.
    train_labels : array-like of shape (n_examples,)
        Label of each training row (its DataFrame index, or position).
    y_train : array-like of shape (n_examples,), default=None
        Target of each training row.
    images : array-like of shape (n_examples, height, width), default=None
        Image of each training row; the bar chart is drawn when ``None``.
    test_image : array-like of shape (height, width), default=None
        Image of the test point.
    test_label : object, default=None
        Label of the test point (its index, or position).
    y_test : object, default=None
        Target of the test point, when known.
    y_pred : object, default=None
        The model's prediction for it.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes drawn on (for images, the frame holding the image grid).
    figure_ : matplotlib Figure
        Figure of ``ax_``.
    bars_ : matplotlib BarContainer or None
        The bars of the bar chart.
    image_axes_ : ndarray of matplotlib Axes or None
        Axes of the images, of shape (2, 1 + n_top).

    See Also
    --------
    sklinfluence.Explanation : What ``explain`` returns.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklinfluence.display import InfluentialExamplesDisplay
    >>> display = InfluentialExamplesDisplay(
    ...     scores=[-0.4, -0.1, 0.3],
    ...     roles=["helpful", "helpful", "harmful"],
    ...     train_labels=["a", "b", "c"],
    ...     y_train=[1, 1, 0],
    ... ).plot()
    >>> [t.get_text() for t in display.ax_.get_yticklabels()]
    ['a (y=1)', 'b (y=1)', 'c (y=0)']
    """

    def __init__(
        self,
        scores,
        roles,
        train_labels,
        *,
        y_train=None,
        images=None,
        test_image=None,
        test_label=None,
        y_test=None,
        y_pred=None,
    ):
        self.scores = np.asarray(scores, dtype=float).ravel()
        self.roles = np.asarray(roles, dtype=object).ravel()
        self.train_labels = np.asarray(train_labels, dtype=object).ravel()
        n = self.scores.size
        if self.roles.size != n or self.train_labels.size != n:
            raise ValueError(
                "scores, roles and train_labels must have one entry per shown "
                f"training row; got {n}, {self.roles.size} and "
                f"{self.train_labels.size}."
            )
        if not set(self.roles) <= {"helpful", "harmful"}:
            raise ValueError("roles must be 'helpful' or 'harmful'.")
        self.y_train = None if y_train is None else np.asarray(y_train, dtype=object)
        self.images = None if images is None else np.asarray(images, dtype=float)
        self.test_image = None if test_image is None else np.asarray(test_image)
        self.test_label = test_label
        self.y_test = y_test
        self.y_pred = y_pred

    def _row_text(self, k):
        target = "" if self.y_train is None else f" (y={self.y_train[k]})"
        return f"{self.train_labels[k]}{target}"

    def _title(self):
        label = "" if self.test_label is None else f"test row {self.test_label}: "
        parts = []
        if self.y_test is not None:
            parts.append(f"y={self.y_test}")
        if self.y_pred is not None:
            parts.append(f"predicted {self.y_pred}")
        return label + ", ".join(parts)

    def plot(self, ax=None, *, kind=None, cmap="gray_r", **kwargs):
        """Draw the examples as images or as a bar chart.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when ``None``.
        kind : {"images", "bar"}, default=None
            ``None`` draws images when the Display has them, bars otherwise.
        cmap : str, default="gray_r"
            Colormap of the images.
        **kwargs : dict
            Passed to ``ax.barh`` (bar chart) or ``imshow`` (images).

        Returns
        -------
        display : InfluentialExamplesDisplay
        """
        if kind is None:
            kind = "images" if self.images is not None else "bar"
        if kind not in ("images", "bar"):
            raise ValueError(f"kind must be 'images' or 'bar'; got {kind!r}.")
        if kind == "images" and self.images is None:
            raise ValueError(
                "kind='images' needs images; pass image_shape to from_estimator "
                "or from_explanation, or images to the constructor."
            )
        self.ax_, self.figure_ = _axes(ax)
        self.bars_ = None
        self.image_axes_ = None
        if kind == "bar":
            self._plot_bars(**kwargs)
        else:
            self._plot_images(cmap, **kwargs)
        return self

    def _plot_bars(self, **kwargs):
        ax = self.ax_
        n = self.scores.size
        colors = np.where(self.roles == "helpful", "tab:green", "tab:red")
        style = {"color": list(colors)}
        style.update(kwargs)
        positions = np.arange(n)
        self.bars_ = ax.barh(positions, self.scores, **style)
        ax.set_yticks(positions, [self._row_text(k) for k in range(n)])
        ax.invert_yaxis()
        ax.axvline(0.0, color="0.3", linewidth=0.8)
        ax.set_xlabel("influence on the test loss (negative helps, positive harms)")
        ax.set_title(self._title(), fontsize=10)

    def _plot_images(self, cmap, **kwargs):
        ax = self.ax_
        ax.set_axis_off()
        helpful = np.flatnonzero(self.roles == "helpful")
        harmful = np.flatnonzero(self.roles == "harmful")
        n_cols = 1 + max(len(helpful), len(harmful), 1)
        grid = np.empty((2, n_cols), dtype=object)
        # Row r fills the band [1 - (r + 1) / 2, 1 - r / 2] of the axes; the
        # image takes its lower part, its three-line title the upper part.
        width = 1.0 / n_cols
        for r in range(2):
            for c in range(n_cols):
                bottom = 1.0 - (r + 1) * 0.5 + 0.01
                box = [c * width + 0.05 * width, bottom, 0.9 * width, 0.33]
                inset = ax.inset_axes(box)
                inset.set_xticks([])
                inset.set_yticks([])
                inset.set_axis_off()
                grid[r, c] = inset
        style = {"cmap": cmap}
        style.update(kwargs)
        if self.test_image is not None:
            grid[0, 0].imshow(self.test_image, **style)
            grid[0, 0].set_title(self._title().replace(": ", "\n"), fontsize=7)
        for r, (rows, color) in enumerate(
            ((helpful, "tab:green"), (harmful, "tab:red"))
        ):
            for c, k in enumerate(rows, start=1):
                cell = grid[r, c]
                cell.imshow(self.images[k], **style)
                cell.set_title(
                    f"{self.roles[k]}\n{self._row_text(k)}\n{self.scores[k]:+.3g}",
                    fontsize=7,
                    color=color,
                )
        self.image_axes_ = grid

    @classmethod
    def from_explanation(
        cls, explanation, test_point=0, *, image_shape=None, ax=None, **kwargs
    ):
        """Show one test point of an :class:`~sklinfluence.Explanation`.

        Parameters
        ----------
        explanation : Explanation
            What ``explain`` returned.
        test_point : int, default=0
            Position of the test point in the explanation.
        image_shape : tuple of int, default=None
            ``(height, width)`` to show each feature vector as an image (the
            features the final estimator sees); ``None`` draws the bar chart.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : InfluentialExamplesDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sklearn.datasets import load_breast_cancer
        >>> from sklearn.linear_model import LogisticRegression
        >>> from sklearn.pipeline import make_pipeline
        >>> from sklearn.preprocessing import StandardScaler
        >>> from sklinfluence import InfluenceClassifier
        >>> from sklinfluence.display import InfluentialExamplesDisplay
        >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
        >>> pipe = make_pipeline(StandardScaler(), LogisticRegression(tol=1e-8))
        >>> model = InfluenceClassifier(pipe).fit(X.iloc[:300], y.iloc[:300])
        >>> explanation = model.explain(X.iloc[300:302], y.iloc[300:302], n_top=2)
        >>> display = InfluentialExamplesDisplay.from_explanation(explanation, 1)
        >>> display.test_label  # the DataFrame's index label
        301
        >>> len(display.bars_)
        4
        """
        e = explanation
        if not (
            isinstance(test_point, numbers.Integral) and 0 <= test_point < e.n_test
        ):
            raise ValueError(
                f"test_point must be a position in [0, {e.n_test}); got {test_point!r}."
            )
        j = int(test_point)
        listed = [
            (role, i, score)
            for role in ("helpful", "harmful")
            for i, score in e.entries(j, role)
        ]
        roles = [role for role, _, _ in listed]
        positions = np.array([i for _, i, _ in listed], dtype=int)
        scores = np.array([score for _, _, score in listed])
        images = test_image = None
        if image_shape is not None:
            images = np.stack([_image(e.X_train, i, image_shape) for i in positions])
            test_image = _image(e.X_test, j, image_shape)
        display = cls(
            scores,
            roles,
            [_label(e.train_index, i) for i in positions],
            y_train=np.asarray(e.y_train)[positions],
            images=images,
            test_image=test_image,
            test_label=_label(e.test_index, j),
            y_test=None if e.y_test is None else e.y_test[j],
            y_pred=e.y_pred[j],
        )
        return display.plot(ax=ax, **kwargs)

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y=None,
        *,
        test_point=0,
        n_top=5,
        image_shape=None,
        ax=None,
        **kwargs,
    ):
        """Explain one test point of a fitted wrapper and show the result.

        Parameters
        ----------
        estimator : InfluenceClassifier or InfluenceRegressor
            A fitted wrapper.
        X : array-like of shape (n_test, n_features)
            Test points (a DataFrame keeps its index as the label).
        y : array-like of shape (n_test,), default=None
            Their targets; ``None`` explains the predictions.
        test_point : int, default=0
            Position of the test point to show.
        n_top : int, default=5
            Number of helpful and of harmful rows.
        image_shape : tuple of int, default=None
            ``(height, width)`` to draw images, see :meth:`from_explanation`.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : InfluentialExamplesDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sklearn.datasets import load_digits
        >>> from sklearn.linear_model import LogisticRegression
        >>> from sklinfluence import InfluenceClassifier
        >>> from sklinfluence.display import InfluentialExamplesDisplay
        >>> X, y = load_digits(n_class=2, return_X_y=True)
        >>> X = X / 16
        >>> clf = LogisticRegression(C=0.1, tol=1e-8, max_iter=1000)
        >>> model = InfluenceClassifier(clf).fit(X[:300], y[:300])
        >>> display = InfluentialExamplesDisplay.from_estimator(
        ...     model, X[300:301], y[300:301], n_top=3, image_shape=(8, 8)
        ... )
        >>> display.image_axes_.shape
        (2, 4)
        """
        if not (isinstance(test_point, numbers.Integral) and test_point >= 0):
            raise ValueError(
                f"test_point must be a non-negative position; got {test_point!r}."
            )
        n_test = X.shape[0]
        if test_point >= n_test:
            raise ValueError(
                f"test_point={test_point} is out of range for {n_test} test points."
            )
        rows = [int(test_point)]
        y_row = None if y is None else np.asarray(y)[rows]
        explanation = estimator.explain(_rows(X, rows), y_row, n_top=n_top)
        if explanation.test_index is None:
            # Label the point by its position in X, not in the one-row slice.
            explanation.test_index = np.array(rows)
        return cls.from_explanation(
            explanation, 0, image_shape=image_shape, ax=ax, **kwargs
        )


def _image(X, i, image_shape):
    row = X[i].toarray().ravel() if sparse.issparse(X) else np.asarray(X[i])
    size = int(np.prod(image_shape))
    if row.size < size:
        raise ValueError(
            f"image_shape={tuple(image_shape)} needs {size} features per row; the "
            f"model sees {row.size}."
        )
    return row[:size].reshape(image_shape)


# ----------------------------------------------------------------------
# mislabel review


class MislabelReviewDisplay:
    """Fraction of flipped labels found against the fraction of data checked.

    A reviewer checks training rows in the order a ranking suggests (e.g.
    by self-influence, most influential first); the curve shows how many of
    the wrong labels are found after checking each fraction of the data
    (Koh & Liang's Figure 4). The dashed diagonal is checking in random
    order; the dotted line, when the share of flipped labels is known, is a
    perfect ranking.

    Use :meth:`from_rankings` for a precomputed ranking, or
    :meth:`from_estimator` to rank by a wrapper's ``self_influence``.

    Parameters
    ----------
    fraction_checked : array-like of shape (n_steps,)
        Fractions of the training data checked, increasing from 0 to 1.
    fraction_found : array-like of shape (n_steps,)
        Fractions of the flipped labels found at each step.
    name : str, default=None
        Name of the ranking, for the legend.
    fraction_flipped : float, default=None
        Share of the training labels that are flipped; draws the perfect
        ranking when given.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes drawn on.
    figure_ : matplotlib Figure
        Figure of ``ax_``.
    line_ : matplotlib Line2D
        The curve.
    chance_line_ : matplotlib Line2D or None
        The diagonal of a random order, when drawn.
    oracle_line_ : matplotlib Line2D or None
        The perfect ranking, when drawn and ``fraction_flipped`` is known.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklinfluence.display import MislabelReviewDisplay
    >>> flipped = np.array([True, False, True, False, False])
    >>> display = MislabelReviewDisplay.from_rankings([2, 0, 1, 3, 4], flipped)
    >>> display.fraction_found.tolist()
    [0.0, 0.5, 1.0, 1.0, 1.0, 1.0]
    >>> display.found_at(0.4)
    1.0
    """

    def __init__(
        self, fraction_checked, fraction_found, *, name=None, fraction_flipped=None
    ):
        self.fraction_checked = np.asarray(fraction_checked, dtype=float).ravel()
        self.fraction_found = np.asarray(fraction_found, dtype=float).ravel()
        if self.fraction_checked.shape != self.fraction_found.shape:
            raise ValueError(
                "fraction_checked and fraction_found must have the same length; "
                f"got {self.fraction_checked.size} and {self.fraction_found.size}."
            )
        self.name = name
        self.fraction_flipped = fraction_flipped

    def found_at(self, fraction_checked):
        """Fraction of flipped labels found after checking ``fraction_checked``.

        Parameters
        ----------
        fraction_checked : float
            Share of the training data checked, in [0, 1].

        Returns
        -------
        found : float
        """
        return float(
            np.interp(fraction_checked, self.fraction_checked, self.fraction_found)
        )

    def plot(self, ax=None, *, name=None, references=True, **kwargs):
        """Draw the curve with the chance and perfect-ranking references.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when ``None``.
        name : str, default=None
            Legend label; defaults to ``name``.
        references : bool, default=True
            Draw the random-order diagonal and the perfect ranking (turn off
            when adding a second ranking to the same axes).
        **kwargs : dict
            Passed to ``ax.plot`` for the curve.

        Returns
        -------
        display : MislabelReviewDisplay
        """
        self.ax_, self.figure_ = _axes(ax)
        name = self.name if name is None else name
        (self.line_,) = self.ax_.plot(
            self.fraction_checked, self.fraction_found, label=name, **kwargs
        )
        self.chance_line_ = self.oracle_line_ = None
        if references:
            (self.chance_line_,) = self.ax_.plot(
                [0, 1], [0, 1], color="0.5", linestyle="--", linewidth=1, label="random"
            )
        if references and self.fraction_flipped:
            f = float(self.fraction_flipped)
            (self.oracle_line_,) = self.ax_.plot(
                [0, f, 1], [0, 1, 1], color="0.3", linestyle=":", label="perfect"
            )
        self.ax_.set_xlim(0, 1)
        self.ax_.set_ylim(0, 1.02)
        self.ax_.set_xlabel("Fraction of training data checked")
        self.ax_.set_ylabel("Fraction of flipped labels found")
        self.ax_.legend(loc="lower right", fontsize=8)
        return self

    @classmethod
    def from_rankings(cls, ranking, flipped, *, name=None, ax=None, **kwargs):
        """Build the curve from a review order and the flipped-label flags.

        Parameters
        ----------
        ranking : array-like of int of shape (n_checked,)
            Training positions in the order they are checked, most suspicious
            first; may stop before all rows are checked.
        flipped : array-like of bool of shape (n_train,)
            Whether each training label is wrong.
        name : str, default=None
            Name of the ranking.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : MislabelReviewDisplay
        """
        flipped = np.asarray(flipped, dtype=bool).ravel()
        ranking = np.asarray(ranking).ravel()
        n = flipped.size
        if not np.issubdtype(ranking.dtype, np.integer):
            raise ValueError("ranking must hold integer positions of training rows.")
        if ranking.size and (ranking.min() < 0 or ranking.max() >= n):
            raise ValueError(f"ranking must hold positions in [0, {n}).")
        if np.unique(ranking).size != ranking.size:
            raise ValueError("ranking must not check a training row twice.")
        n_flipped = int(flipped.sum())
        if n_flipped == 0:
            raise ValueError("flipped marks no training row; nothing can be found.")
        found = np.concatenate([[0], np.cumsum(flipped[ranking])]) / n_flipped
        checked = np.arange(ranking.size + 1) / n
        display = cls(checked, found, name=name, fraction_flipped=n_flipped / n)
        return display.plot(ax=ax, **kwargs)

    @classmethod
    def from_estimator(cls, estimator, flipped, *, name=None, ax=None, **kwargs):
        """Rank a fitted wrapper's training rows by self-influence and check them.

        Rows are checked by decreasing magnitude of ``self_influence()``
        (``-g_i^T H_bar^-1 g_i``, never positive), so the points the model
        bends towards most come first.

        Parameters
        ----------
        estimator : InfluenceClassifier
            A wrapper fitted on the (partly mislabelled) training data.
        flipped : array-like of bool of shape (n_train,)
            Whether each training label is wrong.
        name : str, default=None
            Legend label; defaults to ``"self-influence"``.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : MislabelReviewDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from sklearn.datasets import load_breast_cancer
        >>> from sklearn.linear_model import LogisticRegression
        >>> from sklearn.preprocessing import scale
        >>> from sklinfluence import InfluenceClassifier
        >>> from sklinfluence.display import MislabelReviewDisplay
        >>> X, y = load_breast_cancer(return_X_y=True)
        >>> X, y = scale(X)[:300], y[:300].copy()
        >>> flipped = np.random.default_rng(0).random(300) < 0.1
        >>> y[flipped] = 1 - y[flipped]
        >>> clf = LogisticRegression(solver="newton-cholesky")
        >>> model = InfluenceClassifier(clf).fit(X, y)
        >>> display = MislabelReviewDisplay.from_estimator(model, flipped)
        >>> bool(display.found_at(0.2) > 0.5)
        True
        """
        from .mislabel import mislabel_ranking

        ranking = mislabel_ranking(estimator, "influence")
        flipped = np.asarray(flipped, dtype=bool).ravel()
        if flipped.size != ranking.size:
            raise ValueError(
                f"flipped has {flipped.size} entries, but the model was trained on "
                f"{ranking.size} rows; pass one flag per training row."
            )
        name = "self-influence" if name is None else name
        return cls.from_rankings(ranking, flipped, name=name, ax=ax, **kwargs)
