"""Dependency hygiene: every installed package is pinned, and the audit reports what PyPI knows."""

import importlib.util
import io
import json
import re
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def audit():
    spec = importlib.util.spec_from_file_location("ci_audit", ROOT / ".ci" / "audit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_installed_package_is_pinned(audit):
    pins = {audit.canonical(name): version
            for name, version in audit.read_pins([ROOT / "requirements.txt",
                                                  ROOT / "requirements-dev.txt"])}
    unpinned, drifted = [], []
    for dist in metadata.distributions():
        name = audit.canonical(dist.metadata["Name"])
        if name in {"pip", "setuptools", "wheel"}:
            continue
        if name not in pins:
            unpinned.append(f"{name}=={dist.version}")
        elif pins[name] != dist.version:
            drifted.append(f"{name}: pinned {pins[name]}, installed {dist.version}")
    assert not unpinned, f"installed but not pinned: {unpinned}"
    assert not drifted, drifted


def _fake_index(projects):
    def urlopen(url, timeout):
        name = re.search(r"/pypi/([^/]+)/json$", url).group(1)
        if name not in projects:
            raise audit_url_error(url)
        latest, vulnerabilities = projects[name]
        body = {"info": {"version": latest}, "vulnerabilities": vulnerabilities}
        return io.BytesIO(json.dumps(body).encode())
    return urlopen


def audit_url_error(url):
    import urllib.error
    return urllib.error.URLError(f"no route to {url}")


def test_audit_reports_vulnerabilities_of_pins_at_the_latest_release(audit, tmp_path,
                                                                    monkeypatch, capsys):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("# comment\nsafe==2.0\npsycopg[binary]==3.3\n"
                            "old==1.0\nwithdrawn==1.0\n")
    vulnerable = {"id": "PYSEC-1", "aliases": ["CVE-1"], "fixed_in": ["3.4"]}
    monkeypatch.setattr(audit.urllib.request, "urlopen", _fake_index({
        "safe": ("2.0", []),
        "psycopg": ("3.3", [vulnerable]),
        "old": ("2.0", [vulnerable]),
        "withdrawn": ("1.0", [{**vulnerable, "withdrawn": "2026-01-01"}]),
    }))

    assert audit.main([requirements]) == 1
    out = capsys.readouterr().out
    assert "3 of 4 pinned packages checked" in out
    assert "VULNERABLE psycopg==3.3: PYSEC-1 (CVE-1) fixed in: 3.4" in out
    assert "unverified, behind the latest release: old==1.0 (latest 2.0)" in out
    assert "withdrawn" not in out.split("VULNERABLE", 1)[1]


def test_audit_passes_clean_pins_and_fails_on_an_unreachable_one(audit, tmp_path,
                                                                monkeypatch, capsys):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("safe==2.0\n")
    monkeypatch.setattr(audit.urllib.request, "urlopen", _fake_index({"safe": ("2.0", [])}))
    assert audit.main([requirements]) == 0
    assert "no known vulnerabilities" in capsys.readouterr().out

    requirements.write_text("safe==2.0\nmissing==1.0\n")
    assert audit.main([requirements]) == 1
    assert "FAILED missing==1.0: unreachable" in capsys.readouterr().out
