"""Provision and run a local PostgreSQL 17 + Apache AGE server (`adtquery db start/stop`).

AGE is not packaged for Debian bookworm, so a Debian trixie root (which ships postgresql-17-age)
is debootstrapped once under the adtquery home and the server runs chrooted into it. That needs
root on Linux; everyone else should point adtquery at an existing AGE server instead.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

DEFAULT_PORT = 54329
ROOT_NAME = "trixie"
MIRROR = os.environ.get("ADTQUERY_DEBIAN_MIRROR", "http://deb.debian.org/debian")
PG_BIN = "/usr/lib/postgresql/17/bin"
DATA = "/var/lib/adtquery/data"  # paths inside the root
LOG = "/var/lib/adtquery/log"
# The root has no /run/postgresql and no /dev/shm mount, hence the socket and shared-memory choices.
CONF = """
# adtquery
listen_addresses = '127.0.0.1'
port = {port}
shared_preload_libraries = 'age'
unix_socket_directories = '/tmp'
jit = off
dynamic_shared_memory_type = mmap
"""


def _tuning() -> list[str]:
    """Settings for graphs of millions of twins, given on each start so that roots made by an
    older adtquery get them too. PostgreSQL's defaults (128 MB of buffers, a checkpoint every
    1 GB of WAL) make a bulk import write each page several times."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    buffers = max(128, min(2048, memory // 2**20 // 8))  # MB: an eighth of memory, 2 GB at most
    settings = {
        "shared_buffers": f"{buffers}MB",
        "effective_cache_size": f"{buffers * 4}MB",
        "maintenance_work_mem": f"{max(64, buffers // 2)}MB",
        "max_wal_size": "8GB",
        "checkpoint_timeout": "15min",
        "wal_compression": "lz4",
    }
    return [f"-c {name}={value}" for name, value in settings.items()]


# Commands inside the root get a clean environment: host locale or PG* variables would leak in.
_CHROOT_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C.UTF-8"}
# Host tools keep the caller's environment (proxies), but need sbin, absent from some root PATHs.
_HOST_ENV = {
    **os.environ,
    "PATH": f"/usr/sbin:/sbin:{os.environ.get('PATH', '/usr/bin:/bin')}",
    "DEBIAN_FRONTEND": "noninteractive",
}
_USE_EXISTING = (
    "run an existing Apache AGE server (e.g. the `apache/age` Docker image) instead and pass "
    "--database-url or set ADTQUERY_DATABASE_URL."
)

Progress = Callable[[str], None]


class ProvisioningError(RuntimeError):
    """The local server could not be provisioned, started or stopped."""


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def default_home() -> Path:
    """`$ADTQUERY_HOME`, else `$XDG_CACHE_HOME/adtquery`, else `~/.cache/adtquery`."""
    if home := os.environ.get("ADTQUERY_HOME"):
        return Path(home).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache).expanduser() / "adtquery"


def database_url(port: int = DEFAULT_PORT) -> str:
    return f"postgresql://postgres@127.0.0.1:{port}/postgres"


def running_url(home: Path | None = None) -> str | None:
    """URL of the local server if it is running, else None. Does not need root."""
    port = _running_port(_root(home))
    return None if port is None else database_url(port)


def is_running(home: Path | None = None) -> bool:
    return running_url(home) is not None


def start(home: Path | None = None, port: int | None = None, progress: Progress = _stderr) -> str:
    """Ensure the local server runs and return its URL; provisions it on first use.

    `port=None` accepts a server already running on any port and otherwise starts on
    DEFAULT_PORT; an explicit port that differs from the running server's is an error.
    """
    _require_root()
    root = _root(home)
    with _locked(root.parent, progress):
        running = _running_port(root)
        if running is not None:
            if port not in (None, running):
                raise ProvisioningError(
                    f"The local server already runs on port {running}; "
                    f"run `adtquery db stop` first to use port {port}."
                )
            return database_url(running)
        if not root.is_dir():
            _provision(root, progress)
        port = DEFAULT_PORT if port is None else port
        _set_port(root, port)
        _clear_stale_locks(root)
        progress(f"Starting PostgreSQL 17 + Apache AGE on 127.0.0.1:{port} ...")
        options = " ".join(_tuning())
        pg_ctl = _pg(root, "pg_ctl", "-D", DATA, "-l", LOG, "-o", options, "-w", "start")
        _run(pg_ctl, "pg_ctl start", log=root / LOG[1:])
        _run(_pg(root, "pg_isready", "-h", "127.0.0.1", "-p", str(port), "-t", "10"), "pg_isready")
    return database_url(port)


def restart(home: Path | None = None) -> None:
    """`pg_ctl restart` with a fast shutdown, which cuts every connection (the fault that
    benchmarks/load.py --restart-db injects); the server keeps its start options."""
    root = _root(home)
    _require_root()
    pg_ctl = _pg(root, "pg_ctl", "-D", DATA, "-l", LOG, "-m", "fast", "-w", "restart")
    _run(pg_ctl, "pg_ctl restart", log=root / LOG[1:])


def stop(home: Path | None = None, progress: Progress = _stderr) -> None:
    """Stop the local server (fast shutdown); a no-op when it is not running."""
    root = _root(home)
    if _running_port(root) is None:
        return
    _require_root()
    with _locked(root.parent, progress):
        if (port := _running_port(root)) is not None:
            progress(f"Stopping the local PostgreSQL server on port {port} ...")
            _run(_pg(root, "pg_ctl", "-D", DATA, "-m", "fast", "-w", "stop"), "pg_ctl stop")


def _root(home: Path | None) -> Path:
    # Resolved, because it is compared with the kernel's /proc/<pid>/root.
    return Path(os.path.realpath(home or default_home())) / ROOT_NAME


def _require_root() -> None:
    if sys.platform != "linux":
        raise ProvisioningError(f"A local server can only be provisioned on Linux; {_USE_EXISTING}")
    if os.geteuid() != 0:
        raise ProvisioningError(
            "Provisioning a local server needs root (debootstrap, chroot): run as root, or "
            + _USE_EXISTING
        )


@contextlib.contextmanager
def _locked(home: Path, progress: Progress) -> Iterator[None]:
    import fcntl  # POSIX only; imported here so the module still imports elsewhere

    home.mkdir(parents=True, exist_ok=True)
    with open(home / "lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress(f"Waiting for another adtquery process (lock {home / 'lock'}) ...")
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _provision(root: Path, progress: Progress) -> None:
    # Build everything in a scratch sibling and rename at the end, so the root exists only when
    # complete. Under the lock, any scratch dir left over is from an interrupted run.
    for stale in root.parent.glob(f"{ROOT_NAME}.partial-*"):
        _remove_tree(stale)
    if not Path("/usr/sbin/debootstrap").exists():
        progress("Installing debootstrap with apt-get ...")
        _run(["apt-get", "update"], "apt-get update", env=_HOST_ENV)
        _run(["apt-get", "install", "-y", "debootstrap"], "apt-get install", env=_HOST_ENV)
    tmp = Path(tempfile.mkdtemp(prefix=f"{ROOT_NAME}.partial-", dir=root.parent))
    tmp.chmod(0o755)  # it becomes "/" for the postgres user; mkdtemp makes it 0700
    progress(
        f"Bootstrapping Debian trixie with PostgreSQL 17 + Apache AGE into {root} "
        "(about a minute, ~700 MB, once) ..."
    )
    try:
        packages = "--include=postgresql-17,postgresql-17-age"
        _run(
            ["/usr/sbin/debootstrap", "--variant=minbase", packages, "trixie", str(tmp), MIRROR],
            "debootstrap",
            env=_HOST_ENV,
            log=tmp / "debootstrap/debootstrap.log",
        )
        progress("Initialising the database cluster ...")
        (tmp / DATA[1:]).mkdir(parents=True)
        owner = ["chroot", str(tmp), "chown", "-R", "postgres:postgres", str(Path(DATA).parent)]
        _run(owner, "chown")
        initdb = ["-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8"]
        _run(_pg(tmp, "initdb", "-D", DATA, *initdb), "initdb")
        with open(tmp / DATA[1:] / "postgresql.conf", "a") as conf:
            conf.write(CONF.format(port=DEFAULT_PORT))
        tmp.rename(root)
    except BaseException:
        _remove_tree(tmp)
        raise


def _remove_tree(path: Path) -> None:
    # debootstrap mounts /proc and /sys (in containers it bind-mounts /dev) inside its target; an
    # interrupted run can leave them mounted, and rmtree must never descend into the host's.
    for mount in sorted(_mounts_under(path), reverse=True):
        subprocess.run(["umount", "--lazy", mount], env=_HOST_ENV, capture_output=True, check=False)
    if left := _mounts_under(path):
        raise ProvisioningError(f"Not deleting {path}: still mounted: {', '.join(left)}")
    shutil.rmtree(path, ignore_errors=True)


def _mounts_under(path: Path) -> list[str]:
    prefix = os.path.realpath(path)
    with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as f:
        points = [
            re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), line.split()[4]) for line in f
        ]
    return [p for p in points if p == prefix or p.startswith(prefix + "/")]


def _running_port(root: Path) -> int | None:
    try:
        lines = (root / DATA[1:] / "postmaster.pid").read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (OSError, ValueError, IndexError):
        return None
    # After a reboot the recorded pid may belong to an unrelated process: only a process
    # chrooted into this root is our postmaster.
    try:
        return port if os.readlink(f"/proc/{pid}/root") == str(root) else None
    except PermissionError:  # not root: cannot inspect, trust a live pid
        return port if Path(f"/proc/{pid}").exists() else None
    except OSError:
        return None


def _clear_stale_locks(root: Path) -> None:
    # Postgres refuses to start while its lock files name a live pid, which a reboot can recycle.
    # They are only stale once no process at all runs inside the root (backends of a killed
    # postmaster linger briefly); deleting them earlier could let two postmasters share the data.
    deadline = time.monotonic() + 10
    while pids := _pids_in(root):
        if time.monotonic() > deadline:
            raise ProvisioningError(
                f"Processes {pids} run inside {root} but no server is ready; stop them and retry."
            )
        time.sleep(0.2)
    for lock in [root / DATA[1:] / "postmaster.pid", *(root / "tmp").glob(".s.PGSQL.*")]:
        lock.unlink(missing_ok=True)


def _pids_in(root: Path) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            if entry.name.isdigit() and os.readlink(entry / "root") == str(root):
                pids.append(int(entry.name))
    return pids


def _set_port(root: Path, port: int) -> None:
    conf = root / DATA[1:] / "postgresql.conf"
    old = conf.read_text()
    new, n = re.subn(r"(?m)^port = \d+$", f"port = {port}", old)
    if not n:
        new += f"port = {port}\n"
    if new != old:
        conf.write_text(new)


def _pg(root: Path, tool: str, *args: str) -> list[str]:
    return ["chroot", "--userspec=postgres:postgres", str(root), f"{PG_BIN}/{tool}", *args]


def _run(
    cmd: list[str], what: str, env: dict[str, str] = _CHROOT_ENV, log: Path | None = None
) -> None:
    try:
        proc = subprocess.run(
            cmd, env=env, capture_output=True, text=True, errors="replace", check=False
        )
    except OSError as exc:
        raise ProvisioningError(f"{what} failed: {exc}") from exc
    if proc.returncode != 0:
        detail = _tail(proc.stderr or proc.stdout)
        with contextlib.suppress(OSError):
            if log is not None:
                detail += f"\n--- {log}:\n" + _tail(log.read_text(errors="replace"))
        raise ProvisioningError(f"{what} failed (exit {proc.returncode}):\n{detail}")


def _tail(text: str, lines: int = 20) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
