"""The code passes ruff's checks and format, as configured in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CHECKED = ["modeljob", "producer", "worker", "tests", "bench", "examples"]


def run_ruff(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, *CHECKED], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )


def test_ruff_check_passes():
    result = run_ruff("check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_unchanged():
    result = run_ruff("format", "--check")
    assert result.returncode == 0, result.stdout + result.stderr
