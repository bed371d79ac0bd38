# Settings and job descriptions shared by every rule: the profile is validated here, before
# any job starts, and each rule looks its jobs up in JOBS.

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir).parent))
# Jobs run `python -m nsa ...` with the Python that runs Snakemake. It is put first on PATH
# rather than into the commands, so that another virtual environment does not make every
# job's command, and so every output, look out of date.
os.environ["PATH"] = os.pathsep.join((str(Path(sys.executable).parent), os.environ["PATH"]))

from nsa.config import load_profile
from nsa.data import check_obtainable
from nsa.layout import Layout
from nsa.pipeline import build_jobs, final_products, fingerprint


PARAMS = config.get("params", "params.yaml")
PROFILE = load_profile(config.get("profile", "paper"), PARAMS)
LAYOUT = Layout.for_profile(PROFILE)
JOBS = {(job.stage, job.name): job for job in build_jobs(PROFILE, PARAMS)}
THREADS = PROFILE.threads or 1


def job(stage, name):
    """The job description behind a rule instance."""
    return JOBS[(stage, name)]


def command(stage, name):
    """The job's command line, exactly as dvc.yaml has it."""
    return " ".join(job(stage, name).command)


onstart:
    # Before any job runs (not in dry runs): every dataset can be found or downloaded.
    for dataset in (*PROFILE.data.in_distribution, PROFILE.data.ood):
        check_obtainable(dataset, PROFILE.data, LAYOUT)
