"""The post head's live board: inspections at the post as they happen, and decisions awaiting."""
