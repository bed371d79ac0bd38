# One command each: `make smoke` sets up and runs the main job on the smoke profile;
# `make test` sets up and runs the tests. VENV=path picks another virtual environment.
VENV ?= .venv
ACTIVATE = . $(VENV)/bin/activate && export DVC_NO_ANALYTICS=1

.PHONY: setup smoke paper test lint dvc-yaml

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml scripts/setup.sh
	bash scripts/setup.sh $(VENV)
	touch $@

smoke: setup
	$(ACTIVATE) && snakemake all --cores 2 --config profile=smoke

paper: setup
	$(ACTIVATE) && snakemake all --cores 8 --resources gpu=$${GPUS:-1}

test: setup
	$(ACTIVATE) && ruff format --check . && ruff check . && pytest

lint: setup
	$(ACTIVATE) && ruff format --check . && ruff check . && snakemake --lint --config profile=smoke

dvc-yaml: setup
	$(ACTIVATE) && python -m nsa pipeline dvc
