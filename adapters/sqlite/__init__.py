"""Direct SQLite reads for the embedded mode's hottest queries."""
