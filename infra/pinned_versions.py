"""Write the pinned-versions table of docs/deploy.md from uv.lock (run by `make lock`; a test checks it is current).

`pulumi up` downloads the AWS provider plugin whose version is the pulumi-aws SDK's, so the plugin a deploy uses is
decided by the lock; the table says which one, for runners that must pre-install plugins.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEPLOY_DOC = REPO_ROOT / "docs" / "deploy.md"
BEGIN, END = "<!-- pinned-versions: written by `make lock` from uv.lock -->", "<!-- /pinned-versions -->"


def locked_version(name: str, lock_file: Path = REPO_ROOT / "uv.lock") -> str:
    (version,) = {p["version"] for p in tomllib.loads(lock_file.read_text())["package"] if p["name"] == name}
    return str(version)


def cli_version(workflow: Path = REPO_ROOT / ".github" / "workflows" / "deploy.yml") -> str:
    match = re.search(r'PULUMI_VERSION:\s*"([^"]+)"', workflow.read_text())
    assert match, f"{workflow}: no PULUMI_VERSION"
    return match.group(1)


def pinned_versions_table() -> str:
    aws = locked_version("pulumi-aws")
    rows = [
        ("Pulumi SDK (`pulumi`)", locked_version("pulumi"), "`uv.lock`"),
        ("Pulumi AWS SDK (`pulumi-aws`)", aws, "`uv.lock`"),
        ("AWS provider plugin (`resource-aws`)", f"v{aws}", "the SDK: `pulumi up` downloads the plugin of its version"),
        ("Pulumi CLI", cli_version(), "`PULUMI_VERSION` in `.github/workflows/deploy.yml`"),
        ("boto3 / botocore (tests, local mode)", locked_version("botocore"), "`uv.lock`, held by `[tool.uv]`"),
        ("moto (local mode)", locked_version("moto"), "`uv.lock`"),
    ]
    lines = ["| What | Version | Pinned by |", "|---|---|---|", *(f"| {a} | {b} | {c} |" for a, b, c in rows)]
    return "\n".join([BEGIN, *lines, END])


def rewrite(doc: Path = DEPLOY_DOC) -> bool:
    """Replace the table between the markers; True when the file changed."""
    text = doc.read_text()
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    assert pattern.search(text), f"{doc}: the pinned-versions markers are missing"
    updated = pattern.sub(lambda _: pinned_versions_table(), text)
    doc.write_text(updated)
    return updated != text


if __name__ == "__main__":
    print(f"{DEPLOY_DOC.relative_to(REPO_ROOT)}: {'updated' if rewrite() else 'unchanged'}", file=sys.stderr)
