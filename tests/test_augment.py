"""Augmentation: each transform against a hand-computed or scalar reference."""

import math

import numpy as np
import pytest

from core.config import TrainConfig
from data.augment import (
    BANK_REFRESH,
    Augmenter,
    Strengths,
    affine_coordinates,
    augmenter_for,
    elastic_displacements,
    gaussian_matrix,
    random_affines,
    shift_images,
)
from data.warp import bilinear

SIDE = 28


def dot(row, col, value=1.0):
    image = np.zeros((1, SIDE, SIDE), dtype=np.float32)
    image[0, row, col] = value
    return image


def forward_map(matrix=((1.0, 0.0), (0.0, 1.0)), shift=(0.0, 0.0)):
    """One (1, 2, 3) forward map [A | t]."""
    return np.concatenate([np.array(matrix, float), np.array(shift, float)[:, None]], axis=1)[None]


def warp(images, maps):
    rows, cols = affine_coordinates(maps)
    return bilinear(images, rows, cols)


def scalar_bilinear(image, r, c):
    """Bilinear interpolation of one point, the slow and obvious way."""
    r0, c0 = math.floor(r), math.floor(c)
    total = 0.0
    for dr, weight_r in ((0, 1 - (r - r0)), (1, r - r0)):
        for dc, weight_c in ((0, 1 - (c - c0)), (1, c - c0)):
            rr, cc = r0 + dr, c0 + dc
            inside = 0 <= rr < SIDE and 0 <= cc < SIDE
            total += weight_r * weight_c * (image[rr, cc] if inside else 0.0)
    return total


# ---- shift ------------------------------------------------------------------


def test_a_shifted_dot_moves_by_its_offset():
    moved = shift_images(dot(5, 20), np.array([[2, -3]]))
    assert np.argwhere(moved[0]).tolist() == [[7, 17]]


def test_each_image_of_a_batch_moves_by_its_own_offset():
    images = np.concatenate([dot(10, 10), dot(10, 10)])
    moved = shift_images(images, np.array([[1, 0], [0, -2]]))
    assert np.argwhere(moved[0]).tolist() == [[11, 10]]
    assert np.argwhere(moved[1]).tolist() == [[10, 8]]


def test_ink_shifted_off_an_edge_is_gone_not_wrapped():
    image = np.zeros((1, SIDE, SIDE), dtype=np.float32)
    image[0, :, 27] = 1.0  # the right-most column
    moved = shift_images(image, np.array([[0, 2]]))
    assert moved.sum() == 0.0  # np.roll would have put it in column 1


def test_a_zero_shift_gives_the_image_back():
    image = np.random.default_rng(0).random((3, SIDE, SIDE), dtype=np.float32)
    assert np.array_equal(shift_images(image, np.zeros((3, 2), int)), image)


# ---- affine -----------------------------------------------------------------


def test_the_identity_map_gives_the_image_back():
    image = np.random.default_rng(1).random((1, SIDE, SIDE), dtype=np.float32)
    assert np.allclose(warp(image, forward_map()), image, atol=1e-5)


def test_rotation_by_zero_and_scale_one_from_the_random_maps_give_the_image_back():
    image = np.random.default_rng(2).random((4, SIDE, SIDE), dtype=np.float32)
    strengths = Strengths.of(TrainConfig(shift=0.0, rotate=0.0, scale=0.0, shear=0.0))
    maps = random_affines(4, strengths, np.random.default_rng(3))
    assert np.allclose(warp(image, maps), image, atol=1e-5)


def test_a_half_pixel_translation_splits_a_dot_between_two_rows():
    moved = warp(dot(5, 20), forward_map(shift=(1.5, 0.0)))[0]
    assert np.argwhere(moved > 1e-6).tolist() == [[6, 20], [7, 20]]
    assert moved[6, 20] == pytest.approx(0.5) and moved[7, 20] == pytest.approx(0.5)


def test_a_quarter_turn_moves_a_dot_where_the_rotation_says():
    # Forward map p' = R (p - centre) + centre, R = [[0, -1], [1, 0]] in (row, col):
    # (3, 20) - 13.5 = (-10.5, 6.5) -> (-6.5, -10.5) -> (7, 3).
    moved = warp(dot(3, 20), forward_map(matrix=((0.0, -1.0), (1.0, 0.0))))[0]
    assert np.argwhere(moved > 1e-5).tolist() == [[7, 3]]
    assert moved[7, 3] == pytest.approx(1.0, abs=1e-5)


def test_scaling_moves_a_dot_away_from_the_centre():
    # The dot at (9, 13) is (-4.5, -0.5) from the centre (13.5, 13.5); doubled,
    # (-9, -1): around (4.5, 12.5). Doubling also spreads it over the pixels
    # around that point, symmetrically, so its ink is centred there.
    moved = warp(dot(9, 13), forward_map(matrix=((2.0, 0.0), (0.0, 2.0))))[0]
    ink = np.argwhere(moved > 1e-6)
    assert ink.mean(axis=0) == pytest.approx([4.5, 12.5], abs=0.01)


def test_random_affine_warps_match_a_scalar_reference():
    rng = np.random.default_rng(4)
    images = rng.random((3, SIDE, SIDE), dtype=np.float32)
    maps = random_affines(3, Strengths.of(TrainConfig(shift=2, rotate=30, scale=0.2, shear=15)), rng)
    warped = warp(images, maps)
    for n in range(3):
        inverse = np.linalg.inv(maps[n, :, :2])
        for row, col in ((0, 0), (5, 7), (13, 14), (20, 3), (27, 27), (14, 26)):
            q = np.array([row, col], float) - 13.5 - maps[n, :, 2]
            r, c = inverse @ q + 13.5
            assert warped[n, row, col] == pytest.approx(scalar_bilinear(images[n], r, c), abs=1e-5)


def test_ink_moved_off_an_edge_by_an_affine_map_is_gone_not_wrapped():
    image = np.zeros((1, SIDE, SIDE), dtype=np.float32)
    image[0, :, 0] = 1.0  # the left-most column
    moved = warp(image, forward_map(shift=(0.0, -2.0)))
    assert moved.sum() == 0.0
    image = np.zeros((1, SIDE, SIDE), dtype=np.float32)
    image[0, 27, :] = 1.0  # the bottom row; far outside coordinates are clipped, never wrapped
    moved = warp(image, forward_map(shift=(40.0, 0.0)))
    assert moved.sum() == 0.0


def test_neighbouring_images_never_leak_into_each_other():
    images = np.zeros((2, SIDE, SIDE), dtype=np.float32)
    images[1, 0, :] = 1.0  # the second image's top row sits just after the first's bottom row in memory
    maps = np.concatenate([forward_map(shift=(-1.0, 0.0)), forward_map()])
    assert warp(images, maps)[0].sum() == 0.0


# ---- elastic ----------------------------------------------------------------


def test_the_gaussian_matrix_smooths_a_constant_to_itself_away_from_the_edges():
    smoother = gaussian_matrix(SIDE, 3.0)
    smoothed = smoother @ np.ones(SIDE, np.float32)
    assert smoothed[10:18] == pytest.approx(np.ones(8), abs=1e-3)
    assert smoothed[0] < 0.7  # beyond the border counts as zero


def test_elastic_displacements_are_about_alpha_pixels_and_smooth():
    smoother = gaussian_matrix(SIDE, 4.0)
    rows, cols = elastic_displacements(400, 1.5, smoother, np.random.default_rng(5))
    centre = np.concatenate([rows[:, 8:20, 8:20], cols[:, 8:20, 8:20]])
    assert centre.std() == pytest.approx(1.5, rel=0.2)
    # Smooth: neighbours move together (a field of raw noise would not).
    assert np.abs(np.diff(rows, axis=2)).mean() < 0.2 * np.abs(rows).mean()


def test_elastic_with_zero_alpha_is_the_affine_transform():
    images = np.random.default_rng(6).random((5, 784), dtype=np.float32)
    elastic = Augmenter("elastic", Strengths.of(TrainConfig(elastic_alpha=0.0)))(images, np.random.default_rng(7))
    affine = Augmenter("affine")(images, np.random.default_rng(7))
    assert np.allclose(elastic, affine, atol=1e-6)


# ---- the augmenter ----------------------------------------------------------


@pytest.mark.parametrize("kind", ["none", "shift", "affine", "elastic"])
def test_every_kind_keeps_shape_type_and_range(kind):
    images = np.random.default_rng(8).random((6, 784)).astype(np.float32)
    out = Augmenter(kind)(images, np.random.default_rng(9))
    assert out.shape == images.shape and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0 + 1e-6
    assert out is not images


@pytest.mark.parametrize("kind", ["shift", "affine", "elastic"])
def test_the_same_seed_gives_the_same_batches_and_another_seed_others(kind):
    """Each run has its own augmenter (it keeps the elastic bank and work
    arrays): a run with the same seed sees the same batches, in order."""
    images = np.random.default_rng(10).random((6, 784)).astype(np.float32)

    def batches(seed, count=BANK_REFRESH + 2):
        augmenter, rng = Augmenter(kind), np.random.default_rng(seed)
        return [augmenter(images, rng) for _ in range(count)]

    first = batches(11)
    assert all(np.array_equal(a, b) for a, b in zip(first, batches(11), strict=True))
    assert not np.array_equal(first[0], batches(12)[0])
    assert not np.array_equal(first[0], images) and not np.array_equal(first[0], first[1])


def test_the_elastic_bank_is_redrawn():
    augmenter, rng = Augmenter("elastic"), np.random.default_rng(13)
    images = np.random.default_rng(14).random((4, 784)).astype(np.float32)
    augmenter(images, rng)
    bank = augmenter._bank.copy()
    for _ in range(BANK_REFRESH - 1):
        augmenter(images, rng)
    assert np.array_equal(augmenter._bank, bank)  # kept for BANK_REFRESH batches
    augmenter(images, rng)
    assert not np.array_equal(augmenter._bank, bank)  # then redrawn


def test_a_shift_in_the_augmenter_moves_whole_pixels_only():
    image = np.zeros((1, 784), dtype=np.float32)
    image[0, 14 * 28 + 14] = 0.7
    for seed in range(10):
        moved = Augmenter("shift")(image, np.random.default_rng(seed)).reshape(28, 28)
        (row, col), value = np.argwhere(moved)[0], moved[moved > 0]
        assert len(value) == 1 and value[0] == np.float32(0.7)
        assert abs(row - 14) <= 2 and abs(col - 14) <= 2


def test_the_config_builds_the_augmenter_with_its_strengths():
    assert augmenter_for(TrainConfig()) is None
    augmenter = augmenter_for(TrainConfig(augment="elastic", rotate=5.0, elastic_sigma=2.0))
    assert augmenter is not None and augmenter.kind == "elastic"
    assert augmenter.strengths.rotate == 5.0 and augmenter.strengths.elastic_sigma == 2.0


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown augmentation"):
        Augmenter("flip")


def test_a_shift_of_part_of_a_pixel_is_refused_for_whole_pixel_shifts():
    from core.errors import ConfigError

    with pytest.raises(ConfigError, match="0.9 is not a whole number of pixels"):
        TrainConfig(augment="shift", shift=0.9).validate()
    TrainConfig(augment="affine", shift=0.9).validate()  # affine moves by any amount
    TrainConfig(augment="shift", shift=3.0).validate()


def test_a_batch_larger_than_a_chunk_is_warped_in_order():
    from data.augment import CHUNK

    images = np.random.default_rng(15).random((2 * CHUNK + 5, 784)).astype(np.float32)
    still = Strengths.of(TrainConfig(shift=0.0, rotate=0.0, scale=0.0, shear=0.0))
    assert np.allclose(Augmenter("affine", still)(images, np.random.default_rng(16)), images, atol=1e-5)


def test_a_short_last_batch_reuses_the_arrays_without_changing_the_result():
    images = np.random.default_rng(17).random((8, 784)).astype(np.float32)
    kept, rng = Augmenter("affine"), np.random.default_rng(18)
    kept(images, rng)
    short = kept(images[:3], rng)
    fresh_rng = np.random.default_rng(18)
    Augmenter("affine")(images, fresh_rng)
    assert np.array_equal(short, Augmenter("affine")(images[:3], fresh_rng))
