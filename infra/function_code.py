"""What the Lambda functions run: the `functions/` package, the Powertools layer and a dependency layer.

The dependency layer is built from `functions/requirements.txt` (hashed, compiled by `make lock` at the
versions of uv.lock) as wheels for the Lambda platform (`uv pip install --python-platform <arch>-manylinux2014
--only-binary :all: --require-hashes`), so AWS imports the same pinned code the tests ran; it is built by
`infra/__main__.py` before `pulumi preview/up`, never under mocks.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pulumi
from uv import find_uv_bin

from infra import defaults

REPO_ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = REPO_ROOT / "functions"
REQUIREMENTS = FUNCTIONS_DIR / "requirements.txt"
BUILD_DIR = REPO_ROOT / ".build"
LAMBDA_PYTHON_VERSION = defaults.LAMBDA_RUNTIME.removeprefix("python")
LAYER_PLATFORMS = {"arm64": "aarch64-manylinux2014", "x86_64": "x86_64-manylinux2014"}


def function_code_archive() -> pulumi.AssetArchive:
    """The `functions/` package's Python sources (no caches, no tests) as the code of every function."""
    assets: dict[str, pulumi.Asset | pulumi.Archive] = {}
    for path in sorted(FUNCTIONS_DIR.rglob("*")):
        if path.is_file() and path.suffix in {".py", ".json"} and "__pycache__" not in path.parts:
            assets[str(path.relative_to(REPO_ROOT))] = pulumi.FileAsset(str(path))
    return pulumi.AssetArchive(assets)


# Who publishes the public Powertools for AWS Lambda (Python) v3 layer, by (partition, region); None: every region of
# the partition. AWS's account in all commercial regions; one account per AWS GovCloud (US) region, whose layer
# versions are deployed independently of the commercial ones; in China only cn-north-1; nowhere else
# (https://docs.aws.amazon.com/powertools/python/latest/getting-started/install/, "Lambda Layer", "AWS China
# regions", "AWS GovCloud regions").
POWERTOOLS_LAYER_PUBLISHERS: dict[tuple[str, str | None], str] = {
    ("aws", None): defaults.POWERTOOLS_LAYER_ACCOUNT,
    ("aws-us-gov", "us-gov-east-1"): "165087284144",
    ("aws-us-gov", "us-gov-west-1"): "165093116878",
    ("aws-cn", "cn-north-1"): "498634801083",
}


class PowertoolsLayerUnavailable(ValueError):
    """No public Powertools layer exists in the stack's region: the deploy must stop before any function is made."""


def powertools_layer_arn(partition: str, region: str, architecture: str, version: int) -> str:
    """The official public Powertools for AWS Lambda (Python) v3 layer for our runtime and architecture.

    Where Powertools publishes none (cn-northwest-1, the ISO partitions) this raises, so the deploy stops before it
    starts instead of Lambda rejecting each function half-way through `pulumi up`. The functions import Powertools
    only from this layer (functions/requirements.in leaves it out of the dependency layer).
    """
    account = POWERTOOLS_LAYER_PUBLISHERS.get((partition, region)) or POWERTOOLS_LAYER_PUBLISHERS.get((partition, None))
    if account is None:
        published = ", ".join(
            f"{p} ({r or 'every region'})"
            for p, r in sorted(POWERTOOLS_LAYER_PUBLISHERS, key=lambda k: (k[0], k[1] or ""))
        )
        raise PowertoolsLayerUnavailable(
            f"Powertools for AWS Lambda (Python) publishes no public layer in {region} (partition {partition}); it "
            f"does in {published}. Deploy to one of those regions, or publish the layer in this account and add it "
            "to infra/function_code.py's POWERTOOLS_LAYER_PUBLISHERS."
        )
    runtime = defaults.LAMBDA_RUNTIME.replace(".", "")
    layer = f"AWSLambdaPowertoolsPythonV3-{runtime}-{architecture}"
    return f"arn:{partition}:lambda:{region}:{account}:layer:{layer}:{version}"


def dependency_layer_dir(architecture: str) -> Path:
    """Where the layer for these requirements and this architecture is (or will be) built."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes() if REQUIREMENTS.exists() else b"").hexdigest()[:12]
    return BUILD_DIR / f"layer-{architecture}-{digest}"


def layer_install_command(architecture: str, target: Path) -> list[str]:
    """uv (pinned in uv.lock) installs the hashed requirements as the Lambda platform's wheels; a hash differing from
    the file, or a package missing from it, fails the build."""
    return [
        find_uv_bin(),
        "pip",
        "install",
        "--quiet",
        "--no-config",  # the layer is exactly the requirements file: no [tool.uv] settings of the dev environment
        "--python-platform",
        LAYER_PLATFORMS[architecture],
        "--python-version",
        LAMBDA_PYTHON_VERSION,
        "--only-binary",
        ":all:",
        "--require-hashes",
        "--no-deps",
        "--target",
        str(target / "python"),
        "--requirement",
        str(REQUIREMENTS),
    ]


def build_dependency_layer(architecture: str) -> Path:
    """Build (once per requirements hash) the layer directory; its `python/` is what Lambda imports."""
    target = dependency_layer_dir(architecture)
    if (target / "python").is_dir():
        return target
    partial = target.with_suffix(".partial")
    subprocess.run(["rm", "-rf", str(partial)], check=True)
    subprocess.run(layer_install_command(architecture, partial), check=True)
    partial.rename(target)
    return target
