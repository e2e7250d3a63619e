"""What an API node learns of the workers' commits: the store's effect log, read from where it
last read and handed to the node's dispatcher, so that the live feed of any node sees every
change (its subscribers catch up from the effect log on their own when they fall behind).

Every :data:`POLL_SECONDS` it reads the partitions' positions (one small query); the effect
log itself only when one of them moved."""

from __future__ import annotations

import logging
import threading

from journeyline.engine.effects import Dispatcher, positions_of
from journeyline.model.effects import Cursor
from journeyline.store.base import Store

log = logging.getLogger("journeyline.tail")

POLL_SECONDS = 0.05
PAGE = 2000


class EffectTail:
    def __init__(self, store: Store, dispatcher: Dispatcher, start: Cursor) -> None:
        self.store = store
        self.dispatcher = dispatcher
        self.cursor = start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="journeyline-tail", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                moved = positions_of(self.store) != self.cursor
                envelopes = self.store.effects_after(self.cursor, limit=PAGE) if moved else []
            except Exception:  # the store is away: try again at the next turn
                log.exception("reading the effect log failed")
                envelopes = []
            if envelopes:
                for envelope in envelopes:
                    self.cursor = self.cursor.after(envelope)
                self.dispatcher.publish(envelopes)
            if len(envelopes) < PAGE:
                self._stop.wait(POLL_SECONDS)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
