# Settings and job descriptions shared by every rule: the profile is validated here, before
# any job starts, and each rule looks its jobs up in JOBS.

import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir).parent))

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
    """The job's command, run with the Python that runs Snakemake."""
    return " ".join((sys.executable,) + job(stage, name).command[1:])


onstart:
    # Before any job runs (not in dry runs): every dataset can be found or downloaded.
    for dataset in (*PROFILE.data.in_distribution, PROFILE.data.ood):
        check_obtainable(dataset, PROFILE.data, LAYOUT)
