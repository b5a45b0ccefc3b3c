"""What is tested is what is deployed: one lock for .venv, and the Lambda layer and uv's bootstrap pinned from it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from infra import function_code, pinned_versions

REPO_ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s\\;]+)")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _locked_versions() -> dict[str, set[str]]:
    """Every package in uv.lock with its versions (a universal lock may fork one package by Python version)."""
    lock = tomllib.loads((REPO_ROOT / "uv.lock").read_text())
    versions: dict[str, set[str]] = {}
    for package in lock["package"]:
        if "version" in package:
            versions.setdefault(_canonical(package["name"]), set()).add(package["version"])
    return versions


def _hashed_pins(path: Path) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) of a `--generate-hashes` requirements file; every requirement must be pinned."""
    pins: dict[str, tuple[str, list[str]]] = {}
    current: str | None = None
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = PIN.match(stripped)
        if match:
            current = _canonical(match.group(1))
            pins[current] = (match.group(2), [])
        assert match or stripped.startswith("--hash="), f"{path.name}: unpinned or unknown line {stripped!r}"
        assert current is not None
        pins[current][1].extend(re.findall(r"--hash=sha256:([0-9a-f]{64})", stripped))
    return pins


def test_every_layer_requirement_is_pinned_and_hashed() -> None:
    pins = _hashed_pins(function_code.REQUIREMENTS)
    assert {"orjson", "msgspec", "pybase64", "aws-kinesis-agg", "protobuf"} <= set(pins)
    for name, (_, hashes) in pins.items():
        assert hashes, f"functions/requirements.txt: {name} has no --hash"


def test_layer_packages_shared_with_the_dev_lock_have_the_same_version() -> None:
    locked = _locked_versions()
    pins = _hashed_pins(function_code.REQUIREMENTS)
    differing = {
        name: (version, sorted(locked[name]))
        for name, (version, _) in pins.items()
        if name in locked and version not in locked[name]
    }
    assert not differing, f"layer vs uv.lock differ (run `make lock`): {differing}"
    assert not set(pins) - set(locked), "a layer package the tests never import is deployed untested"


def test_layer_requirements_list_every_direct_requirement() -> None:
    direct = {
        _canonical(line.split("#", 1)[0].strip())
        for line in (function_code.FUNCTIONS_DIR / "requirements.in").read_text().splitlines()
        if line.split("#", 1)[0].strip()
    }
    assert direct <= set(_hashed_pins(function_code.REQUIREMENTS))


def test_uv_bootstrap_pin_is_the_locked_uv_with_hashes() -> None:
    pins = _hashed_pins(REPO_ROOT / "uv-bootstrap.txt")
    assert set(pins) == {"uv"}
    version, hashes = pins["uv"]
    assert {version} == _locked_versions()["uv"]
    assert len(hashes) > 5, "the bootstrap must carry a hash for every platform's uv wheel"


def test_the_locked_moto_and_botocore_are_the_pair_local_mode_was_checked_with() -> None:
    """botocore is held where moto serves every protocol the local mode speaks ([tool.uv] constraint)."""
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    constraints = pyproject["tool"]["uv"]["constraint-dependencies"]
    assert any(c.startswith("botocore") for c in constraints)
    locked = _locked_versions()
    assert len(locked["botocore"]) == 1 and len(locked["moto"]) == 1


def test_deploy_docs_state_the_locked_pulumi_sdk_and_provider_plugin() -> None:
    text = pinned_versions.DEPLOY_DOC.read_text()
    assert pinned_versions.pinned_versions_table() in text, (
        "docs/deploy.md's pinned versions are stale: run `make lock`"
    )
    assert f"| v{pinned_versions.locked_version('pulumi-aws')} |" in text


def _make_install(tmp_path: Path, pyproject: str) -> subprocess.CompletedProcess[str]:
    """`make install` in a copy of the repository's install files, with this .venv's uv (offline)."""
    for name in ("Makefile", "uv.lock", "uv-bootstrap.txt", "README.md"):
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    (tmp_path / "pyproject.toml").write_text(pyproject)
    uv = shutil.which("uv", path=str(Path(sys.executable).parent))
    assert uv, "uv is installed into .venv from the lock"
    return subprocess.run(
        ["make", "--no-print-directory", "install", f"UV={uv}", "-o", uv],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=os.environ | {"UV_OFFLINE": "1"},
        timeout=120,
    )


def test_install_refuses_a_lock_that_is_out_of_date_with_pyproject(tmp_path: Path) -> None:
    pyproject = (REPO_ROOT / "pyproject.toml").read_text()
    edited = pyproject.replace('  "rich>=13",\n', '  "rich>=13",\n  "six>=1.16",\n')
    assert edited != pyproject
    result = _make_install(tmp_path, edited)
    assert result.returncode != 0
    assert "uv.lock is out of date with pyproject.toml: run 'make lock'" in result.stderr
    assert not (tmp_path / ".venv" / ".installed-stamp").exists()
