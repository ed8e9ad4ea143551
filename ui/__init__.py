"""The PySide6 front end of Connect Desktop."""
