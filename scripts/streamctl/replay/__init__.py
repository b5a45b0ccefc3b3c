"""`streamctl replay`: move a consumer back, re-drive failed batches, re-process quarantined records."""
