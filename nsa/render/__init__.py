"""Rendering: the paper's two tables, its figures and a claim-by-claim report from metrics."""
