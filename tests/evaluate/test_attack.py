"""PGD against the stochastic network: names, bounds, the weighted gradient, seeding."""

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: N812

from nsa.evaluate import Attack, attack_gradient, perturb, predict, project


def test_attack_names_are_in_units_of_one_255th():
    attack = Attack.parse("PGD2-3-1")
    assert (attack.epsilon, attack.steps, attack.step_size) == (2, 3, 1)
    assert attack.radius == pytest.approx(2 / 255) and attack.step == pytest.approx(1 / 255)
    assert attack.name == "PGD2-3-1"


@pytest.mark.parametrize("name", ["PGD2-3", "pgd2-3-1", "PGD2.5-3-1", "FGSM1-1-1", "PGD-1-2-1"])
def test_malformed_attack_names_are_errors(name):
    with pytest.raises(ValueError, match="PGD"):
        Attack.parse(name)


def test_gradient_is_the_probability_weighted_mean_of_per_sample_gradients(tiny, images, labels):
    model, bank = tiny.Net(archs=3).double().eval(), tiny.Bank(3)
    bank.mix = bank.mix.double()
    x = images[:5].double() / 255
    y = labels[:5]
    members = torch.tensor([0, 1, 2, 1, 0, 2, 2, 0, 1, 0])  # two samples of five images
    got = attack_gradient(model, x, y, bank, members)

    # Directly: for each sample s, the gradient of its cross-entropy and its p(true class).
    gradients, probs = [], []
    for s in range(2):
        xs = x.clone().requires_grad_(True)
        mix, member = bank.take(members[s * 5 : (s + 1) * 5])
        logits = model(xs, mix, member)
        loss = F.cross_entropy(logits, y, reduction="sum")  # images are independent
        gradients.append(torch.autograd.grad(loss, xs)[0])
        probs.append(torch.softmax(logits, 1).gather(1, y[:, None]).detach().view(-1, 1, 1, 1))
    weights = torch.stack(probs) / torch.stack(probs).sum(0)
    expected = (weights * torch.stack(gradients)).sum(0)
    torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-12)
    # Not merely the plain mean of the gradients.
    assert not torch.allclose(got, torch.stack(gradients).mean(0))


@pytest.mark.parametrize("name", ["PGD1-2-1", "PGD8-4-3", "PGD3-1-5"])
def test_adversarial_images_stay_in_the_ball_and_in_range(tiny, images, labels, name):
    model, bank = tiny.Net(archs=3, dropout=0.2).eval(), tiny.Bank(3)
    attack = Attack.parse(name)
    adversarial = perturb(model, images, labels, bank, attack, samples=3, batch_size=16)
    clean = images.float() / 255
    assert adversarial.shape == clean.shape and adversarial.dtype == torch.float32
    assert (adversarial - clean).abs().max() <= attack.radius + 1e-6
    assert adversarial.min() >= 0.0 and adversarial.max() <= 1.0
    assert (adversarial - clean).abs().max() > 0.5 / 255  # it did move


def test_the_attack_lowers_accuracy(tiny, images, labels):
    model, bank = tiny.Net(archs=3).eval(), tiny.Bank(3)
    # Labels the network gets right, so there is something to attack.
    labels = torch.from_numpy(predict(model, images, bank, samples=1, assign=0).top[0])
    adversarial = perturb(model, images, labels, bank, Attack.parse("PGD16-5-4"), samples=1)
    attacked = predict(model, adversarial, bank, samples=1, assign=0).top[0]
    assert (attacked == labels.numpy()).mean() < 1.0


def test_zero_radius_reproduces_clean_accuracy_exactly(tiny, images, labels):
    model, bank = tiny.Net(archs=3, dropout=0.2).eval(), tiny.Bank(3)
    adversarial = perturb(model, images, labels, bank, Attack.parse("PGD0-3-1"), samples=2)
    assert torch.equal(adversarial, images.float() / 255)
    clean = predict(model, images, bank, samples=4, seed=7)
    attacked = predict(model, adversarial, bank, samples=4, seed=7)
    assert np.array_equal(clean.mean_probs, attacked.mean_probs)


def test_attack_is_seeded_and_does_not_depend_on_the_batch_size(tiny, images, labels):
    model, bank = tiny.Net(archs=3).eval(), tiny.Bank(3)
    attack = Attack.parse("PGD4-3-1")
    first = perturb(model, images, labels, bank, attack, samples=2, batch_size=4, seed=1)
    again = perturb(model, images, labels, bank, attack, samples=2, batch_size=64, seed=1)
    other = perturb(model, images, labels, bank, attack, samples=2, batch_size=4, seed=2)
    torch.testing.assert_close(first, again)
    assert not torch.equal(first, other)


def test_attack_leaves_the_network_alone(tiny, images, labels):
    model, bank = tiny.Net(archs=3).eval(), tiny.Bank(3)
    before = copy.deepcopy(model.state_dict())
    perturb(model, images, labels, bank, Attack.parse("PGD2-2-1"), samples=2)
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())
    assert all(p.grad is None for p in model.parameters())


def test_project():
    x = torch.tensor([0.0, 0.5, 1.0])
    moved = torch.tensor([-0.3, 0.9, 0.99])
    torch.testing.assert_close(project(moved, x, 0.1), torch.tensor([0.0, 0.6, 0.99]))
