"""The restart form: every training setting, made from its one declaration
(``core.config.TrainConfig``); picking a preset fills in every field."""

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Select

from core.config import PRESETS, TrainConfig
from core.errors import ConfigError


class SettingsScreen(ModalScreen):
    """Pick a preset, change any setting, and restart; a bad value is named
    under the form and the form stays open."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", tooltip="Close without restarting"),
        Binding("ctrl+r", "apply", "Restart", tooltip="Restart training with these settings"),
    ]

    def __init__(self, config):
        super().__init__()
        self.config = config

    def compose(self) -> ComposeResult:
        with Vertical(id="settings-box", classes="dialog"):
            yield Label("Restart training with these settings", classes="dialog-title")
            # Not a focus stop of its own: Tab goes from field to field.
            with VerticalScroll(id="settings-scroll", can_focus=False), Grid(id="settings-grid"):
                yield Label("preset")
                yield Select(
                    [(name, name) for name in PRESETS],
                    prompt="(choose to fill in)",
                    id="preset",
                    compact=True,
                    tooltip="fills in every setting below from a preset",
                )
                for item in TrainConfig.settings():
                    yield Label(item.label)
                    tooltip = f"{item.help}: {item.range_text()}"
                    if item.kind == "choice":
                        yield Select(
                            [(c, c) for c in item.choices],
                            allow_blank=False,
                            id=item.name,
                            compact=True,
                            tooltip=tooltip,
                        )
                    else:
                        yield Input(id=item.name, compact=True, tooltip=tooltip)
            yield Label("", id="settings-help", classes="dim", markup=False)
            yield Label("", id="settings-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Restart", variant="primary", id="apply", compact=True)
                yield Button("Cancel", id="cancel", compact=True)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self):
        self.fill(self.config)
        self.query_one("#preset", Select).focus()  # the form takes the keys at once

    def fill(self, config):
        """Every field from ``config``: a preset is applied whole."""
        for item in TrainConfig.settings():
            value = getattr(config, item.name)
            if item.kind == "choice":
                self.query_one(f"#{item.name}", Select).value = value
            else:
                self.query_one(f"#{item.name}", Input).value = item.format(value)

    def on_select_changed(self, event):
        if event.select.id == "preset" and event.value in PRESETS:
            self.fill(PRESETS[event.value])

    def on_descendant_focus(self, event):
        """Under the form: what the focused setting means and allows."""
        widget_id = getattr(event.widget, "id", None)
        item = next((s for s in TrainConfig.settings() if s.name == widget_id), None)
        text = f"{item.label}: {item.help} ({item.range_text()})" if item else ""
        if widget_id == "preset":
            text = "preset: fills in every setting below"
        self.query_one("#settings-help", Label).update(Text(text))

    def read_config(self):
        """The form's settings, validated; ConfigError names the bad field."""
        values = {}
        for item in TrainConfig.settings():
            if item.kind == "choice":
                values[item.name] = self.query_one(f"#{item.name}", Select).value
            else:
                values[item.name] = item.parse(self.query_one(f"#{item.name}", Input).value)
        return TrainConfig(**values).validate()

    def on_button_pressed(self, event):
        if event.button.id == "apply":
            self.action_apply()
        else:
            self.dismiss(None)

    def on_input_submitted(self, event):
        self.action_apply()

    def action_apply(self):
        try:
            config = self.read_config()
        except ConfigError as error:
            self.query_one("#settings-error", Label).update(Text(str(error), style="bold red"))
            return
        self.dismiss(config)

    def action_cancel(self):
        self.dismiss(None)
