# Evaluate a trained experiment under one protocol: metrics JSON plus per-example arrays.


rule evaluate:
    input:
        lambda w: job("evaluate", f"{w.protocol}-{w.experiment}").inputs,
    output:
        metrics=str(LAYOUT.metrics("{protocol}", "{experiment}")),
        arrays=str(LAYOUT.arrays("{protocol}", "{experiment}")),
    params:
        settings=lambda w: fingerprint(job("evaluate", f"{w.protocol}-{w.experiment}")),
        command=lambda w: command("evaluate", f"{w.protocol}-{w.experiment}"),
    log:
        str(LAYOUT.log("evaluate", "{protocol}-{experiment}")),
    benchmark:
        str(LAYOUT.log("evaluate", "{protocol}-{experiment}")) + ".benchmark.tsv"
    threads: THREADS
    resources:
        gpu=1,
    shell:
        "{params.command} > {log} 2>&1"
