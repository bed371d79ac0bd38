"""The supernet's forward pass: mixed batches, per-architecture parameters, the baselines."""

import pytest
import torch
import torch.nn.functional as F  # noqa: N812

from nsa.arch import random_architecture, residual_architecture

torch.set_num_threads(1)


def images(batch: int, channels: int = 1, size: int = 28, seed: int = 0) -> torch.Tensor:
    """Pixel-space images in [0, 1]."""
    return torch.rand(batch, channels, size, size, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("variant", ["nsa", "nsa-i", "nsa-id", "nsa-id-aggr"])
def test_mixed_batch_equals_each_instance_alone(make_model, perturb, variant):
    model = perturb(make_model(variant)).eval()
    bank = model.bank()
    index = torch.tensor([0, 1, 2, 2, 0, 1])
    x = images(len(index))

    with torch.no_grad():
        mixed = model(x, *bank.take(index))
        alone = torch.cat([model(x[i : i + 1], *bank.take(index[i : i + 1])) for i in range(6)])
        same_image = model(x[:1].expand(3, -1, -1, -1), *bank.take(torch.arange(3)))

    torch.testing.assert_close(mixed, alone, rtol=1e-5, atol=1e-5)
    # The architectures really compute different functions of the same image.
    assert (same_image[0] - same_image[1]).abs().max() > 1e-3
    assert (same_image[1] - same_image[2]).abs().max() > 1e-3


def test_per_architecture_parameters_get_gradient_only_from_their_instances(make_model, perturb):
    model = perturb(make_model("nsa-id")).train()
    bank = model.bank()
    x = images(4)
    y = torch.tensor([1, 2, 3, 4])

    # Architectures 0 and 2 only: row 1 of every per-architecture tensor gets no gradient.
    logits, _ = model(x, *bank.take(torch.tensor([0, 2, 2, 0])))
    F.cross_entropy(logits, y).backward()
    per_arch = [model.stem.norm.weight, model.stem.norm.bias, model.stages[1].nodes[2].norm.weight]
    per_arch += [model.transitions[1].norm.bias, *model.aggregation]
    for tensor in per_arch:
        grad = tensor.grad.flatten(1).abs().sum(1)
        assert grad[1] == 0
        assert grad[0] > 0 and grad[2] > 0

    # In evaluation mode instances are independent: one instance's loss reaches only its rows.
    model.eval()
    for index, arch in [(0, 1), (3, 2)]:
        model.zero_grad()
        logits = model(x, *bank.take(torch.tensor([0, 1, 2, arch])))
        F.cross_entropy(logits[index : index + 1], y[index : index + 1]).backward()
        for tensor in per_arch:
            rows = tensor.grad.flatten(1).abs().sum(1).nonzero().flatten().tolist()
            assert rows == [arch if index == 3 else 0]


def test_learnable_aggregation_scales_each_instances_mixing(make_model, perturb):
    model = perturb(make_model("nsa-id-aggr"))
    bank = model.bank()
    mix, member = bank.take(torch.tensor([2, 0]))
    effective = model.effective_mixing(mix, member)
    for b, arch in enumerate([2, 0]):
        for s in range(3):
            expected = bank.mix[arch, s] * torch.sigmoid(model.aggregation[s][arch])
            torch.testing.assert_close(effective[b, s], expected)
    # Rows are not normalised again: the gates shrink them below one.
    assert torch.all(effective.sum(-1) < 1)


def test_bank_rows_sum_to_one_before_the_learnable_weights(make_model):
    bank = make_model("nsa-id").bank()
    assert bank.mix.shape == (3, 3, 4, 4)
    torch.testing.assert_close(bank.mix.sum(-1), torch.ones(3, 3, 4))
    assert bank.member.tolist() == [0, 1, 2]
    assert [arch.name for arch in bank.archs] == ["seed-1", "seed-2", "seed-3"]


def preact_wide_resnet(model, x):
    """An independent pre-activation wide ResNet on the weights of `model`, evaluation mode.

    Each stage runs blocks of two units (ReLU, 3x3 conv, BN). With mean aggregation the stage
    keeps the running mean of its input and every block's output: after block b,
    h = ((b + 1) * h + block(h)) / (b + 2).
    """

    def bn(norm, h):
        return F.batch_norm(
            h, norm.running_mean, norm.running_var, norm.weight, norm.bias, False, 0.0, norm.eps
        )

    def unit(node, h):
        return bn(node.norm, F.conv2d(F.relu(h), node.conv.weight, padding=1))

    h = (x - model.normalize.mean) / model.normalize.std
    h = bn(model.stem.norm, F.conv2d(h, model.stem.conv.weight, padding=1))
    for s, stage in enumerate(model.stages):
        if s > 0:
            transition = model.transitions[s - 1]
            h = F.avg_pool2d(F.conv2d(F.relu(h), transition.conv.weight), 2)
            h = bn(transition.norm, h)
        nodes = list(stage.nodes)
        for b in range(len(nodes) // 2):
            residual = unit(nodes[2 * b + 1], unit(nodes[2 * b], h))
            h = ((b + 1) * h + residual) / (b + 2)
    return model.classifier(F.relu(h).mean((2, 3)))


@pytest.mark.parametrize("variant", ["nsa-i", "wrn"])
def test_residual_architecture_is_a_preactivation_wide_resnet(make_model, perturb, variant):
    model = perturb(make_model(variant, nodes=4, width=2)).eval()
    if model.aggregation is not None:
        # sigmoid(30) rounds to 1 in float32: the learnable gates let the mean through as is.
        with torch.no_grad():
            for weights in model.aggregation:
                weights.fill_(30.0)
    bank = model.bank([residual_architecture(nodes=4)])
    x = images(3)
    with torch.no_grad():
        ours = model(x, *bank.take(torch.zeros(3, dtype=torch.long)))
        reference = preact_wide_resnet(model, x)
    torch.testing.assert_close(ours, reference, rtol=1e-5, atol=1e-5)


def test_mc_dropout_is_stochastic_at_test_time_with_running_statistics(make_model, perturb):
    model = perturb(make_model("wrn-mcdropout")).eval()
    assert model.stochastic and model.spec.dropout == 0.2
    bank = model.bank()
    x = images(4)
    mix, member = bank.take(torch.zeros(4, dtype=torch.long))
    stats = {k: v.clone() for k, v in model.state_dict().items() if "running" in k}

    with torch.no_grad():
        first, second = model(x, mix, member), model(x, mix, member)
        torch.manual_seed(5)
        third = model(x, mix, member)
        torch.manual_seed(5)
        fourth = model(x, mix, member)

    assert (first - second).abs().max() > 1e-3
    torch.testing.assert_close(third, fourth)  # the dropout masks are the only randomness
    for name, value in model.state_dict().items():
        if name in stats:
            torch.testing.assert_close(value, stats[name], msg=name)

    # Without dropout, an instance's output no longer depends on its batch: running statistics.
    for stage in model.stages:
        for node in stage.nodes:
            node.dropout = 0.0
    with torch.no_grad():
        batch = model(x, mix, member)
        alone = model(x[:1], mix[:1], member[:1])
    torch.testing.assert_close(batch[:1], alone, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "variant", ["wrn", "individual-2", "nsa", "nsa-i", "nsa-id", "nsa-id-aggr"]
)
def test_other_variants_are_deterministic_for_a_fixed_architecture(make_model, perturb, variant):
    model = perturb(make_model(variant)).eval()
    assert model.stochastic == (variant.startswith("nsa"))
    mix, member = model.bank().take(torch.zeros(5, dtype=torch.long))
    x = images(5)
    with torch.no_grad():
        assert torch.equal(model(x, mix, member), model(x, mix, member))


@pytest.mark.parametrize(("channels", "size"), [(1, 28), (3, 32), (3, 20)])
def test_auxiliary_head_only_in_training_mode(make_model, channels, size):
    model = make_model("nsa-i", image_size=size, in_channels=channels)
    mix, member = model.bank().take(model.sample(4))
    x = images(4, channels, size)
    logits, aux = model.train()(x, mix, member)
    assert logits.shape == aux.shape == (4, 10)
    assert model.eval()(x, mix, member).shape == (4, 10)


def test_without_aux_weight_there_is_no_auxiliary_head(make_model):
    model = make_model("nsa", aux_weight=0.0).train()
    assert model.aux_head is None
    mix, member = model.bank().take(model.sample(2))
    assert model(images(2), mix, member).shape == (2, 10)


def test_input_is_normalised_inside_the_model(make_model, perturb):
    model = perturb(make_model("nsa-i")).eval()
    plain = make_model("nsa-i")
    weights = {k: v for k, v in model.state_dict().items() if not k.startswith("normalize.")}
    plain.load_state_dict(weights, strict=False)
    plain.normalize.mean.zero_()
    plain.normalize.std.fill_(1.0)
    plain.eval()
    mix, member = model.bank().take(torch.tensor([0, 1]))
    x = images(2)
    with torch.no_grad():
        torch.testing.assert_close(model(x, mix, member), plain((x - 0.3) / 0.4, mix, member))


def test_sampling_follows_the_variant(make_model):
    generator = torch.Generator().manual_seed(0)
    assert make_model("wrn").sample(6, generator).tolist() == [0] * 6
    batch = make_model("nsa").sample(50, generator)
    assert len(set(batch.tolist())) == 1
    nsa_i = make_model("nsa-i")
    instance = nsa_i.sample(300, generator)
    assert set(instance.tolist()) == {0, 1, 2}
    again = nsa_i.sample(300, torch.Generator().manual_seed(0))
    assert torch.equal(nsa_i.sample(300, torch.Generator().manual_seed(0)), again)
    bank = nsa_i.bank([random_architecture(s, nodes=3) for s in range(100, 110)])
    assert set(nsa_i.sample(500, generator, bank).tolist()) == set(range(10))


def test_shared_variants_run_unseen_architectures(make_model):
    model = make_model("nsa-i").eval()
    unseen = [random_architecture(seed, nodes=3) for seed in (50500, 50501)]
    bank = model.bank(unseen)
    assert bank.member.tolist() == [0, 0]
    assert model(images(2), *bank.take(torch.tensor([0, 1]))).shape == (2, 10)


@pytest.mark.parametrize("variant", ["wrn", "individual-2", "nsa-id", "nsa-id-aggr"])
def test_variants_with_per_architecture_parameters_reject_unknown_architectures(
    make_model, variant
):
    model = make_model(variant)
    with pytest.raises(ValueError, match="architecture 'seed-50500' is not one of this"):
        model.bank([random_architecture(50500, nodes=3)])
    own = model.train_archs[-1]
    assert model.bank([own]).member.tolist() == [len(model.train_archs) - 1]


def test_bad_forward_inputs(make_model):
    model = make_model("nsa-id").eval()
    mix, member = model.bank().take(torch.tensor([0, 1]))
    x = images(2)
    with pytest.raises(ValueError, match="architecture 'seed-1' has 8 nodes per stage"):
        model.bank([random_architecture(1)])
    with pytest.raises(ValueError, match=r"x must be \(B, 1, H, W\)"):
        model(images(2, channels=3), mix, member)
    with pytest.raises(ValueError, match=r"mix must be \(B, 3, 4, 4\) with B=2"):
        model(x, mix[:, :2], member)
    with pytest.raises(ValueError, match="member is required"):
        model(x, mix)
    empty = mix.clone()
    empty[:, 1, 2] = 0
    with pytest.raises(ValueError, match="mix stage 1 row 2 must have a non-zero weight"):
        model(x, empty, member)
    upper = mix.clone()
    upper[0, 0, 0, 3] = 0.5
    with pytest.raises(ValueError, match="only in columns 0..0"):
        model(x, upper, member)
    with pytest.raises(ValueError, match="archs must hold at least one"):
        model.bank([])
