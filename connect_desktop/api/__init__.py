"""The wire schema shared with the server, and the REST client."""
