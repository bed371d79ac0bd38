import json

from nsa.train.logbook import Logbook, read_history


def metrics(epoch: int) -> dict:
    return {"epoch": epoch, "train/loss": 1.0 / (epoch + 1), "lr": 0.1, "seconds": 2.5}


def tsv_steps(directory) -> list[int]:
    lines = (directory / "plots" / "metrics" / "train" / "loss.tsv").read_text().splitlines()
    return [int(line.split("\t")[0]) for line in lines[1:]]


def test_history_and_dvclive_agree(tmp_path):
    with Logbook(tmp_path, {"train": {"lr": 0.1}}, start_epoch=0) as book:
        for epoch in range(3):
            book.record(metrics(epoch))
    assert [r["epoch"] for r in read_history(tmp_path / "history.jsonl")] == [0, 1, 2]
    assert tsv_steps(tmp_path) == [0, 1, 2]
    summary = json.loads((tmp_path / "metrics.json").read_text())
    assert summary["step"] == 2 and summary["train"]["loss"] == 1.0 / 3
    assert "lr: 0.1" in (tmp_path / "params.yaml").read_text()


def test_resume_drops_epochs_after_the_checkpoint(tmp_path):
    with Logbook(tmp_path, {}, start_epoch=0) as book:
        for epoch in range(3):
            book.record(metrics(epoch))
    # Crash after epoch 2 was logged but before its checkpoint: training resumes at epoch 2.
    with Logbook(tmp_path, {}, start_epoch=2) as book:
        assert [r["epoch"] for r in book.records] == [0, 1]
        book.record(metrics(2))
        book.record(metrics(3))
    assert [r["epoch"] for r in read_history(tmp_path / "history.jsonl")] == [0, 1, 2, 3]
    assert tsv_steps(tmp_path) == [0, 1, 2, 3]


def test_line_cut_short_by_a_crash_is_dropped(tmp_path):
    path = tmp_path / "history.jsonl"
    path.write_text(json.dumps(metrics(0)) + "\n" + '{"epoch": 1, "train/lo')
    with Logbook(tmp_path, {}, start_epoch=5) as book:
        assert [r["epoch"] for r in book.records] == [0]
    assert path.read_text() == json.dumps(metrics(0), sort_keys=True) + "\n"
