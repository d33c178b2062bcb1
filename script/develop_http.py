"""Choose the port of the development Home Assistant and write it where Home Assistant reads it.

Home Assistant keeps its HTTP settings in ``<config>/.storage/http``: an ``http:`` block in
configuration.yaml is imported once, as a trial that is reverted after a few minutes, and then
ignored. ``script/develop`` therefore has no ``http:`` block and calls this before every start:
it takes the port asked for (or the first free one from 8123 up), writes it with the address
127.0.0.1 into the stored settings (other stored settings are kept), and prints the port.
"""

import argparse
from datetime import UTC, datetime
import errno
import fcntl
import json
from pathlib import Path
import socket
import sys
from typing import Any

from homeassistant.components.http import config as http_config

HOST = "127.0.0.1"
FIRST_PORT = 8123
PORTS_TRIED = 100


class NoPortError(Exception):
    """Home Assistant cannot start: no port to start on, or it runs already."""


def is_free(port: int) -> bool:
    """Return whether Home Assistant could listen on this port of 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Home Assistant does
        try:
            sock.bind((HOST, port))
        except OSError as err:
            if err.errno in {errno.EADDRINUSE, errno.EACCES}:
                return False
            raise
    return True


def choose_port(asked: int | None) -> int:
    """Return the port asked for if it is free, or the first free one from 8123 up."""
    if asked is not None:
        if not is_free(asked):
            msg = f"port {asked} of {HOST} is taken: stop what uses it, or leave out --port"
            raise NoPortError(msg)
        return asked
    for port in range(FIRST_PORT, FIRST_PORT + PORTS_TRIED):
        if is_free(port):
            return port
    msg = f"no free port from {FIRST_PORT} to {FIRST_PORT + PORTS_TRIED - 1}: use --port"
    raise NoPortError(msg)


def stored_port(config_dir: Path) -> int | None:
    """Return the port stored for this configuration, if any."""
    file = config_dir / ".storage" / http_config.STORAGE_KEY
    if not file.is_file():
        return None
    stable = json.loads(file.read_text(encoding="utf-8"))["data"].get(http_config.KEY_STABLE)
    return (stable or {}).get("server_port")


def check_not_running(config_dir: Path) -> None:
    """Refuse to touch the settings of a Home Assistant that runs with this configuration."""
    lock = config_dir / ".ha_run.lock"  # Home Assistant holds a lock on it while it runs
    if not lock.is_file():
        return
    with lock.open("a+", encoding="utf-8") as file:
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            port = stored_port(config_dir)
            where = f" at http://{HOST}:{port}" if port else ""
            msg = f"a Home Assistant with this configuration already runs{where}: stop it first"
            raise NoPortError(msg) from None
        fcntl.flock(file.fileno(), fcntl.LOCK_UN)


def write_http_settings(config_dir: Path, port: int) -> None:
    """Store the HTTP settings of the next start: this port, on 127.0.0.1 only."""
    file = config_dir / ".storage" / http_config.STORAGE_KEY
    stable: dict[str, Any] = {}
    if file.is_file():
        stored = json.loads(file.read_text(encoding="utf-8"))
        if stored.get("version") == http_config.STORAGE_VERSION:
            stable = stored["data"].get(http_config.KEY_STABLE) or {}
    meta = {
        http_config.HTTP_CONFIG_CREATED_AT,
        http_config.HTTP_CONFIG_ERROR,
        http_config.HTTP_CONFIG_ERROR_MESSAGE,
    }
    settings = {key: value for key, value in stable.items() if key not in meta}
    settings = http_config.HTTP_STORAGE_SCHEMA(
        settings | {"server_host": [HOST], "server_port": port}
    )
    data = {
        "version": http_config.STORAGE_VERSION,
        "minor_version": http_config.STORAGE_MINOR_VERSION,
        "key": http_config.STORAGE_KEY,
        "data": {
            http_config.KEY_STABLE: settings
            | {
                http_config.HTTP_CONFIG_CREATED_AT: datetime.now(UTC).isoformat(),
                http_config.HTTP_CONFIG_ERROR: None,
                http_config.HTTP_CONFIG_ERROR_MESSAGE: None,
            },
            http_config.KEY_PENDING: None,
            http_config.KEY_YAML_MIGRATION_DONE: True,
        },
    }
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def main() -> int:
    """Choose the port, store it, print it."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("config_dir", type=Path)
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args()
    try:
        check_not_running(args.config_dir)
        port = choose_port(args.port)
    except NoPortError as err:
        print(f"develop: {err}", file=sys.stderr)
        return 1
    write_http_settings(args.config_dir, port)
    print(port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
