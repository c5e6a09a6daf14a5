"""The layers of app/ hold (issue 20): import-linter's contracts in .importlinter are kept."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _lint_imports() -> str | None:
    beside = Path(sys.executable).parent / "lint-imports"
    return str(beside) if beside.exists() else shutil.which("lint-imports")


def test_no_upward_import_and_no_circle_in_app():
    tool = _lint_imports()
    if tool is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("import-linter must be installed in CI (requirements-dev.txt)")
        pytest.skip("import-linter is not installed (pip install -r requirements-dev.txt)")
    run = subprocess.run([tool, "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout


def test_lower_layers_name_no_feature():
    """What the contract's layers mean in words: the engine, forms, the grid, accounts and
    core name no feature package; features reach them through registrations (app/hooks.py)."""
    features = ("volunteering", "lists", "meetings", "notices", "points", "stats", "sync",
                "uploads", "console", "web", "demo")
    for layer in ("core", "grid", "accounts", "workflow", "forms"):
        for path in (ROOT / "app" / layer).glob("*.py"):
            text = path.read_text(encoding="utf-8")
            for feature in features:
                assert f"app.{feature}" not in text, f"{path.relative_to(ROOT)} names app.{feature}"
