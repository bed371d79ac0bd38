"""Training throughput of NSA-id against the ceiling set by its arithmetic and the device.

Runs the training engine's own step (`nsa.train.engine.train_step`: architecture sampling,
augmented batches from `TrainLoader`, bf16 autocast and channels-last on CUDA, forward with the
auxiliary head, backward, SGD) on random 32x32 RGB images and prints images per second. The
ceiling is what the device's measured dense matmul rate (bf16 on CUDA, fp32 on the CPU) would
allow if a training step cost exactly 3x the forward multiply-accumulates of the convolutions
and linear layers (one forward, two backward), at 2 flops each; the script prints the measured
rate as a percentage of it. WRN-28-10 NSA-id (width 10, 8 nodes) costs about 5.8 G MACs
forward per image.

    python -m benchmarks.bench_train                 # CPU: width 2, batch 32 (about a minute)
    python -m benchmarks.bench_train --paper --device cuda   # WRN-28-10, batch 128
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from types import SimpleNamespace

import torch

from nsa.data import Split, TrainLoader
from nsa.models import ModelSpec, build_model
from nsa.models.summary import count_macs
from nsa.train.checkpoint import CheckpointStore
from nsa.train.engine import Run, make_optimizer, train_step

# A training step costs one forward and two backward passes (inputs and weights).
PASSES_PER_STEP = 3


def parse_args() -> argparse.Namespace:
    """Command-line options; without --paper the sizes suit the device."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda (default auto)")
    parser.add_argument("--variant", default="nsa-id", help="model variant (default nsa-id)")
    parser.add_argument("--width", type=int, help="width factor (default 10 CUDA, 2 CPU)")
    parser.add_argument("--nodes", type=int, default=8, help="nodes per stage (default 8)")
    parser.add_argument("--archs", type=int, default=5, help="architectures (default 5)")
    parser.add_argument("--batch-size", type=int, help="default 128 CUDA, 32 CPU")
    parser.add_argument("--steps", type=int, help="timed steps (default 30 CUDA, 8 CPU)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first (default 3)")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads; 0 = torch default")
    parser.add_argument("--paper", action="store_true", help="WRN-28-10 sizes, batch 128")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    if args.device == "auto":
        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    gpu = args.device.startswith("cuda")
    if args.paper:
        args.width, args.nodes, args.batch_size = 10, 8, 128
    args.width = args.width or (10 if gpu else 2)
    args.batch_size = args.batch_size or (128 if gpu else 32)
    args.steps = args.steps or (30 if gpu else 8)
    return args


def make_run(args: argparse.Namespace, store: CheckpointStore) -> Run:
    """A training run of the benchmark's model on random images, as the engine trains it."""
    device = torch.device(args.device)
    sizes = SimpleNamespace(
        width=args.width, nodes=args.nodes, arch_p=0.7, num_archs=args.archs, dropout=0.0,
        aux_weight=0.1,
    )  # fmt: skip
    spec = ModelSpec.for_variant(args.variant, sizes, num_classes=10, in_channels=3, image_size=32)
    model = build_model(spec)
    memory_format = torch.channels_last if device.type == "cuda" else torch.preserve_format
    model = model.to(device, memory_format=memory_format)
    recipe = SimpleNamespace(
        lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4, lr_milestones=(), lr_gamma=0.2,
        seed=0, epochs=1, batch_size=args.batch_size, checkpoint_every_steps=10**9,
    )  # fmt: skip
    count = args.batch_size * (args.warmup + args.steps)
    images = torch.randint(0, 256, (count, 3, 32, 32), dtype=torch.uint8)
    split = Split(images, torch.randint(0, 10, (count,)))
    loader = TrainLoader(split, args.batch_size, crop_padding=4, cutout=16, device=device, seed=0)
    return Run(
        name="benchmark",
        model=model,
        bank=model.bank().to(device),
        optimizer=make_optimizer(model, recipe),
        loader=loader,
        test=split,
        device=device,
        recipe=recipe,
        aux_weight=0.1,
        eval_batch_size=500,
        sampler=torch.Generator().manual_seed(0),
        store=store,
        settings={},
    )


def images_per_second(run: Run, warmup: int) -> float:
    """Training throughput over the loader's epoch after `warmup` untimed steps."""
    run.model.train()
    start, timed_images = None, 0
    for step, (x, y) in enumerate(run.loader.batches(0)):
        if step == warmup:
            synchronize(run.device)
            start = time.perf_counter()
        loss, _ = train_step(run, x, y)
        loss.item()  # the engine reads every loss (a NaN check), so the benchmark does too
        if step >= warmup:
            timed_images += len(y)
    synchronize(run.device)
    return timed_images / (time.perf_counter() - start)


def matmul_flops(device: torch.device) -> float:
    """Measured dense matmul rate, flop/s: bf16 on CUDA, fp32 on the CPU."""
    gpu = device.type == "cuda"
    n, dtype, repeats = (8192, torch.bfloat16, 20) if gpu else (1024, torch.float32, 10)
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    for _ in range(3):
        a @ b
    synchronize(device)
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    synchronize(device)
    return 2 * n**3 * repeats / (time.perf_counter() - start)


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main() -> None:
    """Measure and print throughput, ceiling and their ratio."""
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device(args.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    with tempfile.TemporaryDirectory() as scratch:
        run = make_run(args, CheckpointStore(scratch))
        macs = count_macs(run.model, 32, 3)
        measured = images_per_second(run, args.warmup)
    rate = matmul_flops(device)
    ceiling = rate / (PASSES_PER_STEP * 2 * macs)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    result = {
        "device": f"{name} ({torch.get_num_threads()} threads)" if device.type == "cpu" else name,
        "variant": args.variant,
        "width": args.width,
        "nodes": args.nodes,
        "batch_size": args.batch_size,
        "steps": args.steps,
        "gmacs_forward_per_image": round(macs / 1e9, 3),
        "images_per_second": round(measured, 2),
        "matmul_tflops": round(rate / 1e12, 3),
        "ceiling_images_per_second": round(ceiling, 2),
        "percent_of_ceiling": round(100 * measured / ceiling, 1),
    }
    if args.json:
        print(json.dumps(result))
        return
    precision = "bf16" if device.type == "cuda" else "fp32"
    print(
        f"{args.variant}, width {args.width}, {args.nodes} nodes, batch {args.batch_size}, "
        f"32x32, {result['device']}, {args.steps} timed steps"
    )
    print(f"  forward cost      {result['gmacs_forward_per_image']:10.3f} G MACs per image")
    print(f"  training          {result['images_per_second']:10.1f} images/s")
    print(f"  {precision} matmul       {result['matmul_tflops']:10.3f} TFLOP/s")
    print(f"  ceiling           {result['ceiling_images_per_second']:10.1f} images/s")
    print(f"  measured/ceiling  {result['percent_of_ceiling']:10.1f} %")


if __name__ == "__main__":
    main()
