"""Local mode: the platform program applied to an embedded moto server, and a Lambda-like runtime."""
