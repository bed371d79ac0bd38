"""Training-step time of NSA-i against the residual network (wrn) of the same size.

Both models are the one supernet: NSA-i mixes its training architectures per instance inside
every batch, wrn runs the residual architecture with its learnable aggregation weights. A step
is forward (auxiliary head included), cross-entropy plus 0.1 x the auxiliary loss, backward and
an SGD step. Steps of the two models alternate, with the order swapped every round, so a change
of machine load hits both alike; the script prints the median step time of each and the ratio
NSA-i / wrn (target: at most 1.10).

The default is a small network on the CPU that finishes in well under a minute:

    python -m benchmarks.bench_model
    python -m benchmarks.bench_model --paper --device cuda   # WRN-28-10 sizes, batch 128
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from types import SimpleNamespace

import torch
import torch.nn.functional as F  # noqa: N812

from nsa.models import ModelSpec, SuperNet, build_model


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=2, help="width factor (default 2)")
    parser.add_argument("--nodes", type=int, default=8, help="nodes per stage (default 8)")
    parser.add_argument("--archs", type=int, default=5, help="NSA-i architectures (default 5)")
    parser.add_argument("--batch-size", type=int, default=32, help="default 32")
    parser.add_argument("--image-size", type=int, default=32, help="default 32")
    parser.add_argument("--steps", type=int, default=10, help="timed steps per model")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps per model")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads; 0 = torch default")
    parser.add_argument(
        "--paper", action="store_true", help="paper sizes: width 10, batch 128, 20 steps"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    if args.paper:
        args.width, args.nodes, args.batch_size, args.steps = 10, 8, 128, 20
    return args


def make_model(variant: str, args: argparse.Namespace) -> SuperNet:
    """A supernet of `variant` at the benchmark's sizes, on the benchmark's device."""
    sizes = SimpleNamespace(
        width=args.width,
        nodes=args.nodes,
        arch_p=0.7,
        num_archs=args.archs,
        dropout=0.0,
        aux_weight=0.1,
    )
    spec = ModelSpec.for_variant(
        variant, sizes, num_classes=10, in_channels=3, image_size=args.image_size
    )
    return build_model(spec).to(args.device).train()


def make_step(model: SuperNet, x: torch.Tensor, y: torch.Tensor, seed: int):
    """A function that runs one training step of `model` on the batch `(x, y)`."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True)
    bank = model.bank()
    generator = torch.Generator().manual_seed(seed)

    def step() -> None:
        mix, member = bank.take(model.sample(len(x), generator))
        logits, aux_logits = model(x, mix, member)
        loss = F.cross_entropy(logits, y) + 0.1 * F.cross_entropy(aux_logits, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return step


def timed(step, device: str) -> float:
    """Seconds one call of `step` takes, the device's queue drained before and after."""
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    start = time.perf_counter()
    step()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - start


def main() -> None:
    """Time both models side by side and print the medians and their ratio."""
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x = torch.rand(args.batch_size, 3, args.image_size, args.image_size, device=args.device)
    y = torch.randint(10, (args.batch_size,), device=args.device)
    steps = {
        name: make_step(make_model(name, args), x, y, seed)
        for seed, name in enumerate(("wrn", "nsa-i"))
    }

    times: dict[str, list[float]] = {name: [] for name in steps}
    for round_ in range(args.warmup + args.steps):
        order = list(steps) if round_ % 2 == 0 else list(reversed(steps))
        for name in order:
            seconds = timed(steps[name], args.device)
            if round_ >= args.warmup:
                times[name].append(seconds)

    medians = {name: statistics.median(values) for name, values in times.items()}
    result = {
        "device": args.device,
        "threads": torch.get_num_threads(),
        "width": args.width,
        "nodes": args.nodes,
        "archs": args.archs,
        "batch_size": args.batch_size,
        "image_size": args.image_size,
        "steps": args.steps,
        "wrn_ms": round(1000 * medians["wrn"], 2),
        "nsa_i_ms": round(1000 * medians["nsa-i"], 2),
        "ratio": round(medians["nsa-i"] / medians["wrn"], 3),
    }
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"train step, width {args.width}, {args.nodes} nodes, batch {args.batch_size}, "
        f"{args.image_size}x{args.image_size}, {args.device} ({result['threads']} threads), "
        f"median of {args.steps}:"
    )
    print(f"  wrn   {result['wrn_ms']:9.2f} ms")
    print(f"  nsa-i {result['nsa_i_ms']:9.2f} ms  ({args.archs} architectures per batch)")
    print(f"  ratio nsa-i / wrn = {result['ratio']:.3f} (target <= 1.10)")


if __name__ == "__main__":
    main()
