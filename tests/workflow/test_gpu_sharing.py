"""Under `--resources gpu=2`, concurrent Snakemake jobs never hold the same device."""

import textwrap

from workflow_runs import ROOT, run


def test_four_gpu_jobs_on_two_devices_never_overlap(tmp_path, monkeypatch):
    record = tmp_path / "claims.txt"
    (tmp_path / "Snakefile").write_text(
        textwrap.dedent(f"""
        import sys

        rule all:
            input: expand("done/{{job}}", job=range(4))

        rule hold:
            output: "done/{{job}}"
            resources: gpu=1
            shell:
                "{{sys.executable}} -m nsa gpu-probe --seconds 1.5 --record {record} "
                "&& touch {{output}}"
    """)
    )
    monkeypatch.setenv("NSA_FAKE_GPU_COUNT", "2")
    monkeypatch.setenv("NSA_GPU_LOCK_DIR", str(tmp_path / "locks"))
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    run(["snakemake", "all", "--cores", "4", "--resources", "gpu=2"], tmp_path)

    claims = [line.split() for line in record.read_text().splitlines()]
    assert len(claims) == 4
    intervals = [(device, float(start), float(end)) for device, start, end in claims]
    assert {device for device, _, _ in intervals} <= {"cuda:0", "cuda:1"}
    for i, (device_a, start_a, end_a) in enumerate(intervals):
        for device_b, start_b, end_b in intervals[i + 1 :]:
            if device_a == device_b:
                assert end_a <= start_b or end_b <= start_a, "two jobs shared a device"
    # Never more than two jobs at once: the gpu resource, not only the locks, paced them.
    for _, start, _ in intervals:
        running = sum(s <= start < e for _, s, e in intervals)
        assert running <= 2
