"""Writes of one row that skip the ORM's unit of work and keep its instances true.

A new row, written by one statement that gives way to a unique constraint, without a savepoint:

`storage.db.add_unique` flushes a row inside a savepoint, so that losing a race on a unique value
(a national ID) leaves the rest of the update's transaction standing. For a row that is new,
that costs a SAVEPOINT, the unit of work's flush and a RELEASE; issue 18 measured it at 63 % of a
volunteer's final sign-up save, the slowest step of the sign-up. `DirectWrites.insert` says the same
in one statement, `INSERT ... ON CONFLICT DO NOTHING RETURNING <key>` (a hot statement, so
straight on sqlite3 under the embedded default): no row back means a unique value was taken, and
nothing else in the transaction is touched.

The instance then joins the session as if it had just been loaded: every column attribute holds
what was written (Python-side defaults included, evaluated here as the unit of work would), so
reading one never goes back to the database, and a later change to it flushes as an UPDATE.
`insert_on` writes on a connection when no session is open yet: the instance waits, detached,
for the session that adopts it (storage/lazy_session.py).

Columns of a loaded row, written by one UPDATE of those columns (`DirectWrites.update`): the
unit of work's flush of a single changed attribute costs several times the statement (the
sign-up's language and privacy steps spent most of their time there). The caller marks the
values as the instance's committed state (`keep_written`), so the flush has nothing left to do.

What the session does not know: these writes are not in its own transaction's record, so a
rollback of the session (or of a savepoint) would not expire or expunge these instances. The
sessions of an update end with it (`storage.db.joined_session`), and the database's rollback
takes the rows back either way; a caller that goes on with a session after a rollback must not
trust instances written here. An attribute set to None is written as NULL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Table, bindparam, inspect, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.state import InstanceState

from storage.hot_statements import HotStatement


class DirectWrites:
    """Rows of one mapped class with a single-column primary key the database assigns."""

    def __init__(self, model: type[Any]) -> None:
        mapper = inspect(model)
        table = cast(Table, mapper.local_table)
        if len(table.primary_key.columns) != 1:
            raise TypeError("DirectWrites needs a single-column primary key")
        key_column = next(iter(table.primary_key.columns))
        self._model = model
        self._table = table
        self._key = mapper.get_property_by_column(key_column).key
        self._key_column = key_column
        # attribute -> column, for every column but the key.
        self._columns = {
            mapper.get_property_by_column(column).key: column
            for column in table.columns
            if column is not key_column
        }
        self._inserts: dict[str, HotStatement] = {}
        self._updates: dict[tuple[str, ...], HotStatement] = {}

    # --- a new row ----------------------------------------------------------------------------
    async def insert(self, session: AsyncSession, row: Any) -> bool:
        """Write the new `row` in the session's transaction; False (and nothing written) when a
        unique constraint already holds one of its values. True: `row` is now the session's
        persistent instance of the written row."""
        self._check_new(row)
        await session.flush()  # rows added earlier are written first, as a flush would order them
        if not await self.insert_on(await session.connection(), row):
            return False
        session.add(row)
        return True

    async def insert_on(self, conn: AsyncConnection, row: Any) -> bool:
        """`insert` on a connection, with no session: True leaves `row` detached, as if it had
        been loaded and its session closed, for the caller to add to a session later
        (`storage.lazy_session.SessionOnDemand.adopt`). The caller flushes first whatever must
        be written before it."""
        state = self._check_new(row)
        params = {}
        for attribute, column in self._columns.items():
            if attribute in state.dict:
                value = state.dict[attribute]
            else:
                value = _default_of(column, column.default)
                setattr(row, attribute, value)
            params[f"v_{column.key}"] = value
        written = (await self._insert_statement(conn.dialect.name).execute(conn, params)).first()
        if written is None:
            return False
        setattr(row, self._key, written[0])
        make_transient_to_detached(row)  # as if loaded: no history, nothing left to flush
        return True

    def _check_new(self, row: Any) -> InstanceState[Any]:
        if not isinstance(row, self._model):
            raise TypeError(f"expected a {self._model.__name__}")
        state = cast(InstanceState[Any], inspect(row))
        if not state.transient:
            raise ValueError("DirectWrites.insert takes a row that is not in a session yet")
        return state

    def _insert_statement(self, dialect: str) -> HotStatement:
        statement = self._inserts.get(dialect)
        if statement is None:
            for column in self._columns.values():
                if column.server_default is not None:
                    # Writing NULL in its place would not be what the database would choose.
                    raise TypeError(f"{column} has a server default; insert writes every column")
            values = {c.key: bindparam(f"v_{c.key}", type_=c.type) for c in self._columns.values()}
            if dialect == "postgresql":
                insert: Any = pg_insert(self._table).values(values).on_conflict_do_nothing()
            else:
                insert = sqlite_insert(self._table).values(values).on_conflict_do_nothing()
            statement = self._inserts[dialect] = HotStatement(insert.returning(self._key_column))
        return statement

    # --- columns of a row -----------------------------------------------------------------------
    async def update(
        self, conn: AsyncConnection, key: Any, values: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Write `values` (attribute -> value) to the row whose key is `key`, with the columns'
        Python-side `onupdate` values as the unit of work would add them; returns everything
        written, for the caller to keep as the instance's committed state (`keep_written`)."""
        if not values:
            raise ValueError("nothing to write")
        written = dict(values)
        for attribute, column in self._columns.items():
            if attribute not in written and column.onupdate is not None:
                written[attribute] = _default_of(column, column.onupdate)
        names = tuple(sorted(written))
        statement = self._updates.get(names)
        if statement is None:
            columns = [self._columns[name] for name in names]  # KeyError: not a column
            update_ = (
                update(self._table)
                .where(self._key_column == bindparam("b_key"))
                .values({c.key: bindparam(f"v_{c.key}", type_=c.type) for c in columns})
            )
            statement = self._updates[names] = HotStatement(update_)
        params = {f"v_{self._columns[name].key}": written[name] for name in names}
        params["b_key"] = key
        if (await statement.execute(conn, params)).rowcount != 1:
            raise LookupError(f"no {self._model.__name__} {key}")
        return written


def keep_written(instance: Any, written: Mapping[str, Any]) -> None:
    """`written` is now what `instance` holds and what its row holds: no change left to flush
    for these attributes."""
    for attribute, value in written.items():
        set_committed_value(instance, attribute, value)


def _default_of(column: Any, default: Any) -> Any:
    """The value the unit of work would give a column from its Python-side default (or
    onupdate); NULL when it has none."""
    if default is None:
        return None
    if default.is_scalar:
        return default.arg
    if default.is_callable:
        return default.arg(None)  # SQLAlchemy wraps a no-argument callable to take a context
    raise TypeError(f"{column}'s default is not a value or a function")
