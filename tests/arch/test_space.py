"""The architecture space: seeded random DAGs, the residual DAG, validation."""

import json

import numpy as np
import pytest

from nsa.arch import Architecture, random_architecture, residual_architecture

# Stage 1 of seed 1 (p = 0.7, 8 nodes): rows feed nodes 0..7 and the stage output.
SEED_1_STAGE_1 = (
    (1, 0, 0, 0, 0, 0, 0, 0, 0),
    (0, 1, 0, 0, 0, 0, 0, 0, 0),
    (0, 0, 1, 0, 0, 0, 0, 0, 0),
    (0, 0, 1, 1, 0, 0, 0, 0, 0),
    (0, 1, 0, 1, 1, 0, 0, 0, 0),
    (0, 1, 0, 0, 0, 1, 0, 0, 0),
    (0, 0, 0, 0, 0, 0, 1, 0, 0),
    (0, 0, 0, 0, 0, 1, 0, 1, 0),
    (0, 1, 0, 0, 1, 0, 1, 1, 1),
)

RESIDUAL_4 = (
    (1, 0, 0, 0, 0),
    (0, 1, 0, 0, 0),
    (1, 0, 1, 0, 0),
    (0, 0, 0, 1, 0),
    (1, 0, 1, 0, 1),
)


def test_seed_one_is_the_golden_architecture():
    arch = random_architecture(1)
    assert arch.name == "seed-1"
    assert (arch.seed, arch.p, arch.nodes) == (1, 0.7, 8)
    assert arch.stages[0] == SEED_1_STAGE_1
    assert arch.num_edges() == (18, 20, 24)


def test_matrices_follow_the_generator_rule():
    state = np.random.RandomState(7)
    arch = random_architecture(7, p=0.6, nodes=5)
    for matrix in arch.stages:
        uniforms = state.rand(6, 6)
        for i in range(6):
            for j in range(6):
                expected = 1 if i == j else int(i > j and uniforms[i, j] > 0.6)
                assert matrix[i][j] == expected


def test_same_seed_same_matrices_and_seeds_one_to_five_differ():
    assert random_architecture(3) == random_architecture(3)
    assert hash(random_architecture(3)) == hash(random_architecture(3))
    stages = [random_architecture(seed).stages for seed in range(1, 6)]
    assert len(set(stages)) == 5


def test_every_node_keeps_its_chain_input_and_reads_only_earlier_tensors():
    for seed in range(20):
        for matrix in random_architecture(seed, nodes=6).stages:
            array = np.array(matrix)
            assert np.all(np.diag(array) == 1)
            assert np.all(np.triu(array, k=1) == 0)


def test_skip_edges_appear_with_probability_one_minus_p():
    below = np.tri(9, k=-1, dtype=bool)
    edges = [np.array(m)[below] for seed in range(1000) for m in random_architecture(seed).stages]
    assert abs(np.mean(edges) - 0.3) < 0.01


def test_p_zero_keeps_every_edge():
    arch = random_architecture(5, p=0.0, nodes=4)
    assert all(np.array_equal(np.array(m), np.tri(5, dtype=int)) for m in arch.stages)


def test_mixing_rows_are_means():
    arch = random_architecture(2, nodes=8)
    mixing = arch.mixing()
    assert mixing.dtype == np.float32
    assert mixing.shape == (3, 9, 9)
    np.testing.assert_allclose(mixing.sum(axis=2), np.ones((3, 9)), rtol=1e-6)
    adjacency = np.array(arch.stages)
    expected = adjacency / adjacency.sum(axis=2, keepdims=True)
    np.testing.assert_allclose(mixing, expected, rtol=1e-6)


def test_residual_architecture():
    arch = residual_architecture(nodes=4)
    assert (arch.name, arch.seed, arch.p) == ("residual", None, None)
    assert arch.stages == (RESIDUAL_4,) * 3
    # Row 4 (the stage output) averages the input and the two block outputs.
    np.testing.assert_allclose(arch.mixing()[0, 4], [1 / 3, 0, 1 / 3, 0, 1 / 3], rtol=1e-6)
    assert residual_architecture().num_edges() == (19, 19, 19)


def test_dict_round_trip_through_json():
    arch = random_architecture(11, p=0.5, nodes=3)
    restored = Architecture.from_dict(json.loads(json.dumps(arch.to_dict())))
    assert restored == arch
    assert restored.to_dict()["stages"][0] == [list(row) for row in arch.stages[0]]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"seed": -1}, "seed must be an integer in"),
        ({"seed": 1.5}, "seed must be an integer in"),
        ({"seed": True}, "seed must be an integer in"),
        ({"seed": 1, "p": 1.0}, r"p \(arch_p\) must be a number in \[0, 1\)"),
        ({"seed": 1, "p": -0.1}, r"p \(arch_p\) must be a number in \[0, 1\)"),
        ({"seed": 1, "nodes": 0}, "nodes must be an integer >= 1"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        random_architecture(**kwargs)


def with_stage(matrix, nodes=2):
    """A dict describing an architecture whose first stage is `matrix`."""
    chain = [[1 if i == j else 0 for j in range(nodes + 1)] for i in range(nodes + 1)]
    return {
        "name": "custom",
        "seed": None,
        "p": None,
        "nodes": nodes,
        "stages": [matrix, chain, chain],
    }


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        ([[1, 0, 0], [0, 1, 0], [0, 0, 0]], "row 2 is empty"),
        ([[1, 0, 0], [1, 0, 0], [0, 0, 1]], "row 1 must read its chain input o_1"),
        ([[1, 1, 0], [0, 1, 0], [0, 0, 1]], "row 0 reads a later tensor"),
        ([[1, 0, 0], [2, 1, 0], [0, 0, 1]], "row 1 has entries other than 0 and 1"),
        ([[1, 0], [0, 1]], "must be 3x3 for nodes=2"),
    ],
)
def test_invalid_matrices_are_rejected(matrix, message):
    with pytest.raises(ValueError, match=f"architecture 'custom' stage 0: {message}"):
        Architecture.from_dict(with_stage(matrix))


def test_three_stages_are_required():
    data = with_stage([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    data["stages"] = data["stages"][:2]
    with pytest.raises(ValueError, match="stages must be a tuple of 3 matrices, got 2"):
        Architecture.from_dict(data)


def test_stages_must_be_hashable_tuples():
    chain = ((1, 0), (0, 1))
    with pytest.raises(ValueError, match="stage 1: must be a tuple of row tuples"):
        Architecture("lists", None, None, 1, (chain, [[1, 0], [0, 1]], chain))
