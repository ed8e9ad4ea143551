"""The year-end assistant's vocabulary below both UI wings: steps, "not needed" rules, checklist."""
