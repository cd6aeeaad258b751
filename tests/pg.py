"""A throwaway PostgreSQL cluster for the tests: Debian's `postgresql` package, started on demand.

`Cluster.start()` runs `initdb` in a temporary folder and starts the server on its own loopback
port and unix socket (as the `postgres` user when the tests run as root: the server refuses to run
as root). Durability is switched off (`fsync=off`): the tests kill sandbox processes, never the
database. Each test gets a database of its own, owned by a role that is not a superuser, exactly
what SPEC §14 asks of a real deployment; it is dropped after the test.

Under `CI=true` a missing PostgreSQL is a failure (`.ci/run` installs the package); elsewhere the
PostgreSQL half of the suite is skipped with the reason. `bench/bench_postgres.py` starts its
cluster the same way, with durability settings of its own (`Cluster(bin, settings)`), so this
module imports nothing else from the test suite.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

ROLE = "sandbox"

#: The tests' server settings: durability off (the tests kill sandbox processes, never the database).
TEST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
                 "max_connections": "400", "shared_buffers": "64MB"}


def pg_bin() -> Path | None:
    """The newest installed server's bin folder (`/usr/lib/postgresql/<version>/bin`), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


class Cluster:
    """One PostgreSQL server (for the whole test session, or for one benchmark run).

    `settings` are server parameters passed as `-c name=value` (default: `TEST_SETTINGS`).
    """

    def __init__(self, bin_dir: Path, settings: dict[str, str] | None = None) -> None:
        self.bin = bin_dir
        self.settings = TEST_SETTINGS if settings is None else settings
        self.root = Path(tempfile.mkdtemp(prefix="sandbox-pg-"))
        self.data = self.root / "data"
        self.port = 0
        self._user = "postgres" if os.geteuid() == 0 else None

    def _run(self, *args: str) -> str:
        command = [str(self.bin / args[0]), *args[1:]]
        if self._user:
            command = ["runuser", "-u", self._user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {done.stdout}{done.stderr}")
        return done.stdout

    def start(self) -> None:
        if self._user:
            entry = pwd.getpwnam(self._user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1" + "".join(
            f" -c {name}={value}" for name, value in self.settings.items())
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "server.log"), "-w",
                  "-t", "60", "start")
        self.admin(f"CREATE ROLE {ROLE} LOGIN")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def admin(self, sql: str) -> None:
        """Run one statement as the superuser (outside a transaction: CREATE DATABASE needs that)."""
        import psycopg

        with psycopg.connect(self.url("postgres", user="postgres"), autocommit=True) as conn:
            conn.execute(sql)

    @property
    def pid(self) -> int:
        """The server's main process id (the first line of `postmaster.pid`)."""
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def url(self, database: str, user: str = ROLE) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A fresh, empty database owned by the sandbox role; returns its URL."""
        name = "t_" + uuid.uuid4().hex[:16]
        self.admin(f"CREATE DATABASE {name} OWNER {ROLE}")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        self.admin(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


def available() -> str | None:
    """None when a cluster can be started here, else why not."""
    if pg_bin() is None:
        return "PostgreSQL is not installed (apt-get install postgresql)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install -e '.[test]')"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser to start PostgreSQL as the postgres user"
    return None
