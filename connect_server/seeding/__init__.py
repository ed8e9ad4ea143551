"""Building blocks of the demo-district seed (`connect_server.seed`)."""
