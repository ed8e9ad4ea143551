"""The "Sync rollover" step's work and words, for the desktop app and the command line alike.

- `history`: the sync history and settings as cached, and approving a held run once;
- `explain`: a run in plain words, from the numbers the server records in its `counts`;
- `pauses`: which pauses are in force on a day, and how one is described;
- `settings`: the thresholds and pauses edited into one `update_sync_settings` operation,
  and what the next run would do at a threshold being edited;
- `archives`: what a run archived or tried to archive, paged from the server and exported;
- `preview`: the offline rollover preview of a new export, held open for paging.

The rules themselves live in `connect_desktop.rostering.plan` (the threshold verdict,
`over_threshold`; pause activity, `Pause.active`); this package only asks them.
"""
