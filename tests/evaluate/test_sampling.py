"""Sampled predictions: folding samples into the batch, seeding, and normalisation modes."""

import copy

import numpy as np
import pytest
import torch

from nsa import metrics
from nsa.evaluate import PredictionError, batch_statistics, predict


def softmax64(logits):
    return torch.softmax(logits.double(), dim=1).numpy()


def test_each_assignment_matches_single_architecture_passes(tiny, images):
    model, bank = tiny.Net(archs=3).eval(), tiny.Bank(3)
    predictions = predict(model, images, bank, samples=3, batch_size=8, assign="each", keep=True)
    x = images.float() / 255
    for arch in range(3):
        mix, member = bank.take(torch.full((len(x),), arch))
        with torch.no_grad():
            expected = softmax64(model(x, mix, member))
        np.testing.assert_allclose(predictions.sample_probs[arch], expected, atol=1e-6)
        assert (predictions.top[arch] == expected.argmax(axis=1)).all()
    np.testing.assert_allclose(predictions.mean_probs, predictions.sample_probs.mean(axis=0))


def test_moments_give_the_mutual_information_of_the_samples(tiny, images):
    model, bank = tiny.Net(archs=3).eval(), tiny.Bank(3)
    predictions = predict(model, images, bank, samples=5, batch_size=16, keep=True)
    direct = metrics.mutual_information(predictions.sample_probs)
    np.testing.assert_allclose(predictions.mutual_information(), direct, atol=1e-12)
    assert (direct > 0).any()


def test_random_architectures_do_not_depend_on_the_batch_size(tiny, images):
    model, bank = tiny.Net(archs=3).eval(), tiny.Bank(3)
    small = predict(model, images, bank, samples=4, batch_size=3, seed=5)
    large = predict(model, images, bank, samples=4, batch_size=1000, seed=5)
    assert (small.top == large.top).all()
    np.testing.assert_allclose(small.mean_probs, large.mean_probs, atol=1e-6)


def test_random_assignment_is_seeded(tiny, images):
    model, bank = tiny.Net(archs=3).eval(), tiny.Bank(3)
    first = predict(model, images, bank, samples=6, seed=3)
    again = predict(model, images, bank, samples=6, seed=3)
    other = predict(model, images, bank, samples=6, seed=4)
    assert np.array_equal(first.mean_probs, again.mean_probs)
    assert not np.array_equal(first.mean_probs, other.mean_probs)


def test_mc_dropout_passes_differ_and_are_seeded(tiny, images):
    model, bank = tiny.Net(archs=1, dropout=0.5).eval(), tiny.Bank(1)
    predictions = predict(model, images, bank, samples=2, keep=True, seed=0)
    assert not np.allclose(predictions.sample_probs[0], predictions.sample_probs[1])
    again = predict(model, images, bank, samples=2, keep=True, seed=0)
    assert np.array_equal(predictions.sample_probs, again.sample_probs)


def test_caller_random_state_is_untouched(tiny, images):
    model, bank = tiny.Net(archs=1, dropout=0.5).eval(), tiny.Bank(1)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    predict(model, images, bank, samples=2)
    assert torch.equal(torch.rand(3), expected)


def test_evaluation_leaves_running_statistics_alone(tiny, images):
    model, bank = tiny.Net(archs=3, dropout=0.2).eval(), tiny.Bank(3)
    before = copy.deepcopy(model.state_dict())
    predict(model, images, bank, samples=4)
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key


def test_batch_statistics_normalise_by_the_batch_and_restore_exactly(tiny, images):
    model, bank = tiny.Net(archs=3).eval(), tiny.Bank(3)
    before = copy.deepcopy(model.state_dict())
    reference = copy.deepcopy(model).train()  # plain training mode: batch statistics
    x = images.float() / 255
    mix, member = bank.take(torch.zeros(len(x), dtype=torch.long))
    with batch_statistics(model):
        inside = predict(model, images, bank, samples=1, batch_size=len(x), assign=0, keep=True)
    with torch.no_grad():
        expected = softmax64(reference(x, mix, member))
    np.testing.assert_allclose(inside.sample_probs[0], expected, atol=1e-6)
    assert not model.training and not model.norm.training
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key
    # The reference did update its statistics: the restore is what kept the model intact.
    assert not torch.equal(reference.norm.running_mean, before["norm.running_mean"])


def test_batch_statistics_restore_after_an_error(tiny, images):
    model = tiny.Net(archs=3).eval()
    before = copy.deepcopy(model.state_dict())
    with pytest.raises(RuntimeError, match="boom"), batch_statistics(model):
        model(images.float(), *tiny.Bank(3).take(torch.zeros(37, dtype=torch.long)))
        raise RuntimeError("boom")
    assert torch.equal(model.norm.running_mean, before["norm.running_mean"])
    assert not model.norm.training


def test_nan_outputs_are_an_error(tiny, images):
    model, bank = tiny.Net(archs=3).eval(), tiny.Bank(3)
    with torch.no_grad():
        model.head.bias.fill_(float("nan"))
    with pytest.raises(PredictionError, match="NaN"):
        predict(model, images, bank, samples=2)


def test_no_images_is_an_error(tiny):
    with pytest.raises(PredictionError, match="no images"):
        predict(tiny.Net().eval(), torch.zeros(0, 1, 6, 6, dtype=torch.uint8), tiny.Bank(3))


def test_each_needs_one_sample_per_architecture(tiny, images):
    with pytest.raises(ValueError, match="each"):
        predict(tiny.Net().eval(), images, tiny.Bank(3), samples=2, assign="each")
