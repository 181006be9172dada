"""Auditors' work: searching declarations across posts, and the daily random review sample."""
