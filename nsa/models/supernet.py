"""The supernet: one set of weights that runs every architecture of the space.

The backbone is a wide ResNet cut into three stages of DAGs. A stem (3x3 conv, norm) feeds
stage 1; each stage runs its nodes (ReLU, 3x3 conv, dropout, norm) in chain order, every node
reading a weighted sum of the stage input and the earlier node outputs; transitions (ReLU, 1x1
conv doubling the channels, 2x2 average pooling, norm) join the stages; the head is ReLU, global
average pooling and a linear layer. An auxiliary classifier reads the output of the second
transition during training.

The architecture enters only through the weights of those sums: `forward` takes one mixing
matrix per instance (row-normalised adjacency, see `nsa.arch`), so a batch can mix
architectures and still go through the network in one batched pass. Variants with learnable
aggregation multiply the matrices elementwise by `sigmoid(W[member])` (rows are not normalised
again); variants with per-architecture norms pick each instance's scale and shift by `member`.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor, nn

from nsa.arch import NUM_STAGES, Architecture
from nsa.layers import AuxiliaryHead, Normalize, batch_norm, init_weights, weighted_sum
from nsa.models.bank import ArchBank
from nsa.models.spec import ModelSpec

Columns = list[list[int]]


class Stem(nn.Module):
    """3x3 conv from the image channels to the first stage's width, then norm."""

    def __init__(self, in_channels: int, channels: int, norm_archs: int | None) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, channels, 3, padding=1, bias=False)
        self.norm = batch_norm(channels, norm_archs)

    def forward(self, x: Tensor, member: Tensor) -> Tensor:
        """Feature maps (B, channels, H, W) of normalised images."""
        return self.norm(self.conv(x), member)


class Node(nn.Module):
    """One computation node: ReLU, 3x3 conv, dropout, norm.

    Dropout here exists only for MC dropout, so it stays on in evaluation mode too.
    """

    def __init__(self, channels: int, dropout: float, norm_archs: int | None) -> None:
        super().__init__()
        self.dropout = dropout
        self.conv = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.norm = batch_norm(channels, norm_archs)

    def forward(self, x: Tensor, member: Tensor) -> Tensor:
        """The node's output for its aggregated input `x`."""
        x = self.conv(F.relu(x))
        if self.dropout > 0:
            x = F.dropout(x, self.dropout, training=True)
        return self.norm(x, member)


class Transition(nn.Module):
    """Between stages: ReLU, 1x1 conv, 2x2 average pooling with stride 2, norm."""

    def __init__(self, in_channels: int, out_channels: int, norm_archs: int | None) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.norm = batch_norm(out_channels, norm_archs)

    def forward(self, x: Tensor, member: Tensor) -> Tensor:
        """Maps with twice the channels and half the side."""
        x = F.avg_pool2d(self.conv(F.relu(x)), 2)
        return self.norm(x, member)


class Stage(nn.Module):
    """A chain of nodes whose inputs and output are weighted sums given per instance."""

    def __init__(self, channels: int, nodes: int, dropout: float, norm_archs: int | None):
        super().__init__()
        self.nodes = nn.ModuleList(Node(channels, dropout, norm_archs) for _ in range(nodes))

    def forward(self, x: Tensor, mix: Tensor, member: Tensor, columns: Columns) -> Tensor:
        """Run the stage.

        Args:
            x: stage input `o_0` (B, C, H, W).
            mix: per-instance mixing matrices (B, nodes + 1, nodes + 1); row k feeds node k,
                the last row the stage output.
            member: per-instance parameter rows (B,).
            columns: for each row, the columns non-zero somewhere in the batch.
        """
        outputs = [x]
        for k, node in enumerate(self.nodes):
            outputs.append(node(weighted_sum(outputs, mix[:, k], columns[k]), member))
        return weighted_sum(outputs, mix[:, -1], columns[-1])


class SuperNet(nn.Module):
    """The supernet of one variant (see `nsa.models.variants`), built from a `ModelSpec`.

    Attributes:
        spec: the spec it was built from.
        train_archs: the architectures sampled during training; member `i` is `train_archs[i]`.
        sampling: `fixed` (one architecture), `batch` (one per mini-batch) or `instance`.
        stochastic: whether repeated evaluation passes can differ (MC dropout or several
            architectures).
    """

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__()
        kind = spec.kind
        self.spec = spec
        self.train_archs = spec.train_archs()
        self.sampling = kind.sampling
        self.stochastic = spec.dropout > 0 or len(self.train_archs) > 1
        norm_archs = spec.num_archs if kind.arch_norm else None
        channels = spec.channels

        self.normalize = Normalize(spec.mean, spec.std)
        self.stem = Stem(spec.in_channels, channels[0], norm_archs)
        self.stages = nn.ModuleList(
            Stage(width, spec.nodes, spec.dropout, norm_archs) for width in channels
        )
        self.transitions = nn.ModuleList(
            Transition(width, 2 * width, norm_archs) for width in channels[:-1]
        )
        self.classifier = nn.Linear(channels[-1], spec.num_classes)
        # The auxiliary head reads the output of the second transition: the input shrunk 4x.
        aux_map = spec.image_size // 4
        self.aux_head = (
            AuxiliaryHead(channels[-1], spec.num_classes, aux_map) if spec.aux_head else None
        )
        self.aggregation = None
        if kind.arch_aggregation:
            side = spec.nodes + 1
            self.aggregation = nn.ParameterList(
                nn.Parameter(torch.ones(spec.num_archs, side, side)) for _ in range(NUM_STAGES)
            )
        init_weights(self)

    def forward(
        self, x: Tensor, mix: Tensor, member: Tensor | None = None
    ) -> Tensor | tuple[Tensor, Tensor]:
        """Class logits (B, classes); in training mode with an auxiliary head, (logits, aux).

        Args:
            x: images in pixel space [0, 1], (B, C, H, W).
            mix: row-normalised mixing matrices, one per instance (B, 3, nodes + 1, nodes + 1).
            member: per-instance rows of the per-architecture parameters (B,); may be omitted
                when the model holds one set (or none).
        """
        logits, aux_input = self.run(x, mix, member)
        if self.training and self.aux_head is not None:
            return logits, self.aux_head(aux_input)
        return logits

    def run(self, x: Tensor, mix: Tensor, member: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Logits and the auxiliary head's input (the second transition's output)."""
        member = self.check_inputs(x, mix, member)
        columns = nonzero_columns(mix)
        mix = self.effective_mixing(mix, member)

        h = self.stem(self.normalize(x), member)
        h = self.stages[0](h, mix[:, 0], member, columns[0])
        h = self.transitions[0](h, member)
        h = self.stages[1](h, mix[:, 1], member, columns[1])
        aux_input = self.transitions[1](h, member)
        h = self.stages[2](aux_input, mix[:, 2], member, columns[2])

        h = F.relu(h).mean((2, 3))  # global average pooling
        return self.classifier(h), aux_input

    def effective_mixing(self, mix: Tensor, member: Tensor) -> Tensor:
        """`mix * sigmoid(W[member])` for variants with learnable aggregation, else `mix`."""
        if self.aggregation is None:
            return mix
        gates = torch.stack([torch.sigmoid(weights[member]) for weights in self.aggregation], 1)
        return mix * gates

    def check_inputs(self, x: Tensor, mix: Tensor, member: Tensor | None) -> Tensor:
        """Check shapes; return `member`, filled with zeros when it may be omitted."""
        side = self.spec.nodes + 1
        if x.dim() != 4 or x.shape[1] != self.spec.in_channels:
            raise ValueError(f"x must be (B, {self.spec.in_channels}, H, W), got {tuple(x.shape)}")
        batch = x.shape[0]
        if tuple(mix.shape) != (batch, NUM_STAGES, side, side):
            raise ValueError(
                f"mix must be (B, {NUM_STAGES}, {side}, {side}) with B={batch}, "
                f"got {tuple(mix.shape)}"
            )
        if member is None:
            if self.spec.kind.arch_specific and self.spec.num_archs > 1:
                raise ValueError(
                    f"member is required: {self.spec.variant} keeps parameters for "
                    f"{self.spec.num_archs} architectures"
                )
            return torch.zeros(batch, dtype=torch.long, device=x.device)
        if tuple(member.shape) != (batch,):
            raise ValueError(f"member must be ({batch},), got {tuple(member.shape)}")
        return member

    def bank(self, archs: Iterable[Architecture] | None = None) -> ArchBank:
        """The training architectures, or `archs`, as a bank on the model's device.

        Variants with per-architecture parameters only accept their training architectures;
        shared variants accept any architecture with the model's number of nodes.
        """
        archs = self.train_archs if archs is None else tuple(archs)
        if not archs:
            raise ValueError("archs must hold at least one architecture")
        members = [self.member_of(arch) for arch in archs]
        return ArchBank.build(archs, members, self.normalize.mean.device)

    def member_of(self, arch: Architecture) -> int:
        """The row of `arch`'s parameters: 0 for shared variants, else its training index."""
        if arch.nodes != self.spec.nodes:
            raise ValueError(
                f"architecture {arch.name!r} has {arch.nodes} nodes per stage; "
                f"this model has {self.spec.nodes}"
            )
        if not self.spec.kind.arch_specific:
            return 0
        for index, known in enumerate(self.train_archs):
            if known.stages == arch.stages:
                return index
        names = ", ".join(known.name for known in self.train_archs)
        raise ValueError(
            f"architecture {arch.name!r} is not one of this {self.spec.variant} model's "
            f"architectures ({names}); it has no parameters for it"
        )

    def sample(
        self,
        batch_size: int,
        generator: torch.Generator | None = None,
        bank: ArchBank | None = None,
    ) -> Tensor:
        """Bank indices (B,) drawn the way the variant trains: fixed, per batch or per instance."""
        size = len(bank) if bank is not None else len(self.train_archs)
        if self.sampling == "fixed":
            return torch.zeros(batch_size, dtype=torch.long)
        if self.sampling == "batch":
            return torch.randint(size, (1,), generator=generator).repeat(batch_size)
        return torch.randint(size, (batch_size,), generator=generator)


def nonzero_columns(mix: Tensor) -> list[Columns]:
    """For each stage and row, the columns with a non-zero weight for some instance.

    Zero columns are skipped in the weighted sums, so a sparse architecture such as the
    residual one pays only for its edges. Reading the pattern back costs one device sync
    per forward pass.
    """
    pattern = (mix != 0).any(0).cpu().tolist()
    stages = []
    for s, rows in enumerate(pattern):
        columns = [[j for j, on in enumerate(row) if on] for row in rows]
        for k, used in enumerate(columns):
            if not used or used[-1] > k:
                raise ValueError(
                    f"mix stage {s} row {k} must have a non-zero weight and only in "
                    f"columns 0..{k}, got columns {used}"
                )
        stages.append(columns)
    return stages


def build_model(spec: ModelSpec) -> SuperNet:
    """The supernet described by `spec`, freshly initialised."""
    return SuperNet(spec)
