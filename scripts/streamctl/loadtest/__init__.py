"""Load testing: a Kinesis producer library, the `streamctl loadtest` commands and lake verification."""
