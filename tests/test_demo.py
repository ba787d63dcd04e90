"""The main job, ``sklinfluence demo``, end to end on small settings."""

import re
import subprocess
import sys

import pytest

from sklinfluence.cli import main


def test_demo_prints_agreement_and_writes_the_figure(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    figure = tmp_path / "demo.png"
    code = main(
        ["demo", "--n-refits", "6", "--n-explain", "2", "--output", str(figure)]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "misclassified" in out
    assert "helpful #" in out and "harmful #" in out
    rows = dict(
        (m.group(1), (float(m.group(2)), float(m.group(3))))
        for m in re.finditer(
            r"^\s+(first_order|newton|exact)\s+(\S+)\s+(\S+)", out, re.M
        )
    )
    assert set(rows) == {"first_order", "newton", "exact"}
    assert rows["newton"][0] > 0.99 and abs(rows["newton"][1] - 1) < 0.05
    assert rows["exact"][0] > 0.999999
    assert figure.exists() and figure.stat().st_size > 10_000
    assert str(figure.resolve()) in out


def test_module_entry_point_shows_help():
    result = subprocess.run(
        [sys.executable, "-m", "sklinfluence", "demo", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "--n-refits" in result.stdout
