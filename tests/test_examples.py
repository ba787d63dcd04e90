"""Smoke test: every script in ``examples/`` runs, quickly, and saves its figures.

Each script runs in a fresh interpreter with ``SKLINFLUENCE_EXAMPLES_QUICK=1``
(small settings), ``MPLBACKEND=Agg`` and ``SKLINFLUENCE_EXAMPLES_OUTPUT``
pointing to a temporary folder, so the repository's ``docs/images`` is left
alone. New scripts are picked up without editing this file.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script, tmp_path):
    env = dict(os.environ)
    env.update(
        SKLINFLUENCE_EXAMPLES_QUICK="1",
        SKLINFLUENCE_EXAMPLES_OUTPUT=str(tmp_path),
        MPLBACKEND="Agg",
        PYTHONPATH=os.pathsep.join(
            p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p
        ),
    )
    result = subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    if "SKLINFLUENCE_EXAMPLES_OUTPUT" in script.read_text():
        assert list(tmp_path.glob("*.png")), "the example saved no figure"
