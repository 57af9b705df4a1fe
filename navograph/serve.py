"""A read-only SPARQL endpoint over the store, served by the real ``oxigraph`` server.

``navograph serve`` runs::

    oxigraph serve-read-only --location STORE --bind 127.0.0.1:7878

(the ``oxigraph`` console script of the PyPI package ``oxigraph``, found next to
``sys.executable`` or on ``PATH``). Endpoints: ``/query`` (SPARQL 1.1 Protocol, GET/POST),
``/store`` (Graph Store Protocol, GET only) and a query UI at ``/``. The server is
read-only: SPARQL UPDATE and Graph Store writes are refused. The default graph of a query
is the union (a set) of all named graphs, as with ``navograph query``: the store keeps it
materialised in its default graph, so ``--union-default-graph`` is *not* passed (with
Oxigraph 0.5 that flag would count a triple once per graph holding it).

Locking: RocksDB allows one writer; read-only openers must not run beside a writer. So
the caller must close its own read-write :class:`~navograph.store.Store` first
(:func:`start_server` does it when given a Store), and we refuse to start while another
process holds the store's write lock (a ``navograph build`` in progress).
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from navograph.store import Store, StoreError, default_store_path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7878


class ServeError(Exception):
    """The endpoint cannot be started."""


def oxigraph_binary() -> str:
    """Path of the ``oxigraph`` server executable (next to Python, else on PATH)."""
    exe = "oxigraph.exe" if os.name == "nt" else "oxigraph"
    cand = Path(sys.executable).parent / exe
    if cand.is_file() and os.access(cand, os.X_OK):
        return str(cand)
    found = shutil.which("oxigraph")
    if found:
        return found
    raise ServeError(
        "the `oxigraph` server binary was not found next to "
        f"{sys.executable} or on PATH; install it with `pip install oxigraph`"
    )


def writer_lock_held(path: Path) -> bool:
    """True if another process holds the RocksDB write lock of the store at ``path``."""
    lock = Path(path) / "LOCK"
    if not lock.exists():
        return False
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: cannot probe, assume free
        return False
    try:
        fd = os.open(lock, os.O_RDWR)
    except OSError:
        return False
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.lockf(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def server_command(store: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *,
                   union_default_graph: bool = False, cors: bool = False,
                   timeout_s: int | None = None, binary: str | None = None) -> list[str]:
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    cmd = [binary or oxigraph_binary(), "serve-read-only", "--location", str(store), "--bind", bind]
    if union_default_graph:
        cmd.append("--union-default-graph")
    if cors:
        cmd.append("--cors")
    if timeout_s:
        cmd += ["--timeout-s", str(timeout_s)]
    return cmd


def endpoint_url(host: str, port: int) -> str:
    h = f"[{host}]" if ":" in host else host
    return f"http://{h}:{port}"


def _prepare(store: Store | str | Path | None, host: str, port: int) -> Path:
    if isinstance(store, Store):
        path = store.path
        store.close()  # release our own handle (a read-write one holds the RocksDB lock)
    else:
        path = default_store_path(store)
    if not Store.exists(path):
        raise ServeError(f"no store at {path} (run `navograph build` first, or pass --store)")
    if writer_lock_held(path):
        raise ServeError(
            f"store {path} is open for writing by another process (a build?); "
            "wait for it to finish: a read-only server must not run beside a writer"
        )
    if not port_free(host, port):
        raise ServeError(f"cannot bind {host}:{port}: address in use (choose another --port)")
    return path


def wait_until_up(base_url: str, proc: subprocess.Popen | None = None, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    probe = base_url + "/query?query=" + urllib.request.quote("ASK {}")
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
            raise ServeError(f"oxigraph exited with code {proc.returncode}: {err.strip()[:500]}")
        try:
            with urllib.request.urlopen(probe, timeout=2) as r:
                r.read()
                return
        except (urllib.error.URLError, OSError) as exc:
            last = exc
            time.sleep(0.1)
    raise ServeError(f"oxigraph did not answer at {base_url} within {timeout:.0f}s: {last}")


def start_server(store: Store | str | Path | None = None, host: str = DEFAULT_HOST,
                 port: int = DEFAULT_PORT, *, timeout: float = 30.0, **kwargs) -> subprocess.Popen:
    """Start the read-only endpoint in the background and wait until it answers.

    The caller owns the process: stop it with :func:`stop_server`.
    """
    path = _prepare(store, host, port)
    cmd = server_command(path, host, port, **kwargs)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until_up(endpoint_url(host, port), proc, timeout)
    except BaseException:
        stop_server(proc)
        raise
    return proc


def stop_server(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)
    if proc.stderr:
        proc.stderr.close()


def serve(store: Store | str | Path | None = None, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          *, echo=print, **kwargs) -> int:
    """Run the endpoint in the foreground until Ctrl-C / SIGTERM; returns its exit code."""
    path = _prepare(store, host, port)
    cmd = server_command(path, host, port, **kwargs)
    base = endpoint_url(host, port)
    echo(f"SPARQL endpoint (read-only) over {path}")
    echo(f"  query:  {base}/query")
    echo(f"  graphs: {base}/store")
    echo(f"  UI:     {base}/")
    echo("Ctrl-C to stop.")
    proc = subprocess.Popen(cmd)
    previous = signal.getsignal(signal.SIGTERM)

    def _term(signum, frame):  # forward SIGTERM to the server
        proc.terminate()

    try:
        signal.signal(signal.SIGTERM, _term)
    except ValueError:  # not in the main thread
        previous = None
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            return proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


__all__ = [
    "ServeError", "StoreError", "oxigraph_binary", "server_command", "start_server", "stop_server",
    "serve", "wait_until_up", "endpoint_url", "writer_lock_held",
]
