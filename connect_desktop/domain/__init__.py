"""Entity and operation vocabulary shared by the cache, the client and the server."""
