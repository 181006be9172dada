"""Web push (RFC 8030 / 8291 / 8292): subscriptions, VAPID, and delivery from the queue."""
