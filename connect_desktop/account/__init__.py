"""The signed-in account as one service, used by the desktop app and the command line alike.

`Account` (in `service`) holds the account's cache and opens clients; every read and
change the GUI or the CLI makes goes through it (the Anki "collection" role).
"""

from connect_desktop.account.plans import OpenPlan
from connect_desktop.account.service import Account, SendOutcome, Status

__all__ = ["Account", "OpenPlan", "SendOutcome", "Status"]
