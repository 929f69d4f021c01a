"""Benchmark of the build and of querying the curated graph.

Prints one table: each phase of the build (wall time, peak RSS growth), and each sample query
on the embedded store (pyoxigraph) against the same query on rdflib's in-memory graph, the
baseline, measured in the same run, with the ratio. Run:

    .venv/bin/python bench/bench_build.py [--repeat N]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from rdflib import Dataset  # noqa: E402

from siberia_kg.build import build, compile_graph  # noqa: E402
from siberia_kg.config import Settings  # noqa: E402
from siberia_kg.store import GraphStore  # noqa: E402
from siberia_kg.validate import run_shacl  # noqa: E402


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="runs per measurement (median is shown)")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(out_dir=Path(tmp) / "dist")
        r0 = rss_mb()
        t_compile, compiled = timed(lambda: compile_graph(settings), 1)
        rows.append(("load + check + derive", t_compile, rss_mb() - r0, f"{len(compiled.union)} triples"))
        t_shacl, violations = timed(lambda: run_shacl(compiled.union, compiled.shapes, compiled.ontology), 1)
        rows.append(("SHACL (pyshacl)", t_shacl, rss_mb() - r0,
                     f"{len(compiled.union) / t_shacl:,.0f} triples/s, {len(violations)} violations"))
        t_build, result = timed(lambda: build(settings), 1)
        rows.append(("whole build incl. dumps", t_build, rss_mb() - r0, f"{result.quads} quads"))

        t_ox_load, store = timed(lambda: GraphStore.from_dist(settings.out_dir), args.repeat)
        t_rdf_load, ds = timed(lambda: Dataset().parse(settings.out_dir / "siberia-kg.nq",
                                                        format="nquads"), 1)
        rows.append(("load dump: pyoxigraph", t_ox_load, None, f"rdflib baseline {t_rdf_load:.3f}s "
                     f"(x{t_rdf_load / t_ox_load:.1f})"))
        union = ds  # rdflib: default graph of a Dataset is not the union; query with a union graph
        from rdflib import ConjunctiveGraph
        cg = ConjunctiveGraph(store=ds.store)
        for q in sorted((ROOT / "queries").glob("*.rq")):
            text = q.read_text()
            t_ox, _ = timed(lambda: list(store.query(text)), args.repeat)
            try:
                t_rd, _ = timed(lambda: list(cg.query(text)), max(1, args.repeat // 2))
                note = f"rdflib {t_rd * 1000:.1f} ms (x{t_rd / t_ox:.1f})"
            except Exception as e:  # rdflib lacks a feature the query uses
                note = f"rdflib failed: {type(e).__name__}"
            rows.append((f"query {q.stem}", t_ox, None, note))
        del union
    print(f"{'phase':<48} {'wall':>10} {'+RSS MB':>8}  notes")
    print("-" * 110)
    for name, t, rss, note in rows:
        rss_s = f"{rss:8.1f}" if rss is not None else " " * 8
        wall = f"{t * 1000:8.1f}ms" if t < 1 else f"{t:9.2f}s"
        print(f"{name:<48} {wall:>10} {rss_s}  {note}")


if __name__ == "__main__":
    main()
