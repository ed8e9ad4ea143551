"""The server's SIS sync runner: source, current records, apply, runs, schedule."""
