import json

from nsa.train.logbook import Logbook, read_history


def metrics(epoch: int) -> dict:
    return {"epoch": epoch, "train/loss": 1.0 / (epoch + 1), "lr": 0.1, "seconds": 2.5}


def tsv_steps(directory) -> list[int]:
    lines = (directory / "plots" / "metrics" / "train" / "loss.tsv").read_text().splitlines()
    return [int(line.split("\t")[0]) for line in lines[1:]]


def test_history_and_dvclive_agree(tmp_path):
    with Logbook(tmp_path, {"train": {"lr": 0.1}}, history=[]) as book:
        for epoch in range(3):
            book.record(metrics(epoch))
    assert read_history(tmp_path / "history.jsonl") == [metrics(e) for e in range(3)]
    assert tsv_steps(tmp_path) == [0, 1, 2]
    summary = json.loads((tmp_path / "metrics.json").read_text())
    assert summary["step"] == 2 and summary["train"]["loss"] == 1.0 / 3
    assert "lr: 0.1" in (tmp_path / "params.yaml").read_text()


def test_resume_rewrites_the_files_from_the_run_history(tmp_path):
    with Logbook(tmp_path, {}, history=[]) as book:
        for epoch in range(3):
            book.record(metrics(epoch))
    # A crash after epoch 2 was logged but before its checkpoint: the checkpoint's history
    # ends at epoch 1 and training resumes at epoch 2.
    with Logbook(tmp_path, {}, history=[metrics(0), metrics(1)]) as book:
        book.record(metrics(2))
        book.record(metrics(3))
    assert [r["epoch"] for r in read_history(tmp_path / "history.jsonl")] == [0, 1, 2, 3]
    assert tsv_steps(tmp_path) == [0, 1, 2, 3]


def test_deleted_folder_is_rebuilt(tmp_path):
    folder = tmp_path / "log"
    with Logbook(folder, {}, history=[metrics(0), metrics(1)]) as book:
        book.record(metrics(2))
    assert [r["epoch"] for r in read_history(folder / "history.jsonl")] == [0, 1, 2]
    assert tsv_steps(folder) == [0, 1, 2]


def test_line_cut_short_by_a_crash_ends_the_history(tmp_path, caplog):
    path = tmp_path / "history.jsonl"
    path.write_text(json.dumps(metrics(0)) + "\n" + '{"epoch": 1, "train/lo')
    assert read_history(path) == [metrics(0)]
    assert "line 2 is incomplete" in caplog.text
