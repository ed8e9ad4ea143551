"""SIS rostering engine: read OneRoster/Clever sources, normalise, plan, threshold."""
