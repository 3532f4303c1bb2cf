"""Redis adapters: rate limiting counters shared by every API replica."""
