"""A throw-away PostgreSQL server from the OS packages (Debian's `postgresql`), for tests.

    with local_postgres() as pg:      # initdb into a temporary directory, pg_ctl start on 127.0.0.1
        pg.host, pg.port, pg.user, pg.password
        pg.create_database("name")

The server listens on a free TCP port on 127.0.0.1 (password auth) and on a unix socket inside its
own directory, never on the system's. initdb and postgres refuse to run as root: as root, they run
as the `postgres` user (runuser, else su). The server is stopped and its directory removed on exit.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mtm_pipeline_tests.ui.stack import LOOPBACK, free_port

SKIP_REASON = "PostgreSQL server not installed: apt-get install postgresql"


def postgres_bin() -> Path | None:
    """The bin/ directory of the newest PostgreSQL server installed (/usr/lib/postgresql/<v>/bin)."""
    found = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")]
    found.sort(key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    if found and (found[-1] / "pg_ctl").exists():
        return found[-1]
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    return None


def unavailable_reason() -> str | None:
    """Why a local server cannot be started here (None: it can)."""
    if postgres_bin() is None:
        return SKIP_REASON
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "PostgreSQL binaries found but no 'postgres' user to run them as (running as root)"
        if not (shutil.which("runuser") or shutil.which("su")):
            return "running as root and neither runuser nor su is available to drop to the 'postgres' user"
    return None


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    if shutil.which("runuser"):
        return ["runuser", "-u", "postgres", "--", *argv]
    return ["su", "postgres", "-s", "/bin/sh", "-c", shlex.join(argv)]


def _run(argv: list[str], timeout: float = 120) -> str:
    result = subprocess.run(
        _as_server_user(argv),
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        cwd="/",  # the server user may not be able to enter the caller's directory
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{shlex.join(argv)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout


@dataclass
class LocalPostgres:
    bin: Path
    root: Path
    port: int
    host: str = LOOPBACK
    user: str = "mtm"
    password: str = ""

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def connect(self, dbname: str = "postgres"):
        import psycopg2

        return psycopg2.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=dbname,
            connect_timeout=10,
        )

    def create_database(self, name: str) -> None:
        con = self.connect()
        try:
            con.autocommit = True
            with con.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            con.close()

    def server_log(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]
        except OSError as error:
            return f"(no server log: {error})"


@contextmanager
def local_postgres(bin_dir: Path) -> Iterator[LocalPostgres]:
    # a short path under /tmp: the unix socket path must stay under ~100 bytes
    root = Path(tempfile.mkdtemp(prefix="mtm-pg-"))
    server = LocalPostgres(bin=bin_dir, root=root, port=free_port(), password=secrets.token_urlsafe(16))
    pwfile = root / "pwfile"
    pwfile.write_text(server.password + "\n", encoding="utf-8")
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        shutil.chown(pwfile, "postgres", "postgres")
    started = False
    try:
        _run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(server.data),
                "-U",
                server.user,
                f"--pwfile={pwfile}",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ]
        )
        pwfile.unlink()
        options = f"-p {server.port} -k {root} -c listen_addresses={LOOPBACK} -c fsync=off"
        started = True
        _run(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(server.data),
                "-l",
                str(server.log),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ]
        )
        yield server
    finally:
        if started:
            _stop(server)
        shutil.rmtree(root, ignore_errors=True)


def _stop(server: LocalPostgres) -> None:
    pg_ctl = str(server.bin / "pg_ctl")
    for mode in ("fast", "immediate"):
        try:
            _run([pg_ctl, "-D", str(server.data), "-m", mode, "-w", "-t", "30", "stop"], timeout=60)
            return
        except (RuntimeError, subprocess.TimeoutExpired):
            continue  # not running (start failed), or still shutting down: try harder, then give up
