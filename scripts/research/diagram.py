"""Render docs/img/architecture.png from code (the `diagrams` package, Graphviz `dot` on PATH).

Run `python -m research.diagram` after changing the platform's shape; the PNG is committed so readers
need neither tool. One tenant stream is drawn; every tenant stream repeats the dashed box.
"""

from __future__ import annotations

import argparse
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUTPUT = REPO_ROOT / "docs" / "img" / "architecture.png"
GRAPH_ATTRIBUTES = {"fontsize": "20", "pad": "0.4", "nodesep": "0.7", "ranksep": "0.9", "splines": "spline"}


def render(output: Path = DEFAULT_OUTPUT) -> Path:
    """Draw the data flow, the failure paths and the operations around them; returns the PNG path."""
    from diagrams import Cluster, Diagram, Edge
    from diagrams.aws.analytics import Athena, GlueDataCatalog, KinesisDataFirehose, KinesisDataStreams
    from diagrams.aws.compute import Lambda
    from diagrams.aws.database import Dynamodb
    from diagrams.aws.general import Users
    from diagrams.aws.integration import SNS, SQS, EventbridgeScheduler
    from diagrams.aws.management import CloudwatchAlarm
    from diagrams.aws.security import KMS
    from diagrams.aws.storage import S3

    output.parent.mkdir(parents=True, exist_ok=True)

    def data(label: str = "") -> Edge:
        return Edge(label=label, color="dimgray")

    def failure(label: str) -> Edge:
        return Edge(label=label, color="firebrick", style="dashed", fontcolor="firebrick")

    def control(label: str = "") -> Edge:
        return Edge(label=label, color="darkgoldenrod", style="dotted", fontcolor="darkgoldenrod")

    with Diagram(
        "Multi-tenant event streaming platform",
        filename=str(output.with_suffix("")),
        outformat="png",
        show=False,
        direction="LR",
        graph_attr=GRAPH_ATTRIBUTES,
    ):
        producers = Users("producers\n(PutRecords, KPL)")
        with Cluster("per tenant stream: <prefix>-<stack>-<tenant>-<stream>", graph_attr={"style": "dashed"}):
            stream = KinesisDataStreams("Kinesis stream\n(tenant KMS key)")
            consumer = Lambda("consumer\nvalidate, mask PII,\nenrich, deaggregate")
            firehose = KinesisDataFirehose("Firehose\nDirectPut, GZIP")
            failures = SQS("on-failure queue\n(14 days)")
            alarms = CloudwatchAlarm("alarms\n(a runbook per kind)")
            scaler = Lambda("shard autoscaler")
            tick = EventbridgeScheduler("every minute")
        with Cluster("stack-wide"):
            with Cluster("lake and query"):
                lake = S3("lake bucket\nversioned, SSE-KMS\nevents/ quarantine/ errors/")
                catalog = GlueDataCatalog("Glue table events\n(partition projection)")
                athena = Athena("Athena\nevents_deduplicated")
            with Cluster("state (DynamoDB, PITR)"):
                checkpoints = Dynamodb("checkpoints")
                scaling_state = Dynamodb("scaling history")
            with Cluster("alerting and keys"):
                topic = SNS("alarm topic\nemail / HTTPS")
                KMS("platform key")

        producers >> data("events") >> stream
        stream >> data("event source mapping") >> consumer
        consumer >> data("NDJSON, packed records") >> firehose
        firehose >> data("dt=/hour=") >> lake
        lake >> data() >> catalog >> data() >> athena
        consumer >> data("checkpoint per shard") >> checkpoints
        consumer >> failure("poison records") >> lake
        stream >> failure("ranges that gave up") >> failures
        alarms >> control("ALARM / OK") >> topic
        topic >> control("write throttled") >> scaler
        tick >> control() >> scaler
        scaler >> control("UpdateShardCount") >> stream
        scaler >> control("state") >> scaling_state
    return output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="PNG to write")
    print(render(parser.parse_args().output))


if __name__ == "__main__":
    main()
