"""Making foreign test images fit the network, and test subsets."""

import torch

from nsa.evaluate import fit_images


def test_matching_images_pass_through():
    images = torch.randint(0, 256, (4, 3, 8, 8), dtype=torch.uint8)
    assert fit_images(images, (3, 8, 8)) is images


def test_grey_small_images_are_resized_and_repeated():
    images = torch.full((2, 1, 8, 8), 77, dtype=torch.uint8)
    images[1] = 200
    fitted = fit_images(images, (3, 28, 28))
    assert fitted.shape == (2, 3, 28, 28) and fitted.dtype == torch.uint8
    # A constant image stays constant under bilinear resizing.
    assert (fitted[0] == 77).all() and (fitted[1] == 200).all()


def test_bilinear_resizing_of_a_ramp():
    ramp = torch.tensor([[0, 100]], dtype=torch.uint8).expand(2, 2).reshape(1, 1, 2, 2)
    fitted = fit_images(ramp, (1, 2, 4))
    # align_corners=False sampling at x = -0.25, 0.25, 0.75, 1.25 (clamped at the edges).
    assert fitted[0, 0, 0].tolist() == [0, 25, 75, 100]


def test_colour_images_are_averaged_to_grey():
    images = torch.zeros(1, 3, 4, 4, dtype=torch.uint8)
    images[0, 0], images[0, 1], images[0, 2] = 30, 60, 91
    fitted = fit_images(images, (1, 4, 4))
    assert fitted.shape == (1, 1, 4, 4) and (fitted == 60).all()  # 181 / 3 = 60.33
