"""Adapters at the edge: one module per wire format turns bytes into ``model`` records.

``genesys_detail`` (conversation detail events), ``genesys_web`` (Genesys web and app events),
``segment`` (the Segment spec), ``directory_file``; ``enrich`` (URL, referrer, user agent, GeoIP)
and ``identifiers`` (phone and email normalisation) serve them.

May import: the standard library, parsing libraries, ``journeyline.model``, ``journeyline.core``,
``journeyline.ingest`` and ``journeyline.clock``; never ``store``,
``engine`` or ``api`` (``tests/test_layout.py``).
"""
