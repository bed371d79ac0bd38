"""Images per second delivered by the training loader, with and without augmentation.

Synthetic CIFAR-shaped data (uint8, 3 x 32 x 32) stands in for a prepared dataset: the loader
does the same work whatever the pixels are. Three settings are timed over whole epochs:
the recipe's augmentation (4-pixel crop, flip, 16-pixel Cutout), no augmentation (shuffling
and conversion only), and, for scale, the same augmentation written as a loop over images.

    python benchmarks/bench_loader.py                 # CPU
    python benchmarks/bench_loader.py --device cuda   # GPU
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from nsa.data import Split, TrainLoader


def synthetic_split(images: int, seed: int = 0) -> Split:
    """Random CIFAR-shaped uint8 images with ten labels."""
    generator = torch.Generator().manual_seed(seed)
    pixels = torch.randint(0, 256, (images, 3, 32, 32), generator=generator, dtype=torch.uint8)
    labels = torch.randint(0, 10, (images,), generator=generator)
    return Split(pixels, labels, mean=(0.491, 0.482, 0.447))


def synchronise(device: torch.device) -> None:
    """Wait for queued GPU work so that the clock measures it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_loader(loader: TrainLoader, epochs: int) -> float:
    """Images per second over `epochs` epochs, after one warm-up batch."""
    next(iter(loader.batches(epoch=epochs)))  # an epoch not timed
    synchronise(loader.device)
    start = time.perf_counter()
    count = 0
    for epoch in range(epochs):
        for x, _ in loader.batches(epoch):
            count += len(x)
    synchronise(loader.device)
    return count / (time.perf_counter() - start)


def time_per_image_loop(split: Split, batch_size: int, batches: int, device) -> float:
    """Images per second of the same augmentation done one image at a time."""
    images = split.images.to(device)
    fill = torch.tensor(split.mean, device=device).view(3, 1, 1)
    generator = torch.Generator().manual_seed(0)
    synchronise(device)
    start = time.perf_counter()
    for _ in range(batches):
        index = torch.randint(len(images), (batch_size,), generator=generator)
        out = []
        for i in index.tolist():
            top, left = torch.randint(0, 9, (2,), generator=generator).tolist()
            flip, cy, cx = torch.randint(0, 32, (3,), generator=generator).tolist()
            image = F.pad(images[i], (4, 4, 4, 4))[:, top : top + 32, left : left + 32]
            image = (image.flip(-1) if flip % 2 else image).float() / 255
            image[:, max(cy - 8, 0) : cy + 8, max(cx - 8, 0) : cx + 8] = fill
            out.append(image)
        torch.stack(out)
    synchronise(device)
    return batches * batch_size / (time.perf_counter() - start)


def main() -> None:
    """Time the loader and print images per second."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")
    parser.add_argument("--images", type=int, default=50_000, help="training set size")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    split = synthetic_split(args.images)

    print(f"device {device}, {torch.get_num_threads()} CPU threads, torch {torch.__version__}")
    print(f"{args.images} images of 3x32x32, batch {args.batch_size}, {args.epochs} epoch(s)")
    settings = {
        "crop 4 + flip + cutout 16": dict(crop_padding=4, cutout=16, flip=True),
        "no augmentation": dict(crop_padding=0, cutout=0, flip=False),
    }
    for name, options in settings.items():
        loader = TrainLoader(split, args.batch_size, device=device, seed=0, **options)
        print(f"{name:>28}: {time_loader(loader, args.epochs):12,.0f} images/s")
    rate = time_per_image_loop(split, args.batch_size, batches=20, device=device)
    print(f"{'per-image loop (reference)':>28}: {rate:12,.0f} images/s")


if __name__ == "__main__":
    main()
