import subprocess
import sys
import textwrap
import threading
import time

import pytest
import torch
from tiny_settings import ROOT

from nsa.config import UsageError
from nsa.train.devices import claim_gpu, hold_device, pick_device, visible_gpus


@pytest.fixture
def fake_gpus(monkeypatch, tmp_path):
    def use(count: int, visible: str | None = None):
        monkeypatch.setenv("NSA_FAKE_GPU_COUNT", str(count))
        monkeypatch.setenv("NSA_GPU_LOCK_DIR", str(tmp_path / "locks"))
        if visible is None:
            monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
        else:
            monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible)

    return use


def test_cpu_preference_never_claims_a_gpu(fake_gpus, tmp_path):
    fake_gpus(2)
    with pick_device("cpu") as device:
        assert device == torch.device("cpu")
    assert not (tmp_path / "locks").exists()


def test_cuda_preference_without_gpus_is_an_error(monkeypatch):
    monkeypatch.delenv("NSA_FAKE_GPU_COUNT", raising=False)
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(UsageError, match="no CUDA device"), pick_device("cuda"):
        pass


def test_auto_without_gpus_uses_the_cpu(monkeypatch):
    monkeypatch.delenv("NSA_FAKE_GPU_COUNT", raising=False)
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pick_device("auto") as device:
        assert device.type == "cpu"


def test_outside_device_list_names_the_locks(fake_gpus, tmp_path):
    fake_gpus(2, visible="3,GPU-abc")
    assert visible_gpus() == ["3", "GPU-abc"]
    with pick_device() as first, pick_device() as second:
        assert (first, second) == (torch.device("cuda", 0), torch.device("cuda", 1))
    assert sorted(p.name for p in (tmp_path / "locks").iterdir()) == [
        "gpu-3.lock",
        "gpu-GPU-abc.lock",
    ]


def test_nested_claims_get_different_gpus_and_release_them(fake_gpus):
    fake_gpus(3)
    with pick_device() as a, pick_device() as b, pick_device() as c:
        assert [d.index for d in (a, b, c)] == [0, 1, 2]
    with pick_device() as again:
        assert again.index == 0


def test_a_claim_waits_until_a_gpu_is_free(tmp_path):
    order = []
    with claim_gpu(["0"], tmp_path) as index:
        assert index == 0

        def wait_for_it():
            with claim_gpu(["0"], tmp_path, poll_seconds=0.01):
                order.append("second")

        waiter = threading.Thread(target=wait_for_it)
        waiter.start()
        time.sleep(0.2)
        order.append("first released")
    waiter.join(timeout=5)
    assert order == ["first released", "second"]


def test_concurrent_processes_never_share_a_gpu(fake_gpus, tmp_path):
    fake_gpus(2)
    record = tmp_path / "record.txt"
    script = textwrap.dedent(
        f"""
        from nsa.train.devices import hold_device
        hold_device(1.0, {str(record)!r})
        """
    )
    jobs = [subprocess.Popen([sys.executable, "-c", script], cwd=ROOT) for _ in range(3)]
    assert [job.wait(timeout=60) for job in jobs] == [0, 0, 0]
    spans = [line.split() for line in record.read_text().splitlines()]
    assert len(spans) == 3 and {device for device, _, _ in spans} <= {"cuda:0", "cuda:1"}
    for device in ("cuda:0", "cuda:1"):
        mine = sorted((float(s), float(e)) for d, s, e in spans if d == device)
        assert all(end <= start for (_, end), (start, _) in zip(mine, mine[1:], strict=False))


def test_hold_device_records_device_and_times(fake_gpus, tmp_path):
    fake_gpus(1)
    record = tmp_path / "record.txt"
    assert hold_device(0.05, record) == "cuda:0"
    device, start, end = record.read_text().split()
    assert device == "cuda:0" and float(end) - float(start) >= 0.05
