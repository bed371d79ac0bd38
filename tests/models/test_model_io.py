"""Saving and loading models."""

import pytest
import torch

from nsa.models import ModelFileError, load_model, save_model


def test_round_trip_keeps_spec_weights_and_extra(tmp_path, make_model, perturb):
    model = perturb(make_model("nsa-id"))
    path = tmp_path / "models" / "model.pt"
    save_model(path, model, {"epoch": 3, "metrics": {"error": 0.25}})

    loaded, extra = load_model(path)

    assert extra == {"epoch": 3, "metrics": {"error": 0.25}}
    assert loaded.spec == model.spec
    assert loaded.train_archs == model.train_archs
    for name, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[name], value), name
    x = torch.rand(3, 1, 28, 28)
    mix, member = model.bank().take(torch.tensor([2, 0, 1]))
    with torch.no_grad():
        torch.testing.assert_close(loaded.eval()(x, mix, member), model.eval()(x, mix, member))
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["model.pt"]


def test_unreadable_files_are_named(tmp_path, make_model):
    path = tmp_path / "model.pt"
    with pytest.raises(ModelFileError, match=f"model file {path} does not exist"):
        load_model(path)

    save_model(path, make_model("wrn"), {})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match=f"model file {path} is unreadable or truncated"):
        load_model(path)

    path.write_bytes(b"not a model")
    with pytest.raises(ModelFileError, match=str(path)):
        load_model(path)

    torch.save({"format": "something-else"}, path)
    with pytest.raises(ModelFileError, match="is not an nsa-model/1 model file"):
        load_model(path)


def test_weights_must_match_the_spec(tmp_path, make_model):
    path = tmp_path / "model.pt"
    save_model(path, make_model("nsa-i"), {})
    payload = torch.load(path, weights_only=True)
    payload["spec"]["variant"] = "nsa-id"
    torch.save(payload, path)
    with pytest.raises(ModelFileError, match="does not match its spec"):
        load_model(path)
