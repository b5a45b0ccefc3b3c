"""Kinesis -> Firehose consumer: deaggregate, validate, quarantine poison, deliver, checkpoint."""
