"""
=======================================
The three Displays of sklinfluence
=======================================

Influence functions predict, from one fitted model, what retraining without
a training point would do. This example draws the three plots of
:mod:`sklinfluence.display`:

1. :class:`~sklinfluence.display.RemovalEffectDisplay`: predicted change of a
   test loss against actual scikit-learn refits without each of the most
   influential training images (Koh & Liang's Figure 2), for the first-order
   estimate and for the Newton step;
2. :class:`~sklinfluence.display.InfluentialExamplesDisplay`: the most helpful
   and most harmful training images for one test digit, and the same as a bar
   chart for a pipeline on tabular data with a pandas index;
3. :class:`~sklinfluence.display.MislabelReviewDisplay`: how fast a reviewer
   finds flipped labels when checking training points by self-influence,
   against checking by training loss and in random order.

Set ``SKLINFLUENCE_EXAMPLES_QUICK=1`` for a fast run with fewer points, and
``SKLINFLUENCE_EXAMPLES_OUTPUT`` to the folder the figures go to (default:
``docs/images`` of the repository).
"""

import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklinfluence import InfluenceClassifier
from sklinfluence.display import (
    InfluentialExamplesDisplay,
    MislabelReviewDisplay,
    RemovalEffectDisplay,
)

QUICK = os.environ.get("SKLINFLUENCE_EXAMPLES_QUICK", "") not in ("", "0")
OUTPUT = Path(
    os.environ.get(
        "SKLINFLUENCE_EXAMPLES_OUTPUT",
        Path(__file__).resolve().parent.parent / "docs" / "images",
    )
)
OUTPUT.mkdir(parents=True, exist_ok=True)


def save(figure, name):
    figure.savefig(OUTPUT / name, dpi=90, bbox_inches="tight")
    plt.close(figure)
    print(f"saved {OUTPUT / name}")


# %%
# Handwritten fours and nines and a logistic regression
# ------------------------------------------------------
# Fit tightly: influence functions assume the model sits at its optimum.

X, y = load_digits(return_X_y=True)
keep = np.isin(y, [4, 9])
X, y = X[keep] / 16.0, y[keep]
n_train = 250
X_train, y_train = X[:n_train], y[:n_train]
X_test, y_test = X[n_train:], y[n_train:]
clf = LogisticRegression(C=0.5, solver="newton-cholesky", tol=1e-10)
model = InfluenceClassifier(clf).fit(X_train, y_train)

# The test digit the model finds hardest: its largest test loss.
column = np.searchsorted(model.classes_, y_test)
proba = model.predict_proba(X_test)[np.arange(len(y_test)), column]
hard = int(np.argmin(proba))
print(f"test digit {hard}: true {y_test[hard]}, p(true) = {proba[hard]:.3f}")

# %%
# 1. Predicted removal effects against actual refits
# ---------------------------------------------------
# The training images with the largest predicted effect on that test loss
# are removed one at a time and the model is retrained by scikit-learn.

n_points = 8 if QUICK else 60
x_hard, y_hard = X_test[[hard]], y_test[[hard]]
first_order = model.removal_effect(x_hard, y_hard, method="first_order")[:, 0]
top = np.argsort(-np.abs(first_order))[:n_points]

fig, ax = plt.subplots(figsize=(5, 4.5))
first = RemovalEffectDisplay.from_estimator(
    model,
    x_hard,
    y_hard,
    train_indices=top,
    method="first_order",
    ax=ax,
    name="first order",
    annotate=False,
    color="tab:orange",
)
# The same refits, against the Newton-step estimate: built from the values.
newton = RemovalEffectDisplay(
    model.removal_effect(x_hard, y_hard, method="newton", train_indices=top),
    first.actual,
    method="newton",
    reference="refit",
).plot(
    ax=ax,
    name="Newton step",
    diagonal=False,
    annotate=False,
    color="tab:blue",
    marker="^",
)
ax.set_ylabel("Predicted change of test loss")
ax.set_title(f"Removing each of {n_points} training digits", fontsize=10)
save(fig, "removal_effect.png")
print(
    f"first order r={first.pearson_r:.4f} slope={first.slope:.4f}; "
    f"newton r={newton.pearson_r:.4f} slope={newton.slope:.4f}"
)

# %%
# 2. The most helpful and harmful training images for that digit
# ----------------------------------------------------------------

fig, ax = plt.subplots(figsize=(8, 3.2))
InfluentialExamplesDisplay.from_estimator(
    model, X_test, y_test, test_point=hard, n_top=5, image_shape=(8, 8), ax=ax
)
save(fig, "influential_digits.png")

# %%
# ... and on tabular data, through a pipeline, with the DataFrame's index
# -----------------------------------------------------------------------
# Breast-cancer measurements, with the tumour size binned into a category to
# have a column for the one-hot encoder; rows are named by patient id.

cancer = load_breast_cancer(as_frame=True)
frame = cancer.frame.drop(columns="target")
frame["size"] = pd.cut(
    frame["mean area"], [0, 400, 700, np.inf], labels=["small", "medium", "large"]
).astype(str)
frame.index = [f"patient-{i:03d}" for i in range(len(frame))]
target = pd.Series(cancer.target.to_numpy(), index=frame.index, name="benign")
numeric = [c for c in frame.columns if c != "size"]
prep = ColumnTransformer(
    [("num", StandardScaler(), numeric), ("cat", OneHotEncoder(), ["size"])]
)
pipe = make_pipeline(prep, LogisticRegression(solver="newton-cholesky", tol=1e-10))
tabular = InfluenceClassifier(pipe).fit(frame.iloc[:400], target.iloc[:400])
fig, ax = plt.subplots(figsize=(6, 3.5))
InfluentialExamplesDisplay.from_estimator(
    tabular, frame.iloc[400:], target.iloc[400:], test_point=3, n_top=4, ax=ax
)
save(fig, "influential_tabular.png")

# %%
# 3. Finding flipped labels
# -------------------------
# Flip 10% of the breast-cancer training labels, refit, and check training
# points in the order of their self-influence (largest magnitude first),
# against their training loss and a random order.

X_bc = StandardScaler().fit_transform(cancer.data.to_numpy())[:400]
y_bc = cancer.target.to_numpy()[:400].copy()
rng = np.random.default_rng(0)
flipped = rng.random(len(y_bc)) < 0.1
y_bc[flipped] = 1 - y_bc[flipped]
clf_bc = LogisticRegression(C=1.0, solver="newton-cholesky", tol=1e-10)
noisy_model = InfluenceClassifier(clf_bc).fit(X_bc, y_bc)

fig, ax = plt.subplots(figsize=(5, 4.5))
review = MislabelReviewDisplay.from_estimator(noisy_model, flipped, ax=ax)
p_label = noisy_model.predict_proba(X_bc)[np.arange(len(y_bc)), y_bc]
by_loss = MislabelReviewDisplay.from_rankings(
    np.argsort(p_label),
    flipped,
    name="training loss",
    ax=ax,
    references=False,
    linestyle="-.",
)
ax.set_title(
    f"{flipped.sum()} of {len(y_bc)} breast-cancer labels flipped", fontsize=10
)
save(fig, "mislabel_review.png")
for display in (review, by_loss):
    found = ", ".join(
        f"{display.found_at(f):.2f} at {f:.0%}" for f in (0.05, 0.1, 0.2, 0.3)
    )
    print(f"{display.name}: found {found} checked")
