"""The HTTP API: an ASGI app shaped like the Genesys Cloud journey API. See ``app.create_app``.

Route handlers parse, authorise, call one engine or query function, and render; no rules here.
May import anything below it (``engine``, ``store``, ``ingest``, ``core``, ``model``); nothing
imports it but the CLI, the bench (which drives a real server) and the tests.
"""
