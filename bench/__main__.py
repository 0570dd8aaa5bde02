"""`python -m bench [name …]`: run the benchmarks (all by default) and print their figures."""
import sys

from bench import (
    bench_coverage,
    bench_h3,
    bench_ingest,
    bench_load,
    bench_patrols,
    bench_query,
    bench_routing,
    bench_ui,
)

BENCHES = {"h3": bench_h3.main, "ingest": bench_ingest.main, "query": bench_query.main, "ui": bench_ui.main,
           "load": bench_load.main, "routing": bench_routing.main,
           "coverage": bench_coverage.main, "patrols": bench_patrols.main}

for name in sys.argv[1:] or BENCHES:
    BENCHES[name]()
