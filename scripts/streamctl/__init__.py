"""streamctl."""
