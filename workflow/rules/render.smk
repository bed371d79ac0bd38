# Tables, figures and the report, each from the evaluations it shows.


rule render_table:
    input:
        lambda w: job("render", f"table-{w.name}").inputs,
    output:
        tex=str(LAYOUT.table("{name}", "tex")),
        md=str(LAYOUT.table("{name}", "md")),
    params:
        command=lambda w: command("render", f"table-{w.name}"),
    log:
        str(LAYOUT.log("render", "table-{name}")),
    shell:
        "{params.command} > {log} 2>&1"


rule render_figure:
    input:
        lambda w: job("render", f"figure-{w.name}").inputs,
    output:
        pdf=str(LAYOUT.figure("{name}", "pdf")),
        png=str(LAYOUT.figure("{name}", "png")),
    params:
        settings=lambda w: fingerprint(job("render", f"figure-{w.name}")),
        command=lambda w: command("render", f"figure-{w.name}"),
    log:
        str(LAYOUT.log("render", "figure-{name}")),
    shell:
        "{params.command} > {log} 2>&1"


rule render_report:
    input:
        job("render", "report").inputs,
    output:
        str(LAYOUT.report),
    params:
        command=command("render", "report"),
    log:
        str(LAYOUT.log("render", "report")),
    shell:
        "{params.command} > {log} 2>&1"
