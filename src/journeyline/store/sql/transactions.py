"""The unit of work both backends share: ``transaction()`` commits or rolls back as a whole,
``savepoint()`` nests a unit that is undone alone. A backend says how a write transaction
begins (SQLite takes the file's write lock, PostgreSQL the store's advisory lock), which error
its driver raises, and whether a transaction is open."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from journeyline.model.errors import StoreError
from journeyline.store.boundary import failed
from journeyline.store.sql.query import Db, Dialect


class Transactions(Dialect):
    _db: Db
    #: The statements that open a write transaction, in order.
    begin_statements: Sequence[str]
    #: The driver's base error class.
    driver_error: type[Exception]

    def in_transaction(self) -> bool:
        raise NotImplementedError

    @contextmanager
    def transaction(self) -> Iterator[None]:
        for statement in self.begin_statements:
            self._run(statement, "cannot begin a transaction")
        try:
            yield
        except self.driver_error as exc:  # a raw driver error from the block
            self._rollback()
            raise failed("a transaction", exc) from exc
        except BaseException:
            self._rollback()
            raise
        try:
            self._db.execute("COMMIT")
        except self.driver_error as exc:
            self._rollback()  # a failed COMMIT (a full disk, say) can leave it open
            raise StoreError(f"commit failed: {exc}") from exc
        self._committed()

    def _committed(self) -> None:
        """A transaction was committed (the SQLite backend nudges its checkpointer)."""

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested unit inside a transaction: undone alone when its block raises."""
        self._run("SAVEPOINT unit", "cannot begin a savepoint")
        try:
            yield
        except BaseException:
            self._run("ROLLBACK TO unit", "cannot roll back a savepoint")
            self._run("RELEASE unit", "cannot release a savepoint")
            raise
        self._run("RELEASE unit", "cannot release a savepoint")

    def _run(self, statement: str, failure: str) -> None:
        try:
            self._db.execute(statement)
        except self.driver_error as exc:
            if statement in self.begin_statements[1:]:
                self._rollback()  # begun, but not all of it: do not leave it open
            raise StoreError(f"{failure}: {exc}") from exc

    def _rollback(self) -> None:
        """Roll back, if the database has not already (SQLite does on some errors)."""
        try:
            if self.in_transaction():
                self._db.execute("ROLLBACK")
        except self.driver_error as exc:
            raise StoreError(f"rollback failed: {exc}") from exc
