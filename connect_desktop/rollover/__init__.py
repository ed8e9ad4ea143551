"""Year-end planners; each returns a plan of operations and never writes."""
