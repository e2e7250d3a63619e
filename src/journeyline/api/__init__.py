"""The HTTP API: an ASGI app shaped like the Genesys Cloud journey API. See ``app.create_app``."""
