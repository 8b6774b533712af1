"""The Inside view: what each neuron looks for, how the current digit flows
through the layers, and why the answer came out. Everything it shows is a
pure function in ``core.inspect`` of the latest weight snapshot; it is
recomputed only when the digit, the snapshot, the page or the temperature
changes, so it never slows training."""

import numpy as np
from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Static

from core import inference, inspect
from data import normalise

from ..inside_render import diverging_image, halve, heat_strip, softmax_table
from ..widgets import CompactStatic, DigitArt
from .base import View

TILES_PER_PAGE = 10
DEAD_SAMPLE = 2000  # validation digits over which a unit must never fire to be called dead
# While training, new weights arrive several times a second; the view's
# images are one colour code per cell, so they are redrawn at most this
# often (a key the user presses redraws at once): the SSH budget of 15 KiB/s.
REDRAW_EVERY = 6.0
TEMPERATURES = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)


class InsideView(View, can_focus=True):
    """Input, first-layer tiles, activations, the answer's reasons, softmax, health."""

    BINDINGS = [
        Binding("right,l", "step(1)", "Next", tooltip="Next digit (as in the browser)"),
        Binding("left,h", "step(-1)", "Prev", tooltip="Previous digit (as in the browser)"),
        Binding("m", "next_wrong", "Wrong", tooltip="Next misclassified digit"),
        Binding("right_square_bracket", "page(1)", "Tiles", tooltip="Next or previous page of tiles"),
        Binding("left_square_bracket", "page(-1)", "Tiles", show=False, tooltip="Next or previous page of tiles"),
        Binding("a", "order", "Order", tooltip="Tiles by activation or by number"),
        Binding("plus,equals_sign", "temperature(1)", "Temp", show=False, tooltip="Softmax temperature up or down"),
        Binding("minus", "temperature(-1)", "Temp", show=False, tooltip="Softmax temperature up or down"),
        Binding("pagedown", "scroll(1)", "Scroll", show=False, tooltip="Scroll the panels down or up"),
        Binding("pageup", "scroll(-1)", "Scroll", show=False, tooltip="Scroll the panels down or up"),
    ]

    class Step(Message):
        """Move the browser's digit (the app does it, so both views agree)."""

        def __init__(self, delta, wrong=False):
            super().__init__()
            self.delta, self.wrong = delta, wrong

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="inside-scroll", can_focus=False):
            yield CompactStatic("", id="inside-title")
            with Horizontal(id="inside-top"):
                yield DigitArt(self.options.ascii_only, id="inside-input")
                yield CompactStatic("", id="inside-saliency")
                yield CompactStatic("", id="inside-why")
            yield CompactStatic("", id="inside-tiles")
            yield CompactStatic("", id="inside-layers")
            yield CompactStatic("", id="inside-softmax")
            yield CompactStatic("", id="inside-health")

    def on_mount(self):
        self._run, self._page, self._by_activation, self._temperature = None, 0, True, 2
        self._dead, self._dead_for = None, None
        self._drawn = None  # (snapshot, digit key, page, order, temperature) last drawn
        self._stale = False
        self.set_interval(REDRAW_EVERY, self._catch_up)

    def _catch_up(self):
        if self._stale:
            self._stale = False
            self.refresh_inside()

    def focus_target(self):
        return self

    def show_run(self, run, changed):
        self._run = run
        if changed & {"predictions", "data"}:
            self._dead = None  # new weights or digits: the dead units are counted again
        if "predictions" in changed and run.phase.running:
            self._stale = True  # drawn by the timer, at most every REDRAW_EVERY seconds
        elif changed & {"predictions", "data", "phase", "digit"}:
            self.refresh_inside()

    def on_show(self):
        self.refresh_inside()

    # ---- keys ----------------------------------------------------------------

    def action_step(self, delta):
        self.post_message(self.Step(delta))

    def action_next_wrong(self):
        self.post_message(self.Step(1, wrong=True))

    def action_scroll(self, direction):
        scroll = self.query_one("#inside-scroll", VerticalScroll)
        scroll.scroll_page_down() if direction > 0 else scroll.scroll_page_up()

    def action_page(self, step):
        self._page += step
        self.refresh_inside()

    def action_order(self):
        self._by_activation = not self._by_activation
        self.refresh_inside()

    def action_temperature(self, step):
        self._temperature = min(max(self._temperature + step, 0), len(TEMPERATURES) - 1)
        self.refresh_inside()

    # ---- drawing ---------------------------------------------------------------

    def current_digit(self):
        """(uint8 784 pixels, where it comes from) or None."""
        run = self._run
        if run is None:
            return None
        if run.inside_source == "draw" and run.drawn_digit is not None:
            return run.drawn_digit.reshape(784), "the drawing pad"
        if run.val_images is not None and run.browser_row is not None:
            label = int(run.val_labels[run.browser_row])
            return run.val_images[run.browser_row], f"validation row {run.browser_row} (true {label})"
        return None

    def refresh_inside(self):
        if not self.is_on_screen or self._run is None:
            return
        run, digit = self._run, self.current_digit()
        key = (  # the pixels too: a new drawing is a new digit even from the same source
            None if digit is None else hash(np.asarray(digit[0]).tobytes()),
            id(run.snapshot),
            None if digit is None else digit[1],
            self._page,
            self._by_activation,
            self._temperature,
        )
        if key == self._drawn:
            return  # nothing changed: nothing to recompute or send
        self._drawn = key
        if run.snapshot is None or digit is None:
            message = (
                "No model yet." if run.snapshot is None else "Pick a digit in the Digits view (b) or draw one (d)."
            )
            self.query_one("#inside-title", Static).update(Text(message, style="dim"))
            return
        self._draw(run, *digit)

    def _draw(self, run, pixels, where):
        snapshot = run.snapshot
        x = normalise(np.asarray(pixels).reshape(1, 784), run.pixel_scale)[0]
        layers = inference.trace(snapshot, x.reshape(1, 784).astype(snapshot.dtype))
        logits = layers[-1].post[0].astype(np.float64)
        predicted = int(np.argmax(logits))
        self.query_one("#inside-title", Static).update(
            Text.assemble(
                ("Inside ", "bold"),
                snapshot.architecture.describe(),
                f" for {where}: predicted ",
                (run.class_label(predicted), "bold"),
                "   keys: [ ] pages, a order, + - temperature, arrows and m digits",
            )
        )
        self.query_one("#inside-input", DigitArt).image = np.asarray(pixels, dtype=np.uint8).reshape(28, 28)
        grad = inspect.saliency(snapshot, x, predicted).reshape(28, 28)
        self.query_one("#inside-saliency", Static).update(
            Group(Text("saliency: d logit / d pixel", style="dim"), diverging_image(grad, self.options.ascii_only)),
            layout=False,
        )
        self.query_one("#inside-why", Static).update(self._why(snapshot, x, layers), layout=False)
        self.query_one("#inside-tiles", Static).update(self._tiles(snapshot, layers), layout=False)
        self.query_one("#inside-layers", Static).update(self._layers(run, layers))
        steps = inspect.softmax_steps(logits, TEMPERATURES[self._temperature])
        self.query_one("#inside-softmax", Static).update(
            Group(
                Text("softmax, step by step (+ - change the temperature: the answer stays)", style="bold"),
                softmax_table(steps, predicted),
            ),
            layout=False,
        )
        self.query_one("#inside-health", Static).update(self._health(run))

    def _why(self, snapshot, x, layers):
        predicted, parts = inspect.contributions(snapshot, x)
        unit = "unit" if snapshot.architecture.hidden else "pixel"
        text = Text.assemble((f"why {predicted}: ", "bold"), f"activation x weight into logit {predicted}\n")
        text.append("pushed up:   ", style="green")
        text.append("  ".join(f"{unit} {i} {parts[i]:+.2f}" for i in inspect.top_pushes(parts, 3)) + "\n")
        text.append("held down:   ", style="red")
        text.append("  ".join(f"{unit} {i} {parts[i]:+.2f}" for i in inspect.top_holds(parts, 3)))
        return text

    def _tiles(self, snapshot, layers):
        tiles = inspect.first_layer_tiles(snapshot)
        activation = layers[0].post[0]
        order = np.argsort(-activation, kind="stable") if self._by_activation else np.arange(len(tiles))
        pages = max(1, -(-len(tiles) // TILES_PER_PAGE))
        self._page %= pages
        chosen = order[self._page * TILES_PER_PAGE : (self._page + 1) * TILES_PER_PAGE]
        heading = Text.assemble(
            ("first-layer weights", "bold"),
            f"  (red +, blue -; each tile on its own scale)  "
            f"page {self._page + 1}/{pages}, by {'activation' if self._by_activation else 'number'}",
        )
        rows = [heading]
        for start in range(0, len(chosen), 5):
            group = chosen[start : start + 5]
            labels = Text("".join(f"#{i} a={activation[i]:.2f}"[:14].ljust(15) for i in group), style="dim")
            images = [diverging_image(halve(tiles[i]), self.options.ascii_only).split("\n") for i in group]
            lines = [Text(" ").join(parts) for parts in zip(*images)]
            rows += [labels, *lines]
        return Group(*rows)

    def _layers(self, run, layers):
        if self._dead is None and run.val_images is not None:
            # At most DEAD_SAMPLE digits: on the UI thread, a large set would stall it.
            x_val = normalise(run.val_images[:DEAD_SAMPLE], run.pixel_scale)
            self._dead = inspect.dead_units(run.snapshot, x_val)
        rows = [Text("activations, layer by layer (x: dead on every validation digit)", style="bold")]
        for index, layer in enumerate(layers[:-1]):
            values, dead = layer.post[0], None if self._dead is None else self._dead[index]
            active = int(np.count_nonzero(values > 0))
            dead_count = 0 if dead is None else int(dead.sum())
            rows.append(
                Text.assemble(
                    f"hidden {index + 1}: {active}/{len(values)} active, {dead_count} dead  ",
                    heat_strip(values, 40, dead, self.options.ascii_only),
                )
            )
        if len(layers) == 1:
            rows.append(Text("no hidden layer: the pixels go straight to the ten outputs", style="dim"))
        return Group(*rows)

    def _health(self, run):
        if run.previous_snapshot is None:
            return Text("training health appears after two epochs of a run", style="dim")
        text = Text(
            "training health: each layer's weight size, and how much it moved between the two latest\n"
            "snapshots relative to that size (a ratio that stays large or grows means too high a rate)\n",
            style="bold",
        )
        for health in inspect.layer_health(run.previous_snapshot, run.snapshot):
            text.append(
                f"layer {health.layer}: |W| {health.weight_norm:.2f}  update/weight {health.update_ratio:.1e}\n"
            )
        return text
