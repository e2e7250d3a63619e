"""A page of sessions' reads, loaded ahead: one ``IN (...)`` query per kind for the whole page.

A journey listing (the API's, the desktop's person page) shows, for each of its sessions, the
contact it is linked to and that contact's merge-set head, the segments and outcomes it earned,
its card's directory names and why it shows its contact (``queries.identity_match``). Asked
one session at a time that is four to ten queries a session — a network round trip each on
PostgreSQL. :class:`ReadAhead` loads them for the page at once and answers the same questions
as the store, from what it loaded: the answers are the store's, in a fixed number of
statements whatever the page size. A question about something it did not load goes to the
store.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from journeyline.core import provenance
from journeyline.core.card import directory_wanted
from journeyline.model.contact import Contact, Deployment, Identifier
from journeyline.model.session import ConversationSession
from journeyline.model.web import WebSession
from journeyline.store.base import AnySession, Store
from journeyline.store.records import Achievement, Assignment

Key = tuple[str, str]


class ReadAhead:
    """The store's answers about ``sessions``, loaded ahead (see the module's docstring).

    ``names``: load the directory names their cards show too."""

    def __init__(self, store: Store, sessions: Sequence[AnySession], *, names: bool) -> None:
        self.store = store
        ids = [s.id for s in sessions]
        self._links = store.session_links(ids) if ids else {}
        self._contacts: dict[str, Contact | None] = {}
        self._load_contacts({c for c, _ in self._links.values() if c is not None})
        self._load_contacts({c.canonical_id for c in self._loaded() if c.canonical_id})
        self._assignments = store.assignments_on(ids) if ids else {}
        self._achievements = store.achievements_on(ids) if ids else {}
        self._identifiers: dict[Key, Identifier | None] = {}
        self._load_identities(sessions)
        self._names: dict[str, tuple[set[str], dict[str, str]]] = {}
        if names:
            conversations = [s for s in sessions if isinstance(s, ConversationSession)]
            for kind, wanted in sorted(directory_wanted(conversations).items()):
                self._names[kind] = (wanted, store.directory_names(kind, sorted(wanted)))
        self._deployments: dict[str, Deployment | None] = {}
        self._ids = set(ids)

    # -- loading ---------------------------------------------------------------------------

    def _loaded(self) -> list[Contact]:
        return [c for c in self._contacts.values() if c is not None]

    def _load_contacts(self, contact_ids: Collection[str]) -> None:
        wanted = [c for c in contact_ids if c not in self._contacts]
        if wanted:
            found = self.store.contacts_get(wanted)
            self._contacts.update({c: found.get(c) for c in wanted})

    def _load_keys(self, keys: Collection[Key]) -> None:
        wanted = [k for k in keys if k not in self._identifiers]
        if wanted:
            found = self.store.identifiers_get(wanted)
            self._identifiers.update({k: found.get(k) for k in wanted})

    def _load_identities(self, sessions: Sequence[AnySession]) -> None:
        """What ``queries.identity_match`` reads of each linked session: the visitor owning a
        web session's cookie, then the identifiers the link may have been made by."""
        linked = [(s, self._links[s.id][1]) for s in sessions if self._link_contact(s.id)]
        webs = [s for s, _ in linked if isinstance(s, WebSession)]
        self._load_keys({("Cookie", s.customer_cookie_id) for s in webs})
        owners = (self._identifiers.get(("Cookie", s.customer_cookie_id)) for s in webs)
        self._load_contacts({i.contact_id for i in owners if i is not None})
        keys: set[Key] = set()
        for session, level in linked:
            keys.update(provenance.candidates(session, level, self._visitor(session)))
        self._load_keys(keys)

    def _link_contact(self, session_id: str) -> str | None:
        link = self._links.get(session_id)
        return link[0] if link else None

    def _visitor(self, session: AnySession) -> Contact | None:
        if not isinstance(session, WebSession):
            return None
        cookie = self._identifiers.get(("Cookie", session.customer_cookie_id))
        return self._contacts.get(cookie.contact_id) if cookie else None

    # -- the store's questions -------------------------------------------------------------

    def session_link(self, session_id: str) -> tuple[str | None, int] | None:
        if session_id in self._ids:
            return self._links.get(session_id)
        return self.store.session_link(session_id)

    def contact_get(self, contact_id: str) -> Contact | None:
        if contact_id not in self._contacts:
            self._load_contacts([contact_id])
        return self._contacts[contact_id]

    def identifier_get(self, kind: str, value: str) -> Identifier | None:
        self._load_keys([(kind, value)])
        return self._identifiers[(kind, value)]

    def identifiers_get(self, keys: Collection[Key]) -> dict[Key, Identifier]:
        self._load_keys(keys)
        return {k: i for k in keys if (i := self._identifiers[k]) is not None}

    def web_session_at(self, customer_id: str, at_ms: int) -> str | None:
        return self.store.web_session_at(customer_id, at_ms)

    def assignments_of(self, *, session_id: str) -> list[Assignment]:
        if session_id in self._ids:
            return self._assignments.get(session_id, [])
        return self.store.assignments_of(session_id=session_id)

    def achievements_of(self, session_id: str) -> list[Achievement]:
        if session_id in self._ids:
            return self._achievements.get(session_id, [])
        return self.store.achievements_of(session_id)

    def directory_names(self, kind: str, ids: Sequence[str]) -> dict[str, str]:
        asked, loaded = self._names.get(kind, (set(), {}))
        if not set(ids) <= asked:
            return self.store.directory_names(kind, ids)
        return {i: loaded[i] for i in ids if i in loaded}

    def deployment_get(self, deployment_id: str) -> Deployment | None:
        if deployment_id not in self._deployments:
            self._deployments[deployment_id] = self.store.deployment_get(deployment_id)
        return self._deployments[deployment_id]
