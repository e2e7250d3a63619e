"""Demo data: a realistic contact-centre day (``day``), the shop's visitors (``visits``) and
web offers (``offers``), and loading them into a store (``load``). May import anything but
``api/``; nothing imports it but the CLI, the bench and the tests."""
