"""Where import jobs read and write: ADT takes blob URLs; here `file:` URIs inside the server's
data directory (anything outside it is refused, symbolic links included) and, for input only,
`http(s)://` URLs."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

_READ_SIZE = 1 << 20


class BlobError(Exception):
    """A URI that may not be used, or an input that cannot be read."""


def check_input(uri: str, data_dir: Path) -> None:
    """Refuse, before the job exists, an input URI that can never be read."""
    if urlsplit(uri).scheme.lower() not in ("http", "https"):
        local_path(uri, data_dir)


def local_path(uri: str, data_dir: Path) -> Path:
    """The file a `file:` URI names: absolute (`file:///...`) or relative to the data directory
    (`file:name.ndjson`); it must lie inside the data directory."""
    parts = urlsplit(uri)
    if parts.scheme.lower() != "file":
        raise BlobError(f"{uri!r}: only file: URIs (and http(s): URLs for input) are supported")
    if parts.netloc not in ("", "localhost"):
        raise BlobError(f"{uri!r}: a file: URI must name a local file")
    root = data_dir.resolve()
    path = (root / unquote(parts.path)).resolve()
    if not path.is_relative_to(root) or path == root:
        raise BlobError(f"{uri!r} is outside the server's data directory {root}")
    return path


def open_input(uri: str, data_dir: Path, offset: int) -> Iterator[bytes]:
    """The input's lines from byte `offset` on (a resumed job skips what it has done)."""
    if urlsplit(uri).scheme.lower() in ("http", "https"):
        return _http_lines(uri, offset)
    path = local_path(uri, data_dir)
    try:
        stream = path.open("rb")
    except OSError as error:
        raise BlobError(f"cannot read {uri}: {error.strerror}") from None
    stream.seek(offset)
    return _closing_lines(stream)


def _closing_lines(stream: BinaryIO) -> Iterator[bytes]:
    with stream:
        yield from stream


def _http_lines(url: str, offset: int) -> Iterator[bytes]:
    request = urllib.request.Request(url, headers={"Range": f"bytes={offset}-"} if offset else {})
    try:
        response = urllib.request.urlopen(request, timeout=60)
    except (urllib.error.URLError, OSError) as error:
        raise BlobError(f"cannot read {url}: {error}") from None
    with response:
        if offset and response.status != 206:  # no range support: skip what is done
            skip = offset
            while skip:
                chunk = response.read(min(skip, _READ_SIZE))
                if not chunk:
                    break
                skip -= len(chunk)
        yield from response
