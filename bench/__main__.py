"""`python -m bench [name …]`: run the benchmarks (all by default) and print their figures."""
import sys

from bench import bench_h3, bench_ingest, bench_query

BENCHES = {"h3": bench_h3.main, "ingest": bench_ingest.main, "query": bench_query.main}

for name in sys.argv[1:] or BENCHES:
    BENCHES[name]()
