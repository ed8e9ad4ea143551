"""The fault-injection suite (README.md): `python3 dev.py faults`; not collected by pytest."""
