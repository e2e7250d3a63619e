"""``SqlStore``: every mixin of the shared SQL in one class; a backend adds its connection."""

from __future__ import annotations

from journeyline.store.sql.accounts import AccountsMixin
from journeyline.store.sql.auth import AuthMixin
from journeyline.store.sql.conversations import ConversationMixin
from journeyline.store.sql.definitions import DefinitionsMixin
from journeyline.store.sql.deployments import DeploymentMixin
from journeyline.store.sql.directory import DirectoryMixin
from journeyline.store.sql.effects import EffectsMixin
from journeyline.store.sql.erasure import ErasureMixin
from journeyline.store.sql.flows import FlowsMixin
from journeyline.store.sql.log import LogMixin
from journeyline.store.sql.people import PeopleMixin
from journeyline.store.sql.projections import ProjectionMixin
from journeyline.store.sql.transfer import TransferMixin
from journeyline.store.sql.web import WebMixin


class SqlStore(
    LogMixin,
    ConversationMixin,
    WebMixin,
    PeopleMixin,
    ProjectionMixin,
    DirectoryMixin,
    DeploymentMixin,
    AuthMixin,
    AccountsMixin,
    EffectsMixin,
    DefinitionsMixin,
    FlowsMixin,
    TransferMixin,
    ErasureMixin,
):
    """The store interface (``store/protocol.py``) in SQL, short of a connection: a backend's
    class is ``class XStore(SqlStore, Connection)``."""
