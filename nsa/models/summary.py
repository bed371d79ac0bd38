"""Size and cost of a supernet: trainable parameters, multiply-accumulates, layer shapes.

MACs count the convolutions and linear layers of one evaluation-mode forward pass of one image
through the first training architecture; the auxiliary head (training only), normalisation,
pooling and the weighted sums of the DAG are not counted. Convolution and linear costs do not
depend on the architecture, since every node runs whatever its inputs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from nsa.models.supernet import SuperNet


@dataclass(frozen=True)
class LayerRow:
    """One block of the network: its name, output shape per image and trainable parameters."""

    name: str
    shape: tuple[int, ...]
    params: int


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters, the auxiliary head included."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def count_macs(
    model: SuperNet, image_size: int | None = None, in_channels: int | None = None
) -> int:
    """Forward multiply-accumulates per image (convs and linears, auxiliary head excluded)."""
    macs = []

    def record(layer: nn.Module, inputs: tuple[Tensor, ...], output: Tensor) -> None:
        if isinstance(layer, nn.Conv2d):
            kernel = layer.weight[0].numel()  # in_channels / groups * kh * kw
            macs.append(output[0].numel() * kernel)
        else:
            macs.append(layer.in_features * layer.out_features)

    layers = [m for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    handles = [layer.register_forward_hook(record) for layer in layers]
    try:
        probe(model, image_size, in_channels)
    finally:
        for handle in handles:
            handle.remove()
    return sum(macs)


def describe(model: SuperNet) -> list[LayerRow]:
    """The stem, every node, transitions, head and auxiliary head with shapes and parameters."""
    blocks: dict[str, nn.Module] = {"stem": model.stem}
    for s, stage in enumerate(model.stages):
        if s > 0:
            blocks[f"transition{s}"] = model.transitions[s - 1]
        for k, node in enumerate(stage.nodes):
            blocks[f"stage{s + 1}.node{k}"] = node
    blocks["classifier"] = model.classifier
    shapes: dict[str, tuple[int, ...]] = {}

    def keep(name: str):
        def hook(layer: nn.Module, inputs: tuple[Tensor, ...], output: Tensor) -> None:
            shapes[name] = tuple(output.shape[1:])

        return hook

    handles = [block.register_forward_hook(keep(name)) for name, block in blocks.items()]
    try:
        aux_input = probe(model)
        if model.aux_head is not None:
            blocks["aux_head"] = model.aux_head
            with evaluation(model), torch.no_grad():
                shapes["aux_head"] = tuple(model.aux_head(aux_input).shape[1:])
    finally:
        for handle in handles:
            handle.remove()
    return [LayerRow(name, shapes[name], count_parameters(blocks[name])) for name in blocks]


def extra_parameters(model: SuperNet) -> int:
    """Trainable parameters outside the listed blocks (the learnable aggregation weights)."""
    return 0 if model.aggregation is None else count_parameters(model.aggregation)


def probe(model: SuperNet, image_size: int | None = None, in_channels: int | None = None) -> Tensor:
    """Run one zero image through the first training architecture; return the aux input."""
    spec = model.spec
    size = image_size or spec.image_size
    device = model.normalize.mean.device
    x = torch.zeros(1, in_channels or spec.in_channels, size, size, device=device)
    bank = model.bank(model.train_archs[:1])
    with evaluation(model), torch.no_grad():
        _, aux_input = model.run(x, bank.mix, bank.member)
    return aux_input


@contextlib.contextmanager
def evaluation(model: nn.Module) -> Iterator[nn.Module]:
    """Put `model` in evaluation mode for the block, then restore its previous mode."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)
