"""Adding a view is one module and one line in tui/views/__init__.py: the
app builds the tab, the key, the palette entries and the help from VIEWS."""

import importlib

import pytest
from helpers import synthetic_digits, write_csv
from textual.binding import Binding
from textual.widgets import Label

import tui.app
import tui.help
import tui.views
from core import TrainConfig
from tui.views import View, ViewSpec


class NotesView(View, can_focus=True):
    """What a new view module holds: a View with its keys."""

    BINDINGS = [Binding("x", "count", "Count", tooltip="Count the key presses")]
    presses = 0

    def compose(self):
        yield Label("notes", id="notes-label")

    def focus_target(self):
        return self

    def action_count(self):
        self.presses += 1


@pytest.fixture
def app_with_notes(monkeypatch, tmp_path):
    """The app module as it is when VIEWS has one more line."""
    monkeypatch.setattr(tui.views, "VIEWS", [*tui.views.VIEWS, ViewSpec("notes", "Notes", "n", "Notes", NotesView)])
    importlib.reload(tui.help)
    module = importlib.reload(tui.app)
    images, labels = synthetic_digits(60)
    data = write_csv(tmp_path / "train.csv", images, labels)
    yield module.DigitApp(TrainConfig(hidden=(8,), epochs=1), data_path=str(data))
    monkeypatch.undo()
    importlib.reload(tui.help)
    importlib.reload(tui.app)


async def test_a_registered_view_gets_a_tab_a_key_help_and_commands(app_with_notes):
    app = app_with_notes
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("n")
        await pilot.pause()
        assert app.query_one("TabbedContent").active == "notes"
        await pilot.press("x", "x")
        assert app.query_one(NotesView).presses == 2
        sections = dict(tui.help.key_sections(app))
        assert sections["Notes view (n)"] == [("x", "Count", "Count the key presses")]
        assert any(row[0].endswith("/n") and "Notes" in row[2] for row in sections["Everywhere"])
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert "Notes: Count the key presses (x)" in titles and "Notes" in titles
