"""The benchmark runs end to end at small sizes and its numbers agree."""

import os
import re
import subprocess
import sys

import pytest

SCRIPT = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    "benchmarks",
    "bench_influence.py",
)


@pytest.mark.skipif(not os.path.exists(SCRIPT), reason="benchmarks/ not shipped")
def test_quick_benchmark_runs_and_matches_lower_bound():
    proc = subprocess.run(
        [sys.executable, SCRIPT, "--quick", "--cases", "dense-20k", "sparse-text"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert len(re.findall(r"^  sklinfluence  ", out, flags=re.M)) == 2
    assert "NumPy/SciPy lower bound" in out
    assert "exact LOO (extrapolated)" in out
    assert "peer pyinfluence: not installed" in out
    diffs = re.findall(r"max relative difference library vs lower bound .*: (\S+)", out)
    assert len(diffs) == 2
    assert all(float(d) < 1e-8 for d in diffs)
