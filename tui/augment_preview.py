"""What the network trains on: a digit beside a few augmented versions of it.

The Digits view's ``a`` opens this over the digit on screen. The versions
come from ``data.augment`` with the run's own settings (its kind and
strengths); a run without augmentation is shown what ``--augment elastic``
would give it, and told so. ``space`` draws new versions.
"""

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Static

from core.config import TrainConfig
from data.augment import Augmenter, Strengths

from .dialogs import Dialog
from .widgets import DigitArt

SHOWN_KIND = "elastic"  # what a run without augmentation is shown
ART_WIDTH = 30  # a digit's 28 cells and a gap


class AugmentScreen(Dialog):
    """The digit and as many augmented versions as fit the window's width."""

    BINDINGS = [
        Binding("escape,a", "close", "Close", tooltip="Back to the digits"),
        Binding("space", "redraw", "New versions", tooltip="Draw new augmented versions"),
    ]

    def __init__(self, image: np.ndarray, config: TrainConfig, ascii_only: bool = False, seed: int = 0) -> None:
        super().__init__()
        self.image, self.config, self.ascii_only = image, config, ascii_only
        self.kind = config.augment if config.augment != "none" else SHOWN_KIND
        self.augmenter = Augmenter(self.kind, Strengths.of(config))
        self.rng = np.random.default_rng([config.seed, seed])  # the same digit gives the same first versions

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="augment-box"):
            yield Static(Text(self._title()), classes="dialog-title")
            with Horizontal(id="augment-row"):
                yield DigitArt(self.ascii_only, id="augment-original")
                for number in range(self._versions()):
                    yield DigitArt(self.ascii_only, classes="augmented", id=f"augmented-{number}")
            yield Static(Text(self._caption()), classes="dim")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self):
        self.query_one("#augment-original", DigitArt).image = self.image
        self.action_redraw()

    def _versions(self) -> int:
        """Augmented versions beside the original: as many as fit, 1 to 4."""
        return min(max(self.app.size.width // ART_WIDTH - 1, 1), 4)

    def _title(self) -> str:
        if self.config.augment == "none":
            return f"This run trains without augmentation. With --augment {SHOWN_KIND}, the digit would become:"
        return f"What the network trains on (--augment {self.kind}): the digit, then new versions of it"

    def _caption(self) -> str:
        s = self.augmenter.strengths
        parts = [f"shift {s.shift:g} px"]
        if self.kind in ("affine", "elastic"):
            parts += [f"rotate {s.rotate:g} deg", f"scale {s.scale:g}", f"shear {s.shear:g} deg"]
        if self.kind == "elastic":
            parts.append(f"elastic alpha {s.elastic_alpha:g} px, sigma {s.elastic_sigma:g} px")
        return "Largest changes: " + ", ".join(parts) + ". Each epoch draws new ones."

    def action_redraw(self):
        arts = list(self.query(".augmented").results(DigitArt))
        pixels = np.repeat(self.image.reshape(1, -1).astype(np.float32) / 255.0, len(arts), axis=0)
        versions = self.augmenter(pixels, self.rng)
        for art, version in zip(arts, versions, strict=True):
            art.image = np.clip(np.rint(version * 255.0), 0, 255).astype(np.uint8)

    def action_close(self) -> None:
        self.dismiss(None)
