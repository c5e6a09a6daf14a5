"""Known vulnerabilities in the pinned packages, from PyPI's project JSON.

``make audit`` runs pip-audit where PyPI's per-release JSON (``/pypi/<name>/<version>/json``)
answers. Some networks (this workplace's among them) reach only the project JSON
(``/pypi/<name>/json``), which carries the known vulnerabilities of the *latest* release.
This script audits with that:

- a pin at the latest release is checked against the vulnerabilities PyPI lists for it;
- a pin behind the latest release cannot be checked this way; it is named as unverified,
  with the release that could be checked (usually the reason is a newer release's
  Python requirement or another package's upper bound).

Exit status 1 when a checked pin has a known, not withdrawn vulnerability (or a pin is
unreachable), 0 otherwise. Standard library only: it runs before any venv exists.
"""

import concurrent.futures
import json
import re
import sys
import urllib.error
import urllib.request
from pathlib import Path

INDEX = "https://pypi.org/pypi/{name}/json"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;#]+)")


def read_pins(paths):
    """Every ``name==version`` line of the given requirement files, first one wins."""
    pins = {}
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            match = PIN.match(line.strip())
            if match:
                name, version = match.groups()
                pins.setdefault(canonical(name), (name, version))
    return sorted(pins.values(), key=lambda pin: canonical(pin[0]))


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def check(pin):
    name, version = pin
    try:
        with urllib.request.urlopen(INDEX.format(name=name), timeout=20) as response:
            data = json.load(response)
    except (urllib.error.URLError, TimeoutError, ValueError) as error:
        return name, version, None, None, f"unreachable: {error}"
    latest = data["info"]["version"]
    if latest != version:
        return name, version, latest, None, None
    vulnerabilities = [v for v in data.get("vulnerabilities") or [] if not v.get("withdrawn")]
    return name, version, latest, vulnerabilities, None


def main(paths):
    pins = read_pins(paths)
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(check, pins))

    found, unverified, failed = [], [], []
    for name, version, latest, vulnerabilities, error in results:
        if error:
            failed.append(f"{name}=={version}: {error}")
        elif vulnerabilities is None:
            unverified.append(f"{name}=={version} (latest {latest})")
        for vulnerability in vulnerabilities or []:
            fixed = ", ".join(vulnerability.get("fixed_in") or []) or "no fix released"
            aliases = ", ".join(vulnerability.get("aliases") or [])
            found.append(f"{name}=={version}: {vulnerability['id']} ({aliases}) fixed in: {fixed}")

    checked = len(pins) - len(unverified) - len(failed)
    print(f"audit: {checked} of {len(pins)} pinned packages checked against PyPI's "
          f"vulnerability data (project JSON)")
    for line in unverified:
        print(f"  unverified, behind the latest release: {line}")
    for line in failed:
        print(f"  FAILED {line}")
    for line in found:
        print(f"  VULNERABLE {line}")
    if not found and not failed:
        print("audit: no known vulnerabilities")
    return 1 if found or failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["requirements.txt", "requirements-dev.txt"]))
