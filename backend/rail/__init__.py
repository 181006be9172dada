"""Pre-arrival consists from the railway and their alignment with the IDK scans of a train."""
