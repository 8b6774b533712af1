"""`digit-tui download`: sources, checksums, resume, timeouts, a full disk,
Ctrl+C, and `--data mnist` naming a downloaded dataset.

Nothing here reaches the internet: a local http.server on 127.0.0.1, in a
thread, serves small IDX fixtures, and the DATASETS entry is replaced with
one that points at it and carries the fixtures' MD5s."""

import errno
import functools
import gzip
import hashlib
import http.server
import os
import socket
import threading
import time

import numpy as np
import pytest
from helpers import idx_bytes, synthetic_digits, write_csv, write_idx_pair

from core.errors import DataError
from data import datasets, download, load_dataset
from data.datasets import FILE_NAMES, Published
from tui import download_cli
from tui.cli import main

TRAIN_IMAGES = FILE_NAMES[0]


def fixture_files():
    """The four files: 200 training and 50 test digits, gzipped IDX."""
    train, test = synthetic_digits(200, seed=1), synthetic_digits(50, seed=2)
    arrays = (train[0].reshape(-1, 28, 28), train[1], test[0].reshape(-1, 28, 28), test[1])
    return {name: gzip.compress(idx_bytes(array), mtime=0) for name, array in zip(FILE_NAMES, arrays)}


FILES = fixture_files()


class Handler(http.server.BaseHTTPRequestHandler):
    """Serves FILES under /a/ and /b/; a path's queued modes (server.modes)
    say how to misbehave on its next requests."""

    def do_GET(self):
        server = self.server
        mode = server.modes.get(self.path, ["ok"]).pop(0) if server.modes.get(self.path) else "ok"
        server.log.append((self.path, self.headers.get("Range"), mode))
        body = FILES.get(self.path.rsplit("/", 1)[-1])
        if mode == "404" or body is None:
            self.send_error(404)
        elif mode == "hang":
            server.stop.wait(30)  # set when the test ends, so this thread never outlives it
        elif mode == "half":
            self._send(200, body, len(body), body[: len(body) // 2])
        elif mode == "wrong":
            self._send(200, body[::-1], len(body))
        elif mode == "ignore-range":
            self._send(200, body, len(body))
        else:
            self._send_range(body)

    def _send_range(self, body):
        wanted = self.headers.get("Range")
        if not wanted:
            return self._send(200, body, len(body))
        start = int(wanted.removeprefix("bytes=").rstrip("-"))
        headers = {"Content-Range": f"bytes {start}-{len(body) - 1}/{len(body)}"}
        self._send(206, body[start:], len(body) - start, headers=headers)

    def _send(self, status, body, length, sent=None, headers=None):
        self.server.statuses.append(status)
        self.send_response(status)
        self.send_header("Content-Length", str(length))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body if sent is None else sent)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.modes, httpd.log, httpd.statuses, httpd.stop = {}, [], [], threading.Event()
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd
    httpd.stop.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def closed_port_url():
    """A URL nobody listens on: connections are refused, like no network."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/gone/"


def use_sources(monkeypatch, *sources):
    md5s = tuple(hashlib.md5(FILES[name]).hexdigest() for name in FILE_NAMES)
    entry = Published("mnist", "test digits", tuple(sources), md5s, "test licence", "test citation")
    monkeypatch.setitem(datasets.DATASETS, "mnist", entry)


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    monkeypatch.setenv("DIGIT_TUI_DATA_DIR", str(folder))
    # the CLI's retries wait 1 s, 2 s, ...: not in tests
    monkeypatch.setattr(download_cli, "Settings", functools.partial(download.Settings, retry_wait=0.0))
    return folder


FAST = download.Settings(timeout=5, attempts=2, retry_wait=0)


def fetch(events=None, settings=FAST, **kwargs):
    return download.download("mnist", report=None if events is None else events.append, settings=settings, **kwargs)


def stored(folder):
    return sorted(os.listdir(folder)) if folder.exists() else []


def test_download_places_all_four_checked_files(server, data_dir, monkeypatch):
    use_sources(monkeypatch, server.url + "/a/")
    events = []
    result = fetch(events)
    assert result.folder == str(data_dir / "mnist") and result.downloaded == list(FILE_NAMES)
    for name in FILE_NAMES:
        assert (data_dir / "mnist" / name).read_bytes() == FILES[name]
    assert stored(data_dir / "mnist") == sorted(FILE_NAMES)  # no .part left
    kinds = [event.kind for event in events if event.file == TRAIN_IMAGES]
    assert kinds[0] == "start" and kinds[-1] == "done" and "progress" in kinds
    # present and valid: not downloaded again
    requests = len(server.log)
    again = fetch(events)
    assert again.present == list(FILE_NAMES) and len(server.log) == requests
    assert [event.kind for event in events[-4:]] == ["present"] * 4


def test_cut_connection_resumes_with_a_range_request(server, data_dir, monkeypatch):
    use_sources(monkeypatch, server.url + "/a/")
    server.modes["/a/" + TRAIN_IMAGES] = ["half"]
    fetch()
    tries = [entry for entry in server.log if entry[0].endswith(TRAIN_IMAGES)]
    half = len(FILES[TRAIN_IMAGES]) // 2
    assert tries == [("/a/" + TRAIN_IMAGES, None, "half"), ("/a/" + TRAIN_IMAGES, f"bytes={half}-", "ok")]
    assert server.statuses[:2] == [200, 206]
    assert (data_dir / "mnist" / TRAIN_IMAGES).read_bytes() == FILES[TRAIN_IMAGES]


def test_a_server_that_ignores_range_sends_the_whole_file_again(server, data_dir, monkeypatch):
    use_sources(monkeypatch, server.url + "/a/")
    server.modes["/a/" + TRAIN_IMAGES] = ["half", "ignore-range"]
    fetch()
    assert (data_dir / "mnist" / TRAIN_IMAGES).read_bytes() == FILES[TRAIN_IMAGES]


def test_checksum_mismatch_keeps_nothing_and_says_so(server, data_dir, monkeypatch):
    use_sources(monkeypatch, server.url + "/a/")
    server.modes["/a/" + TRAIN_IMAGES] = ["wrong"]
    events = []
    with pytest.raises(DataError, match=r"127\.0\.0\.1:\d+: checksum mismatch"):
        fetch(events)
    assert stored(data_dir / "mnist") == []
    assert [e.message for e in events if e.kind == "mismatch"] == [
        f"{TRAIN_IMAGES} from {server.url}/a/{TRAIN_IMAGES} does not match its published MD5; deleted it"
    ]


def test_mismatch_then_the_next_source(server, data_dir, monkeypatch):
    use_sources(monkeypatch, server.url + "/a/", server.url + "/b/")
    server.modes["/a/" + TRAIN_IMAGES] = ["wrong"]
    fetch()
    assert (data_dir / "mnist" / TRAIN_IMAGES).read_bytes() == FILES[TRAIN_IMAGES]


def test_404_goes_to_the_next_source_without_retrying(server, data_dir, monkeypatch):
    use_sources(monkeypatch, server.url + "/a/", server.url + "/b/")
    server.modes["/a/" + TRAIN_IMAGES] = ["404", "404"]
    fetch()
    paths = [entry[0] for entry in server.log if entry[0].endswith(TRAIN_IMAGES)]
    assert paths == ["/a/" + TRAIN_IMAGES, "/b/" + TRAIN_IMAGES]
    assert (data_dir / "mnist" / TRAIN_IMAGES).read_bytes() == FILES[TRAIN_IMAGES]


def test_a_hanging_server_times_out_then_the_next_source(server, data_dir, monkeypatch):
    use_sources(monkeypatch, server.url + "/a/", server.url + "/b/")
    server.modes["/a/" + TRAIN_IMAGES] = ["hang", "hang"]
    events = []
    started = time.monotonic()
    fetch(events, settings=download.Settings(timeout=0.5, attempts=2, retry_wait=0))
    assert time.monotonic() - started < 10
    assert [e.message for e in events if e.kind == "retry"] == ["timed out"]
    assert (data_dir / "mnist" / TRAIN_IMAGES).read_bytes() == FILES[TRAIN_IMAGES]


def test_no_network_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    first, second = closed_port_url(), closed_port_url()
    use_sources(monkeypatch, first, second)
    monkeypatch.chdir(tmp_path)
    assert main(["download", "mnist", "--dir", "here"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    hosts = f"{first.split('/')[2]}: connection refused; {second.split('/')[2]}: connection refused"
    assert err == [
        f"digit-tui: error: cannot download {TRAIN_IMAGES} ({hosts}); "
        "put the 4 files (README: Full datasets) in here by hand"
    ]
    assert stored(tmp_path / "here") == []  # nothing half-written, not even an empty part file


def test_a_failure_after_some_bytes_says_the_part_file_is_kept(server, data_dir, monkeypatch):
    use_sources(monkeypatch, server.url + "/a/")
    server.modes["/a/" + TRAIN_IMAGES] = ["half", "404"]
    with pytest.raises(DataError, match=rf"; \.{TRAIN_IMAGES}\.part is kept to resume$"):
        fetch()
    assert stored(data_dir / "mnist") == [f".{TRAIN_IMAGES}.part"]


def test_full_disk_is_one_line_exit_2_and_no_file(server, data_dir, monkeypatch, capsys):
    use_sources(monkeypatch, server.url + "/a/")

    def full(stream, chunk):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(download, "write_chunk", full)
    assert main(["download"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"digit-tui: error: {data_dir / 'mnist' / TRAIN_IMAGES}: cannot write: no space left on device"]
    assert stored(data_dir / "mnist") == []


def test_ctrl_c_keeps_the_part_file_exits_130_and_the_next_run_resumes(server, data_dir, monkeypatch, capsys):
    use_sources(monkeypatch, server.url + "/a/")
    monkeypatch.setattr(download, "CHUNK", 1024)  # several chunks, so the stop falls mid-file
    show = download_cli._ProgressView.report

    def interrupt(view, event):
        show(view, event)
        if event.kind == "progress" and event.done >= 4096:
            raise KeyboardInterrupt

    monkeypatch.setattr(download_cli._ProgressView, "report", interrupt)
    assert main(["download", "mnist"]) == 130
    assert "partial download kept" in capsys.readouterr().err
    part = data_dir / "mnist" / f".{TRAIN_IMAGES}.part"
    assert stored(data_dir / "mnist") == [part.name] and part.stat().st_size == 4096
    monkeypatch.setattr(download_cli._ProgressView, "report", show)
    assert main(["download", "mnist"]) == 0
    assert server.log[-4][:2] == ("/a/" + TRAIN_IMAGES, "bytes=4096-")
    assert stored(data_dir / "mnist") == sorted(FILE_NAMES)
    assert (data_dir / "mnist" / TRAIN_IMAGES).read_bytes() == FILES[TRAIN_IMAGES]


def test_cli_prints_where_how_licence_and_citation(server, data_dir, monkeypatch, capsys):
    use_sources(monkeypatch, server.url + "/a/")
    assert main(["download", "mnist"]) == 0
    out = capsys.readouterr().out
    assert f"4 files in {data_dir / 'mnist'} (4 downloaded, 0 already present)" in out
    assert "use it with: digit-tui train --data mnist" in out
    assert "licence: test licence" in out and "cite: test citation" in out


def test_mirror_is_tried_first_and_dir_overrides(server, tmp_path, monkeypatch, capsys):
    use_sources(monkeypatch, closed_port_url())
    target = tmp_path / "elsewhere"
    assert main(["download", "--mirror", server.url + "/b", "--dir", str(target)]) == 0
    assert stored(target) == sorted(FILE_NAMES)
    assert all(entry[0].startswith("/b/") for entry in server.log)
    assert f"--data {target}" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["download", "emnist"], "emnist: no such dataset (choose from mnist, fashion-mnist, kmnist)"),
        (["download", "--mirror", "ftp://x/"], "ftp://x/: a mirror must be an http:// or https:// URL"),
        (["download", "--timeout", "0"], "--timeout 0.0: must be a number of seconds in (0, 3600]"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(argv, message, capsys):
    assert main(argv) == 2
    assert capsys.readouterr().err == f"digit-tui: error: {message}\n"


def test_published_md5s_and_sources_are_well_formed():
    assert set(datasets.DATASETS) == {"mnist", "fashion-mnist", "kmnist"}
    for entry in datasets.DATASETS.values():
        assert len(entry.md5s) == 4 and all(len(md5) == 32 and int(md5, 16) >= 0 for md5 in entry.md5s)
        assert entry.sources and all(url.endswith("/") for url in entry.sources)
        assert entry.licence and entry.citation


def test_data_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DIGIT_TUI_DATA_DIR", str(tmp_path / "own"))
    assert datasets.dataset_folder("kmnist") == str(tmp_path / "own" / "kmnist")
    monkeypatch.delenv("DIGIT_TUI_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert datasets.data_folder() == str(tmp_path / "xdg" / "digit-tui")
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert datasets.data_folder() == str(tmp_path / "home" / ".local" / "share" / "digit-tui")


# --data NAME: a downloaded dataset by its name


def install(data_dir, name="mnist"):
    folder = data_dir / name
    folder.mkdir(parents=True)
    train, test = synthetic_digits(40, seed=5), synthetic_digits(20, seed=6)
    write_idx_pair(folder, *train, compress=True, prefix="train")
    write_idx_pair(folder, *test, compress=True, prefix="t10k")
    return train, test


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist", "kmnist"])
def test_a_dataset_name_loads_the_downloaded_folder(data_dir, name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    train, test = install(data_dir, name)
    loaded = load_dataset(name)
    assert np.array_equal(loaded.images, train[0]) and np.array_equal(loaded.labels, train[1])
    assert np.array_equal(load_dataset(name, part="test").images, test[0])


def test_a_missing_or_incomplete_dataset_names_the_command(data_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError, match=r"^mnist: is not downloaded in .*; run: digit-tui download mnist$"):
        load_dataset("mnist")
    install(data_dir)
    (data_dir / "mnist" / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match=r"incomplete \(no t10k-labels-idx1-ubyte.gz\).*download mnist$"):
        load_dataset("mnist")


def test_a_local_file_of_that_name_wins(data_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    install(data_dir)
    (tmp_path / "mnist").mkdir()
    images, labels = synthetic_digits(30, seed=9)
    write_csv(tmp_path / "mnist" / "train.csv", images, labels)
    assert len(load_dataset("mnist").labels) == 30


def test_train_on_a_downloaded_dataset_by_name(data_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    install(data_dir)
    assert main(["train", "--data", "mnist", "--epochs", "1", "--hidden", "8", "--json"]) == 0
