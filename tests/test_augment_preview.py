"""The Digits view's `a`: the digit beside augmented versions of it."""

import numpy as np
from helpers import settle

from core import TrainConfig
from tui.app import DigitApp
from tui.augment_preview import AugmentScreen
from tui.views import BrowserView
from tui.widgets import DigitArt

TINY = TrainConfig(hidden=(16,), epochs=2, batch_size=8, lr=0.01, schedule="constant")


def shown(screen):
    return [art.image for art in screen.query(".augmented").results(DigitArt)]


async def test_a_shows_the_digit_and_new_versions_of_it(tiny_csv):
    app = DigitApp(TINY.with_changes(augment="affine", rotate=30.0), data_path=tiny_csv)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("b", "a")
        screen = app.screen
        assert isinstance(screen, AugmentScreen) and screen.kind == "affine"
        browser = app.query_one(BrowserView)
        original = screen.query_one("#augment-original", DigitArt).image
        assert np.array_equal(original, browser.images[browser.current_row])
        first = shown(screen)
        assert len(first) == 3  # 120 columns: the digit and three versions
        assert all(image.shape == (784,) and not np.array_equal(image, original) for image in first)
        await pilot.press("space")
        assert not np.array_equal(shown(screen)[0], first[0])  # new versions
        await pilot.press("escape")
        assert not isinstance(app.screen, AugmentScreen)


async def test_a_run_without_augmentation_is_shown_elastic_and_told_so(tiny_csv):
    app = DigitApp(TINY, data_path=tiny_csv)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("b", "a")
        screen = app.screen
        assert isinstance(screen, AugmentScreen) and screen.kind == "elastic"
        assert "without augmentation" in str(screen.query_one(".dialog-title").render())
        assert len(shown(screen)) == 1  # 80 columns: the digit and one version
        await pilot.press("a")
        assert not isinstance(app.screen, AugmentScreen)
