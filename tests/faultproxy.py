"""A TCP proxy in front of the database that can make it go away: drop every live connection and
refuse new ones, then accept again. Tests put it between a server and the shared database, so a
database outage is simulated without restarting the cluster other tests use."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine, Iterator
from typing import Any

from psycopg.conninfo import conninfo_to_dict, make_conninfo


class FaultProxy:
    """Forwards 127.0.0.1:`port` to `target`; its event loop runs in a thread of its own."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0  # chosen when it first listens, kept across outages
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._live: set[asyncio.StreamWriter] = set()

    @classmethod
    def to_database(cls, database_url: str) -> FaultProxy:
        given = conninfo_to_dict(database_url)
        return cls(str(given.get("host", "127.0.0.1")), int(given.get("port", 5432)))

    def url(self, database_url: str) -> str:
        """`database_url` with its host and port replaced by the proxy's."""
        given = conninfo_to_dict(database_url)
        return make_conninfo(**{**given, "host": "127.0.0.1", "port": str(self.port)})

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        self._call(self._listen())
        return self

    def __exit__(self, *exc: object) -> None:
        self._call(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    def go_away(self) -> None:
        """Like a database that went down: every connection is cut, new ones are refused."""
        self._call(self._go_away())

    def come_back(self) -> None:
        self._call(self._listen())

    @contextlib.contextmanager
    def away(self) -> Iterator[None]:
        self.go_away()
        try:
            yield
        finally:
            self.come_back()

    def _call(self, work: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(work, self._loop).result(10)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _go_away(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._live):
            writer.transport.abort()  # closed at once, unsent data dropped
        self._live.clear()

    async def _close(self) -> None:
        await self._go_away()
        # Let the piping tasks see their connections end, so none is left pending.
        tasks = asyncio.all_tasks() - {asyncio.current_task()}
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _accept(
        self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter
    ) -> None:
        try:
            upstream_reader, upstream = await asyncio.open_connection(*self.target)
        except OSError:
            client.transport.abort()
            return
        if self._server is None:  # it went away while this connection was being set up
            client.transport.abort()
            upstream.transport.abort()
            return
        self._live |= {client, upstream}
        await asyncio.gather(
            _pipe(client_reader, upstream), _pipe(upstream_reader, client), return_exceptions=True
        )
        self._live -= {client, upstream}


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()
