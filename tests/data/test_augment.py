"""Crops, flips and Cutout: checked image by image against their definitions."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from nsa.data import Augmentation, augment, crop_flip, cutout, draw_augmentation

CIFAR10_MEAN = torch.tensor((125.3 / 255, 123.0 / 255, 113.9 / 255))
CIFAR10_STD = torch.tensor((63.0 / 255, 62.1 / 255, 66.7 / 255))


def draws(n: int, size=(32, 32), padding=4, flip=True, seed=0) -> Augmentation:
    """Seeded draws for `n` images."""
    generator = torch.Generator().manual_seed(seed)
    return draw_augmentation(n, size, padding, flip, generator)


def random_images(n: int, channels=3, size=32, seed=0) -> torch.Tensor:
    """Random uint8 images."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, channels, size, size), generator=generator, dtype=torch.uint8)


def test_draws_cover_their_ranges():
    d = draws(5000, size=(32, 28), padding=4)
    assert (d.top.min(), d.top.max(), d.left.min(), d.left.max()) == (0, 8, 0, 8)
    assert (d.centre_y.min(), d.centre_y.max()) == (0, 31)
    assert (d.centre_x.min(), d.centre_x.max()) == (0, 27)


def test_flips_happen_half_of_the_time():
    rate = draws(20000).flip.float().mean().item()
    assert abs(rate - 0.5) < 0.015  # 4 standard deviations of a binomial rate
    assert not draws(1000, flip=False).flip.any()


@pytest.mark.parametrize("channels, size, padding", [(3, 32, 4), (1, 28, 2), (3, 32, 0)])
def test_crop_flip_matches_a_per_image_reference(channels, size, padding):
    images = random_images(200, channels, size)
    d = draws(200, (size, size), padding)
    result = crop_flip(images, d, padding)
    for i in range(len(images)):
        padded = F.pad(images[i], (padding,) * 4)
        top, left = int(d.top[i]), int(d.left[i])
        expected = padded[:, top : top + size, left : left + size]
        expected = expected.flip(-1) if d.flip[i] else expected
        assert torch.equal(result[i], expected)


def test_crops_stay_within_the_padding():
    white = torch.full((500, 1, 28, 28), 255, dtype=torch.uint8)
    d = draws(500, (28, 28), padding=2)
    cropped = crop_flip(white, d, padding=2)
    # an offset of k pixels from centre shows k black rows (or columns), never more
    visible = (28 - (d.top - 2).abs()) * (28 - (d.left - 2).abs())
    assert torch.equal((cropped == 255).sum(dim=(1, 2, 3)), visible)
    assert set(cropped.unique().tolist()) == {0, 255}


def test_cutout_zeroes_exactly_one_clipped_window_after_normalisation():
    images = random_images(1000)
    images[images == 123] = 124  # green's mean is 123.0 / 255: no pixel may equal a mean
    d = draws(1000, padding=4)
    x = augment(images, d, padding=4, cutout_size=16, fill=CIFAR10_MEAN)
    normalised = (x - CIFAR10_MEAN.view(1, 3, 1, 1)) / CIFAR10_STD.view(1, 3, 1, 1)

    # No other pixel (nor the black padding) normalises to 0, so the zeros are the hole.
    zero = normalised == 0
    assert torch.equal(zero, zero[:, :1].expand_as(zero))  # all channels alike
    rows = torch.arange(32)
    for i in range(len(images)):
        cy, cx = int(d.centre_y[i]), int(d.centre_x[i])
        inside_rows = (rows >= cy - 8) & (rows < cy + 8)
        inside_columns = (rows >= cx - 8) & (rows < cx + 8)
        assert torch.equal(zero[i, 0], inside_rows[:, None] & inside_columns[None, :])
    areas = zero[:, 0].sum(dim=(1, 2))
    interior = (d.centre_y >= 8) & (d.centre_y <= 24) & (d.centre_x >= 8) & (d.centre_x <= 24)
    assert (areas[interior] == 256).all()
    assert areas.min() >= 8 * 8  # a centre in a corner keeps at least a quarter of it
    assert (areas[~interior] < 256).all()


def test_cutout_fills_with_the_given_pixel():
    x = torch.zeros(2, 3, 8, 8)
    zero = torch.tensor([0, 0])
    d = Augmentation(
        top=zero,
        left=zero,
        flip=torch.tensor([False, False]),
        centre_y=torch.tensor([0, 7]),
        centre_x=torch.tensor([0, 4]),
    )
    filled = cutout(x, d, size=4, fill=torch.tensor([0.25, 0.5, 0.75]))
    # image 0: rows and columns -2..1, clipped to 0..1
    assert filled[0, :, :2, :2].flatten().tolist() == [0.25] * 4 + [0.5] * 4 + [0.75] * 4
    assert (filled[0, :, 2:, :] == 0).all() and (filled[0, :, :, 2:] == 0).all()
    # image 1: rows 5..8 clipped to 5..7, columns 2..5
    hole = [[row, column] for row in (5, 6, 7) for column in (2, 3, 4, 5)]
    assert filled[1, 1].nonzero().tolist() == hole


def test_augment_without_cutout_only_scales_the_crop():
    images = random_images(16, channels=1, size=28)
    d = draws(16, (28, 28), padding=2)
    x = augment(images, d, padding=2, cutout_size=0, fill=torch.tensor([0.3]))
    assert x.dtype == torch.float32
    assert torch.equal(x, crop_flip(images, d, 2).float() / 255)
