"""Drawings of stage DAGs."""

from matplotlib.figure import Figure

from nsa.arch import random_architecture, residual_architecture
from nsa.arch.plot import draw_architecture, plot_architecture, stage_edges


def test_stage_edges_map_matrix_entries_to_drawn_vertices():
    # Vertices: 0 = input, 1 and 2 = nodes 0 and 1, 3 = output.
    matrix = residual_architecture(nodes=2).stages[0]
    assert matrix == ((1, 0, 0), (0, 1, 0), (1, 0, 1))
    assert stage_edges(matrix) == [(0, 1), (1, 2), (0, 3), (2, 3)]


def test_plot_writes_png_and_pdf(tmp_path):
    arch = random_architecture(4)
    png = plot_architecture(arch, tmp_path / "arch.png")
    pdf = plot_architecture(arch, tmp_path / "sub" / "arch.pdf")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["arch.pdf", "arch.png"]


def test_draw_architecture_fills_three_axes():
    axes = Figure().subplots(1, 3)
    draw_architecture(residual_architecture(nodes=2), axes)
    assert [ax.get_title() for ax in axes] == [f"residual: stage {s} (4 edges)" for s in (1, 2, 3)]
    # One arrow per edge; four vertices (input, two nodes, output) in one scatter.
    assert [len(ax.patches) for ax in axes] == [4, 4, 4]
    assert [len(ax.collections[0].get_offsets()) for ax in axes] == [4, 4, 4]
