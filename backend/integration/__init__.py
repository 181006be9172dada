"""Talking to the declaration system: the transactional outbox and the change feed (issue 14)."""
