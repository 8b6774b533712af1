"""Drawing the network's insides as text: diverging images (weights,
saliency), heat strips (activations), the softmax steps. Pure functions of
arrays, returning Rich Text; the Inside view arranges them.

Diverging colours: positive in red, negative in blue, zero neutral grey,
each image scaled by its own largest magnitude. In ASCII, sign and size by
character: '#' strongly and '+' weakly positive, '=' strongly and '-'
weakly negative, ' ' about zero.
"""

import numpy as np
from rich.style import Style
from rich.text import Text

UPPER_HALF = "\u2580"
ASCII_RAMP = " .:-=+*#%@"


def halve(image):
    """A 28x28 image as 14x14, by 2x2 means: small enough for ten tiles."""
    image = np.asarray(image, dtype=np.float64)
    return image.reshape(image.shape[0] // 2, 2, image.shape[1] // 2, 2).mean(axis=(1, 3))


def diverging_image(image, ascii_only=False):
    """An image of signed values, two pixels a cell (upper half blocks)."""
    image = np.asarray(image, dtype=np.float64)
    scale = float(np.abs(image).max()) or 1.0
    shares = image / scale
    if image.shape[0] % 2:
        shares = np.vstack([shares, np.zeros((1, shares.shape[1]))])
    text = Text(no_wrap=True, overflow="crop")
    for row in range(0, shares.shape[0], 2):
        if row:
            text.append("\n")
        top, bottom = shares[row], shares[row + 1]
        if ascii_only:
            text.append("".join(_sign_char((a + b) / 2) for a, b in zip(top, bottom)))
            continue
        for upper, lower in zip(top, bottom):
            text.append(UPPER_HALF, Style(color=_diverging(upper), bgcolor=_diverging(lower)))
    return text


def _sign_char(share):
    if share > 0.5:
        return "#"
    if share > 0.15:
        return "+"
    if share < -0.5:
        return "="
    if share < -0.15:
        return "-"
    return " "


LEVELS = 4  # steps of colour each way: neighbours that share one go out as one segment


def _diverging(share):
    """-1 blue, 0 grey, +1 red, in LEVELS steps each way."""
    share = round(share * LEVELS) / LEVELS
    grey = 60
    if share >= 0:
        return f"rgb({int(grey + (255 - grey) * share)},{int(grey * (1 - share))},{int(grey * (1 - share))})"
    share = -share
    return f"rgb({int(grey * (1 - share))},{int(grey * (1 - share) + 90 * share)},{int(grey + (255 - grey) * share)})"


def heat_strip(values, width, dead=None, ascii_only=False):
    """One line for a layer's activations: units averaged into at most
    ``width`` cells on a brightness ramp; a cell whose units are all dead
    across the validation set shows 'x'."""
    values = np.asarray(values, dtype=np.float64)
    cells = max(1, min(width, len(values)))
    groups = np.array_split(np.arange(len(values)), cells)
    top = float(np.abs(values).max()) or 1.0
    text = Text(no_wrap=True)
    for group in groups:
        if dead is not None and len(group) and np.all(dead[group]):
            text.append("x", style="dim red")
            continue
        share = float(np.abs(values[group]).mean()) / top
        char = ASCII_RAMP[min(int(share * len(ASCII_RAMP)), len(ASCII_RAMP) - 1)]
        text.append(char if ascii_only else char, style="" if ascii_only else "bold yellow" if share > 0.5 else "")
    return text


def softmax_table(steps, predicted):
    """The softmax, one row a step, one column a class: what turns logits
    into probabilities, and why a temperature changes the confidence but
    not the answer."""
    rows = [
        ("logit/T", steps.scaled),
        ("- max", steps.shifted),
        ("exp", steps.exponentials),
        ("p = exp/sum", steps.probabilities),
    ]
    text = Text(no_wrap=True)
    text.append(f"{'class':<12}" + "".join(f"{k:>8}" for k in range(len(steps.scaled))) + "\n", style="dim")
    for name, values in rows:
        text.append(f"{name:<12}", style="dim")
        for k, value in enumerate(values):
            text.append(
                f"{value:>8.3f}" if abs(value) < 1000 else f"{value:>8.0e}", style="bold" if k == predicted else ""
            )
        text.append("\n")
    text.append(f"sum of exp {steps.total:.3f}   temperature {steps.temperature:g}", style="dim")
    return text
