"""XLSX reports, streamed from the cache."""
