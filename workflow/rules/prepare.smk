# Verify the raw files of a dataset and write its prepared arrays.


rule prepare:
    output:
        directory(str(LAYOUT.prepared("{dataset}"))),
    params:
        settings=lambda w: fingerprint(job("prepare", w.dataset)),
        command=lambda w: command("prepare", w.dataset),
    log:
        str(LAYOUT.log("prepare", "{dataset}")),
    benchmark:
        str(LAYOUT.log("prepare", "{dataset}")) + ".benchmark.tsv"
    shell:
        "{params.command} > {log} 2>&1"
