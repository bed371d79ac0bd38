"""Choosing the device a training job runs on, and keeping concurrent jobs off each other's GPU.

A workflow runner that limits jobs with a `gpu` resource counts GPUs but does not assign them:
every job sees every device. So a job claims one by taking an exclusive `flock` on a lock file
per visible device (in `$NSA_GPU_LOCK_DIR`, default `/tmp/nsa-gpu-locks`) and keeps it until it
ends; the kernel drops the lock even when the job is killed. Devices are named by their entry in
`CUDA_VISIBLE_DEVICES` when the environment sets it, so jobs given different device lists by a
scheduler never collide on names. `NSA_FAKE_GPU_COUNT=N` pretends N GPUs exist, for tests of the
locking on machines without any.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import torch

from nsa.config import UsageError

log = logging.getLogger(__name__)

LOCK_DIR_ENV = "NSA_GPU_LOCK_DIR"
FAKE_GPUS_ENV = "NSA_FAKE_GPU_COUNT"
DEFAULT_LOCK_DIR = Path("/tmp/nsa-gpu-locks")
PREFERENCES = ("auto", "cuda", "cpu")


def visible_gpus() -> list[str]:
    """Names of the GPUs this process may use, in device-index order."""
    fake = os.environ.get(FAKE_GPUS_ENV)
    if fake:
        count = int(fake)
    elif torch.cuda.is_available():
        count = torch.cuda.device_count()
    else:
        return []
    listed = [entry.strip() for entry in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",")]
    listed = [entry for entry in listed if entry]
    return listed if len(listed) == count else [str(index) for index in range(count)]


def lock_dir() -> Path:
    """Directory holding one lock file per GPU."""
    return Path(os.environ.get(LOCK_DIR_ENV) or DEFAULT_LOCK_DIR)


@contextlib.contextmanager
def claim_gpu(names: list[str], directory: Path, poll_seconds: float = 0.5) -> Iterator[int]:
    """Lock one of the GPUs `names`, waiting while all are held; yield its index."""
    directory.mkdir(parents=True, exist_ok=True)
    waiting = False
    while True:
        for index, name in enumerate(names):
            handle = _try_lock(directory / f"gpu-{_safe(name)}.lock")
            if handle is None:
                continue
            try:
                yield index
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
                handle.close()
            return
        if not waiting:
            log.info("all %d GPUs are held by other jobs; waiting for one", len(names))
            waiting = True
        time.sleep(poll_seconds)


@contextlib.contextmanager
def pick_device(preference: str = "auto") -> Iterator[torch.device]:
    """Yield the device to train on, holding the lock of its GPU while the block runs.

    `preference` is the profile's `device`: "cpu", "cuda" (an error when none is visible) or
    "auto" (a free GPU when there is one, else the CPU). Under `NSA_FAKE_GPU_COUNT` the device
    yielded is a pretend `cuda:<index>` that cannot hold tensors.
    """
    if preference not in PREFERENCES:
        raise UsageError(f"device must be one of {', '.join(PREFERENCES)}, got {preference!r}")
    gpus = [] if preference == "cpu" else visible_gpus()
    if not gpus:
        if preference == "cuda":
            raise UsageError("the profile asks for device 'cuda' but no CUDA device is visible")
        yield torch.device("cpu")
        return
    with claim_gpu(gpus, lock_dir()) as index:
        device = torch.device("cuda", index)
        if torch.cuda.is_available():
            torch.cuda.set_device(device)
        log.info("using GPU %s (%s)", gpus[index], device)
        yield device


def hold_device(seconds: float, record_path: str | Path, preference: str = "auto") -> str:
    """Claim a device as training does, hold it `seconds`, append "device start end" to a file."""
    with pick_device(preference) as device:
        start = time.time()
        time.sleep(seconds)
        end = time.time()
        with open(record_path, "a") as record:
            record.write(f"{device} {start:.6f} {end:.6f}\n")
    return str(device)


def _try_lock(path: Path):
    """Open `path` and take its exclusive lock without waiting; None when another holds it."""
    handle = open(path, "a+")  # noqa: SIM115 - the handle must outlive this function
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)
