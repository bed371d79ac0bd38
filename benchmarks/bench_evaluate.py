"""How much the evaluation machinery costs on top of the network itself.

Two measurements on synthetic images and a small supernet (CPU by default):

1. Ensemble evaluation: K sampled architectures per image through `nsa.evaluate.predict`
   (samples folded into the batch, metrics' moments accumulated) against a bare loop that
   pushes the test set repeated K times through the network at the same batch size, with a
   random architecture per instance and nothing kept but the logits. The ratio is the overhead
   of sampling; the target is at most 1.2. On a shared machine the ratio moves with the load,
   so the share of `predict`'s time spent outside the network is printed too (timed with
   forward hooks in the same run, so load changes cancel).
2. PGD: seconds per attack step (forward and backward of `samples` passes per image) and the
   same divided by the cost of a forward pass over the same rows.

Usage: python benchmarks/bench_evaluate.py [--device cuda] [--samples 8] [--images 512] ...
"""

from __future__ import annotations

import argparse
import time
from types import SimpleNamespace

import torch

from nsa.evaluate import Attack, forward, perturb, predict
from nsa.models import ModelSpec, build_model


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--variant", default="nsa-id")
    parser.add_argument("--width", type=int, default=1)
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--archs", type=int, default=5)
    parser.add_argument("--image-size", type=int, default=16)
    parser.add_argument("--channels", type=int, default=3)
    parser.add_argument("--images", type=int, default=512)
    parser.add_argument("--samples", type=int, default=8, help="K passes per image")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--attack", default="PGD2-3-1")
    parser.add_argument("--attack-samples", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=5, help="timings keep the fastest")
    # One thread by default: on a shared machine, several threads wait on each other and time
    # the load, not the code.
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads; 0 = default")
    return parser.parse_args()


def build(args: argparse.Namespace, device: torch.device):
    """A freshly initialised supernet in evaluation mode, its bank and synthetic data."""
    sizes = SimpleNamespace(
        width=args.width,
        nodes=args.nodes,
        arch_p=0.7,
        num_archs=args.archs,
        dropout=0.2,
        aux_weight=0.0,
    )
    spec = ModelSpec.for_variant(
        args.variant,
        sizes,
        num_classes=10,
        in_channels=args.channels,
        image_size=args.image_size,
    )
    model = build_model(spec).to(device).eval()
    generator = torch.Generator().manual_seed(0)
    shape = (args.images, args.channels, args.image_size, args.image_size)
    images = torch.randint(0, 256, shape, dtype=torch.uint8, generator=generator)
    labels = torch.randint(0, 10, (args.images,), generator=generator)
    return model, model.bank().to(device), images, labels


def fastest(repeats: int, device: torch.device, *works) -> list[float]:
    """Fastest wall-clock seconds of each `work()` over `repeats` interleaved runs.

    The runs alternate between the works, so a change of machine load hits all of them alike.
    """
    for work in works:
        work()  # warm-up
    times = [[] for _ in works]
    for _ in range(repeats):
        for work, record in zip(works, times, strict=True):
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            start = time.perf_counter()
            work()
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            record.append(time.perf_counter() - start)
    return [min(record) for record in times]


def time_outside_network(model, work) -> float:
    """Fraction of the wall-clock time of `work()` spent outside `model`'s forward passes."""
    inside, started = [0.0], [0.0]

    def enter(module, inputs):
        started[0] = time.perf_counter()

    def leave(module, inputs, output):
        inside[0] += time.perf_counter() - started[0]

    hooks = [model.register_forward_pre_hook(enter), model.register_forward_hook(leave)]
    try:
        start = time.perf_counter()
        work()
        total = time.perf_counter() - start
    finally:
        for hook in hooks:
            hook.remove()
    return 1.0 - inside[0] / total


@torch.no_grad()
def bare_passes(model, bank, images, repeat: int, batch_size: int, device) -> None:
    """The test set repeated `repeat` times through the network, logits discarded."""
    generator = torch.Generator().manual_seed(0)
    rows = images.repeat(repeat, 1, 1, 1)
    for start in range(0, len(rows), batch_size):
        x = rows[start : start + batch_size].to(device).float().div_(255)
        index = torch.randint(len(bank), (len(x),), generator=generator).to(device)
        forward(model, x, *bank.take(index)).cpu()


def main() -> None:
    """Run both measurements and print their ratios."""
    args = parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    model, bank, images, labels = build(args, device)
    k, batch = args.samples, args.batch_size
    print(
        f"{args.variant} width {args.width}, {args.nodes} nodes, {args.images} images "
        f"{args.channels}x{args.image_size}x{args.image_size}, K={k}, batch {batch}, "
        f"{device}, {torch.get_num_threads()} threads"
    )

    sampled, bare = fastest(
        args.repeats,
        device,
        lambda: predict(model, images, bank, k, batch, seed=0),
        lambda: bare_passes(model, bank, images, k, batch, device),
    )
    print(f"ensemble of K={k}: {sampled:.3f} s; one pass over {k} x the test set: {bare:.3f} s")
    print(f"ensemble / bare ratio: {sampled / bare:.3f} (target <= 1.2)")
    outside = time_outside_network(model, lambda: predict(model, images, bank, k, batch, seed=0))
    print(f"share of the ensemble's time outside the network: {100 * outside:.1f}%")

    attack = Attack.parse(args.attack)
    s = args.attack_samples
    attacked, rows_forward = fastest(
        args.repeats,
        device,
        lambda: perturb(model, images, labels, bank, attack, s, batch, seed=0),
        lambda: bare_passes(model, bank, images, s, batch, device),
    )
    per_step = attacked / attack.steps
    print(
        f"{attack.name} with {s} samples per step: {per_step:.3f} s per step "
        f"({1e3 * per_step / args.images:.3f} ms per image); "
        f"{per_step / rows_forward:.2f} x a forward pass over the same rows"
    )


if __name__ == "__main__":
    main()
