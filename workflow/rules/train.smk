# Train one experiment; rerunning after a crash resumes from its newest good checkpoint.


rule train:
    input:
        lambda w: job("train", w.experiment).inputs,
    output:
        model=str(LAYOUT.model("{experiment}")),
        curves=directory(str(LAYOUT.train_log("{experiment}"))),
    params:
        settings=lambda w: fingerprint(job("train", w.experiment)),
        command=lambda w: command("train", w.experiment),
    log:
        str(LAYOUT.log("train", "{experiment}")),
    benchmark:
        str(LAYOUT.log("train", "{experiment}")) + ".benchmark.tsv"
    threads: THREADS
    resources:
        gpu=1,
    shell:
        "{params.command} > {log} 2>&1"
