"""Output paths: atomic_write's permissions, symlinks and special files;
check_output_path's up-front refusals; printable() for messages."""

import os
import socket
import stat
import threading

import pytest

import core.atomic
from core.atomic import atomic_write, current_umask
from core.errors import DigitTuiError
from core.outputs import OutputError, check_output_path, expand_user_path
from core.text import printable

JOIN_SECONDS = 10  # a call that blocks (e.g. on opening a FIFO) fails, not hangs


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def leftovers(folder):
    return [name for name in os.listdir(folder) if name.startswith(".digit-tui-")]


def write(path, data=b"new"):
    with atomic_write(str(path)) as stream:
        stream.write(data)


def call_in_thread(function, *args):
    """Run ``function(*args)``; return the exception it raised (or None), and
    fail the test if it is still running after JOIN_SECONDS."""
    outcome = {}

    def target():
        try:
            function(*args)
            outcome["error"] = None
        except BaseException as error:  # noqa: BLE001 - handed to the test
            outcome["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(JOIN_SECONDS)
    assert not thread.is_alive(), "the call blocked"
    return outcome["error"]


@pytest.fixture
def umask():
    """Set the process umask for one test, always restoring it."""
    previous = os.umask(0o022)
    try:
        yield os.umask
    finally:
        os.umask(previous)


# --- atomic_write: permissions -------------------------------------------------


def test_new_file_follows_umask_022(tmp_path, umask):
    umask(0o022)
    write(tmp_path / "model.npz")
    assert mode_of(tmp_path / "model.npz") == 0o644


def test_new_file_follows_restrictive_umask_077(tmp_path, umask):
    umask(0o077)
    write(tmp_path / "model.npz")
    assert mode_of(tmp_path / "model.npz") == 0o600


def test_umask_is_read_without_proc_too(tmp_path, umask, monkeypatch):
    def no_proc(*args, **kwargs):
        raise OSError("no /proc here")

    monkeypatch.setattr(core.atomic, "open", no_proc, raising=False)
    umask(0o027)
    assert current_umask() == 0o027
    write(tmp_path / "model.npz")
    assert mode_of(tmp_path / "model.npz") == 0o640
    assert current_umask() == 0o027  # the fallback put the umask back


def test_replaced_file_keeps_its_mode(tmp_path, umask):
    umask(0o022)
    target = tmp_path / "model.npz"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    write(target)
    assert target.read_bytes() == b"new"
    assert mode_of(target) == 0o640


def test_text_mode_still_works(tmp_path):
    target = tmp_path / "submission.csv"
    with atomic_write(str(target), "w") as stream:
        stream.write("ImageId,Label\n1,7\n")
    assert target.read_text() == "ImageId,Label\n1,7\n"


# --- atomic_write: symlinks and special files -----------------------------------


def test_symlink_stays_a_link_and_its_target_is_replaced(tmp_path):
    real = tmp_path / "real" / "model.npz"
    real.parent.mkdir()
    real.write_bytes(b"old")
    os.chmod(real, 0o604)
    link = tmp_path / "model.npz"
    link.symlink_to(os.path.join("real", "model.npz"))  # relative, as people make them
    write(link)
    assert link.is_symlink()
    assert os.readlink(link) == os.path.join("real", "model.npz")
    assert real.read_bytes() == b"new"
    assert mode_of(real) == 0o604
    assert leftovers(tmp_path) == [] and leftovers(real.parent) == []


def test_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "model.npz"
    link.symlink_to(tmp_path / "made.npz")
    write(link)
    assert link.is_symlink()
    assert (tmp_path / "made.npz").read_bytes() == b"new"


def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    error = call_in_thread(write, fifo)
    assert isinstance(error, OutputError)
    assert str(error) == f"{fifo}: is a FIFO, not a regular file; refusing to write to it"
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert leftovers(tmp_path) == []


@pytest.fixture
def null_device(tmp_path):
    """A private copy of /dev/null's device node: if a regression replaced it,
    only this test's folder would suffer, not the machine's /dev/null."""
    node = tmp_path / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, AttributeError):
        pytest.skip("making a device node needs root")
    return node


def test_a_device_is_refused_and_stays_a_device(tmp_path, null_device):
    with pytest.raises(OutputError, match=r"null: is a character device, not a regular file"):
        write(null_device)
    assert stat.S_ISCHR(os.stat(null_device).st_mode)
    assert leftovers(tmp_path) == []


def test_symlink_to_a_device_is_refused(tmp_path, null_device):
    link = tmp_path / "model.npz"
    link.symlink_to(null_device)
    with pytest.raises(OutputError, match="is a character device"):
        write(link)
    assert link.is_symlink() and stat.S_ISCHR(os.stat(null_device).st_mode)


def test_directory_target_is_refused(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "keep").write_text("x")
    with pytest.raises(OutputError, match="is a directory, not a regular file"):
        write(folder)
    assert (folder / "keep").read_text() == "x"
    assert leftovers(tmp_path) == []


def test_socket_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a relative name keeps clear of the 108-byte limit
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind("sock")
        with pytest.raises(OutputError, match="is a socket"):
            write("sock")
        assert stat.S_ISSOCK(os.stat("sock").st_mode)
    finally:
        server.close()


def test_refusal_is_a_digit_tui_error_and_not_an_os_error():
    # Callers wrap OSError in their own message; the refusal must pass through.
    assert issubclass(OutputError, DigitTuiError)
    assert not issubclass(OutputError, OSError)


def test_os_errors_still_propagate(tmp_path):
    with pytest.raises(FileNotFoundError):
        write(tmp_path / "missing" / "model.npz")


# --- atomic_write: failures leave nothing behind --------------------------------


@pytest.mark.parametrize("failure", [RuntimeError, KeyboardInterrupt])
def test_temporary_file_removed_when_the_body_raises(tmp_path, failure):
    target = tmp_path / "model.npz"
    target.write_bytes(b"old")
    with pytest.raises(failure), atomic_write(str(target)) as stream:
        stream.write(b"half")
        raise failure()
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


# --- check_output_path ----------------------------------------------------------


@pytest.mark.parametrize("path", ["", "   ", "\t\n", None])
def test_empty_path_is_refused(path):
    with pytest.raises(OutputError, match=r"^the model path is empty$"):
        check_output_path(path, "model")


def test_missing_folder_is_refused(tmp_path):
    path = tmp_path / "nope" / "model.npz"
    with pytest.raises(OutputError, match="folder .*nope does not exist"):
        check_output_path(str(path), "model")
    assert not (tmp_path / "nope").exists()  # checking never creates anything


def test_folder_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(OutputError, match="notes.txt is not a folder"):
        check_output_path(str(tmp_path / "notes.txt" / "model.npz"), "model")


@pytest.mark.parametrize("suffix", ["", "/"])
def test_existing_directory_is_refused(tmp_path, suffix):
    (tmp_path / "models").mkdir()
    with pytest.raises(OutputError, match="is a folder, not a file; give a file name for the model"):
        check_output_path(str(tmp_path / "models") + suffix, "model")


def test_non_writable_folder_is_refused(tmp_path, monkeypatch):
    # Tests run as root, where os.access always says yes; pretend otherwise.
    real_access = os.access
    locked = str(tmp_path)

    def access(path, mode, **kwargs):
        if os.fspath(path) == locked and mode & os.W_OK:
            return False
        return real_access(path, mode, **kwargs)

    monkeypatch.setattr(os, "access", access)
    with pytest.raises(OutputError, match="cannot write the metrics log in folder .*: permission denied"):
        check_output_path(str(tmp_path / "log.jsonl"), "metrics log")


def test_same_file_as_an_input_is_refused(tmp_path):
    data = tmp_path / "train.csv"
    data.write_text("label\n")
    with pytest.raises(OutputError) as caught:
        check_output_path(str(data), "submission", [("--model", None), ("--data", str(data))])
    assert str(caught.value) == f"{data}: is also an input (--data); refusing to overwrite an input"
    assert data.read_text() == "label\n"


def test_symlink_to_an_input_is_refused(tmp_path):
    data = tmp_path / "train.csv"
    data.write_text("label\n")
    link = tmp_path / "out.csv"
    link.symlink_to(data)
    with pytest.raises(OutputError, match=r"is also an input \(--data\)"):
        check_output_path(str(link), "submission", [("--data", str(data))])


def test_hard_link_to_an_input_is_refused(tmp_path):
    data = tmp_path / "train.csv"
    data.write_text("label\n")
    os.link(data, tmp_path / "copy.csv")
    with pytest.raises(OutputError, match="is also an input"):
        check_output_path(str(tmp_path / "copy.csv"), "submission", [("--data", str(data))])


def test_relative_and_absolute_spellings_of_an_input_are_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "train.csv").write_text("label\n")
    with pytest.raises(OutputError, match="is also an input"):
        check_output_path("./train.csv", "model", [("--data", str(tmp_path / "train.csv"))])
    # Neither exists yet: the names are compared once resolved.
    with pytest.raises(OutputError, match="is also an input"):
        check_output_path("new.csv", "model", [("--data", str(tmp_path / "sub" / ".." / "new.csv"))])


def test_fifo_output_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    error = call_in_thread(check_output_path, str(fifo), "metrics log")
    assert isinstance(error, OutputError)
    assert "is a FIFO, not a regular file" in str(error)


def test_dev_null_output_is_refused():
    with pytest.raises(OutputError, match="is a character device"):
        check_output_path("/dev/null", "model")


def test_normal_new_path_is_accepted_unchanged_and_not_created(tmp_path):
    path = str(tmp_path / "model.npz")
    other = tmp_path / "train.csv"
    other.write_text("label\n")
    assert check_output_path(path, "model", [("--data", str(other))]) == path
    assert not os.path.exists(path)


def test_existing_regular_file_is_accepted(tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes(b"old")
    assert check_output_path(path, "model") == str(path)  # PathLike in, str out
    assert path.read_bytes() == b"old"


def test_message_escapes_a_hostile_file_name(tmp_path):
    hostile = tmp_path / "evil\x1b]0;pwned\x07" / "model.npz"
    with pytest.raises(OutputError) as caught:
        check_output_path(str(hostile), "model")
    message = str(caught.value)
    assert "\x1b" not in message and "\x07" not in message
    assert "\\x1b]0;pwned\\x07" in message


def test_expand_user_path(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert expand_user_path("  ~/models/a.npz\n") == str(tmp_path / "models" / "a.npz")
    assert expand_user_path("./a~b.npz ") == "./a~b.npz"
    assert expand_user_path("   ") == ""
    assert expand_user_path(None) == ""


# --- printable ------------------------------------------------------------------


def test_printable_escapes_control_and_format_characters():
    assert printable("a\nb\rc\td") == "a\\nb\\rc\\td"
    assert printable("\x1b[31mred\x7f") == "\\x1b[31mred\\x7f"
    assert printable("file\u202etxt.exe") == "file\\u202etxt.exe"
    shown = printable("line\u2028sep\udcff")
    assert shown == "line\\u2028sep\\udcff"
    shown.encode("utf-8")  # a lone surrogate would raise here


def test_printable_leaves_ordinary_unicode_alone():
    assert printable("café ñ 数字 ✓") == "café ñ 数字 ✓"


def test_printable_cuts_huge_text_in_the_middle():
    huge = "START" + "x" * 10_000_000 + "END"
    shown = printable(huge)
    assert len(shown) <= 120
    assert shown.startswith("START") and shown.endswith("END")
    assert "..." in shown
    assert len(printable(huge, limit=40)) <= 40


def test_printable_cut_counts_escapes_and_never_splits_one():
    shown = printable("\x1b" * 100, limit=30)
    assert len(shown) <= 30
    assert "\x1b" not in shown
    head, tail = shown.split("...")
    assert head == "\\x1b" * (len(head) // 4) and tail == "\\x1b" * (len(tail) // 4)


def test_printable_short_text_is_unchanged_and_non_str_is_converted():
    assert printable("model.npz") == "model.npz"
    assert printable("a" * 120) == "a" * 120
    assert printable(42) == "42"
    assert printable(ValueError("bad\nvalue")) == "bad\\nvalue"
