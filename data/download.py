"""Download a full dataset's four IDX files, standard library only (urllib).

For each file: a copy already in place whose MD5 matches is kept. Otherwise
the sources are tried in order (the user's ``--mirror`` URLs first), each a
bounded number of times with a timeout. Bytes go to a hidden ``.NAME.part``
beside the target; a cut connection resumes it with an HTTP Range request,
and so does the next run after Ctrl+C. The part is renamed into place only
once its MD5 matches the published one; a mismatch deletes it.

Nothing here prints: progress and notes reach the front end through the
``report`` callback, failures are DataError with one line.
"""

import hashlib
import http.client
import os
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from core.errors import DataError
from core.text import printable

from .datasets import FILE_NAMES, Published, dataset_folder, published

CHUNK = 64 * 1024
# The largest real file is 26 MB (Fashion-MNIST's training images); a source
# that sends far more is broken or hostile, and must not fill the disk.
MAX_BYTES = 128 * 1024 * 1024
USER_AGENT = "digit-tui/0.1 (Python urllib)"
# Server-side trouble worth another try; any other 4xx means "not here".
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Event:
    """What the front end is told. ``kind`` is one of:
    "present" (a valid copy is already in place), "start" (a transfer begins
    at byte ``done`` of ``total``, from ``url``), "progress", "done" (the file
    is checked and in place), "retry" and "mismatch" (``message`` says why)."""

    kind: str
    file: str
    done: int = 0
    total: int | None = None
    url: str = ""
    message: str = ""


Report = Callable[[Event], None]


@dataclass(frozen=True)
class Settings:
    """``timeout``: seconds a connection or a read may wait; ``attempts``:
    tries per source; ``retry_wait``: seconds before the second try, growing
    linearly after (tests set 0)."""

    timeout: float = 30.0
    attempts: int = 3
    retry_wait: float = 1.0


@dataclass
class Result:
    folder: str
    dataset: Published
    downloaded: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)


class _Retry(Exception):
    """A failure of this try that another try at the same source may not have."""


class _NextSource(Exception):
    """A failure that trying this source again would repeat (404, no such host)."""


class _LocalWriteError(DataError):
    """Our own disk refused a write: no source can help, so stop at once."""


def download(
    name: str,
    folder: str | None = None,
    mirrors: Iterable[str] = (),
    report: Report | None = None,
    settings: Settings | None = None,
) -> Result:
    """Fetch dataset ``name`` into ``folder`` (default: its folder in the
    data folder). Raises DataError, one line, when a file cannot be had."""
    entry = published(name)
    sources = [_checked_mirror(url) for url in mirrors] + list(entry.sources)
    result = Result(_make_folder(folder or dataset_folder(name)), entry)
    for file_name in FILE_NAMES:
        job = _Job(file_name, entry.md5_of(file_name), result.folder, report or _ignore, settings or Settings())
        if job.fetch(sources):
            result.downloaded.append(file_name)
        else:
            result.present.append(file_name)
    return result


def _ignore(event: Event) -> None:
    pass


def _checked_mirror(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise DataError(f"{printable(url)}: a mirror must be an http:// or https:// URL")
    return url


def _make_folder(folder: str) -> str:
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        raise DataError(f"{printable(folder)}: cannot create the folder: {_reason(error)}") from None
    return folder


def part_path(target: str) -> str:
    """The hidden partial file beside ``target``, kept between runs to resume."""
    folder, name = os.path.split(target)
    return os.path.join(folder, f".{name}.part")


def write_chunk(stream: IO[bytes], chunk: bytes) -> None:
    """Every byte written goes through here: the tests' seam for a full disk.
    Flushed at once, so that closing the file never fails later with bytes
    the error message did not account for."""
    stream.write(chunk)
    stream.flush()


class _Job:
    """One file: try each source until one yields the published MD5."""

    def __init__(self, file_name: str, md5: str, folder: str, report: Report, settings: Settings) -> None:
        self.file = file_name
        self.md5 = md5
        self.target = os.path.join(folder, file_name)
        self.part = part_path(self.target)
        self.report = report
        self.settings = settings

    def fetch(self, sources: list[str]) -> bool:
        """True when downloaded, False when a valid copy was already there."""
        if _md5_matches(self.target, self.md5):
            self.report(Event("present", self.file))
            return False
        if _md5_matches(self.part, self.md5):  # a run stopped between the last byte and the rename
            self._accept()
            return True
        reasons = []
        try:
            for base in sources:
                reason = self._from_source(base.rstrip("/") + "/" + self.file)
                if reason is None:
                    self._accept()
                    return True
                reasons.append(reason)
        except _LocalWriteError:
            _remove(self.part)  # a full disk wants its space back more than a resume
            raise
        _remove_if_empty(self.part)
        raise self._failure(sources, reasons)

    def _from_source(self, url: str) -> str | None:
        """None once the part file holds the right bytes; else why not."""
        reason = "no attempt made"
        for attempt in range(1, self.settings.attempts + 1):
            try:
                resumed = self._transfer(url)
            except _NextSource as error:
                return str(error)
            except _Retry as error:
                reason = str(error)
                if attempt < self.settings.attempts:
                    self.report(Event("retry", self.file, url=url, message=reason))
                    time.sleep(self.settings.retry_wait * attempt)
                continue
            if _md5_matches(self.part, self.md5):
                return None
            reason = self._mismatch(url)
            if not resumed:  # a clean download that is wrong: this source serves other bytes
                return reason
            # a resumed one may be wrong only because of the old part: try once more from byte 0
        return reason

    def _mismatch(self, url: str) -> str:
        _remove(self.part)
        message = f"{self.file} from {url} does not match its published MD5; deleted it"
        self.report(Event("mismatch", self.file, url=url, message=message))
        return "checksum mismatch"

    def _transfer(self, url: str) -> bool:
        """Append the source's bytes to the part file, from where it ends.
        True when it resumed a partial file. Raises _Retry or _NextSource."""
        offset = _size(self.part)
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        request = urllib.request.Request(url, headers=headers)
        try:
            response = urllib.request.urlopen(request, timeout=self.settings.timeout)
        except urllib.error.HTTPError as error:
            raise self._http_failure(error) from None
        except (OSError, http.client.HTTPException) as error:  # URLError is an OSError
            raise _network_failure(error) from None
        with response:
            start, total = _start_and_total(response, offset)
            self.report(Event("start", self.file, done=start, total=total, url=url))
            done = self._receive(response, start, total)
        if total is not None and done < total:
            raise _Retry(f"the connection closed after {done} of {total} bytes")
        return start > 0

    def _http_failure(self, error: urllib.error.HTTPError) -> Exception:
        error.close()
        if error.code == 416:  # our part is not a prefix of what it serves: start again
            _remove(self.part)
            return _Retry("HTTP 416 (range not satisfiable)")
        reason = f"HTTP {error.code}"
        return _Retry(reason) if error.code in RETRY_STATUSES else _NextSource(reason)

    def _receive(self, response: Any, start: int, total: int | None) -> int:
        """Copy the body into the part file (truncated when the source sent
        it whole); the number of bytes the part file then holds."""
        done = start
        try:
            stream = open(self.part, "ab" if start else "wb")  # noqa: SIM115 - closed below, errors told apart
        except OSError as error:
            raise _LocalWriteError(f"{printable(self.part)}: cannot write: {_reason(error)}") from None
        with stream:
            while done <= MAX_BYTES and (chunk := _read(response)):
                self._write(stream, chunk)
                done += len(chunk)
                self.report(Event("progress", self.file, done=done, total=total))
        if done > MAX_BYTES:
            _remove(self.part)
            raise _NextSource(f"sent more than {MAX_BYTES} bytes")
        return done

    def _write(self, stream: IO[bytes], chunk: bytes) -> None:
        try:
            write_chunk(stream, chunk)
        except OSError as error:
            raise _LocalWriteError(f"{printable(self.target)}: cannot write: {_reason(error)}") from None

    def _accept(self) -> None:
        """Rename the checked part into place, durably."""
        try:
            with open(self.part, "rb") as stream:
                os.fsync(stream.fileno())
            os.replace(self.part, self.target)
        except OSError as error:
            raise DataError(f"{printable(self.target)}: cannot put the file in place: {_reason(error)}") from None
        _sync_folder(os.path.dirname(self.target))
        self.report(Event("done", self.file, done=_size(self.target), total=_size(self.target)))

    def _failure(self, sources: list[str], reasons: list[str]) -> DataError:
        """One line: each source tried and why it failed, and the way round.
        Kept short (the CLI cuts a line at 280 characters): hosts, not URLs."""
        tried = "; ".join(f"{urllib.parse.urlsplit(url).netloc}: {why}" for url, why in zip(sources, reasons))
        kept = f"; {os.path.basename(self.part)} is kept to resume" if _size(self.part) else ""
        return DataError(
            f"cannot download {self.file} ({tried}); put the 4 files (README: Full datasets) "
            f"in {_short(os.path.dirname(self.target))} by hand{kept}"
        )


def _read(response: Any) -> bytes:
    """One chunk of the body; a network error becomes _Retry."""
    try:
        chunk: bytes = response.read(CHUNK)
    except (OSError, http.client.HTTPException) as error:
        raise _network_failure(error) from None
    return chunk


def _start_and_total(response: Any, offset: int) -> tuple[int, int | None]:
    """Where the body starts in the file and the file's full size (None if
    the server does not say). A 200 to a Range request is the whole file."""
    length = _int_or_none(response.headers.get("Content-Length"))
    if response.status != 206:
        return 0, length
    # Content-Range: bytes START-END/TOTAL (TOTAL may be "*")
    value = response.headers.get("Content-Range", "")
    try:
        span, _, size = value.removeprefix("bytes ").partition("/")
        start = int(span.partition("-")[0])
    except ValueError:
        raise _Retry(f"a 206 reply with an unreadable Content-Range {printable(value, 40)!r}") from None
    if start != offset:
        raise _Retry(f"asked for byte {offset} on, got byte {start} on")
    total = _int_or_none(size)
    if total is None and length is not None:
        total = start + length
    return start, total


def _int_or_none(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _network_failure(error: BaseException) -> Exception:
    """No host by that name will not change in a second: go to the next
    source. A timeout, a refused or reset connection may."""
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(reason, socket.gaierror):
        return _NextSource("no such host")
    if isinstance(reason, ssl.SSLCertVerificationError):
        return _NextSource("its certificate cannot be verified")
    if isinstance(reason, TimeoutError):
        return _Retry("timed out")
    text = _reason(reason) if isinstance(reason, OSError) else str(reason)
    return _Retry(printable(text or type(reason).__name__, 80))


def _short(folder: str) -> str:
    """``folder`` with the home folder written as ~, as a user would type it."""
    home = os.path.expanduser("~")
    if home not in ("", "/") and (folder == home or folder.startswith(home + os.sep)):
        folder = "~" + folder[len(home) :]
    return printable(folder)


def _reason(error: OSError) -> str:
    """An OSError's reason: "no space left on device"."""
    text = error.strerror or str(error) or type(error).__name__
    return text[:1].lower() + text[1:]


def _md5_matches(path: str, md5: str) -> bool:
    try:
        with open(path, "rb") as stream:
            digest = hashlib.file_digest(stream, lambda: hashlib.md5(usedforsecurity=False))
    except OSError:
        return False  # missing, a folder, unreadable: not a valid copy either way
    return digest.hexdigest() == md5


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
    except OSError as error:  # a folder or a file we may not remove where the part should be
        raise DataError(f"{printable(path)}: cannot remove it ({error.strerror or error})") from None


def _remove_if_empty(path: str) -> None:
    """A part file with no bytes resumes nothing: leave no trace."""
    if os.path.isfile(path) and _size(path) == 0:
        _remove(path)


def _sync_folder(folder: str) -> None:
    """Make the rename itself survive a power cut; best effort, as some
    systems cannot open a folder."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # the file is in place; only its durability is less certain
    finally:
        os.close(descriptor)
