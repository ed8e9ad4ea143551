"""The year-end wizard: a list of page classes in a frame, progress saved per account."""
