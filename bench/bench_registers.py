"""Benchmark of person registers at scale: 10k, 100k and 1M SYNTHETIC persons.

For each size N it runs, as the user would, each phase as its own process and measures wall
time and peak RSS (summed over the process and its children, sampled from /proc):

- generate   bench/synthetic_register.py N (the CSV)
- import     siberia-kg import register (CSV -> canonical N-Quads, rejects, privacy)
- build --no-store  SHACL validation of the records, Turtle and N-Triples dumps (the issue's
             target, with import)
- build      the same and the persistent store; its phases are taken from `build --timings`
- load store the store's bulk load on its own (in the build it runs beside the validation)
- restart    `siberia-kg serve` on the built folder: seconds until the first entity page
- queries    every sample query (queries/*.rq) on the persistent store
- pages      entity pages of register persons, requests/s at 32 connections

and, measured in the same run as baselines:

- naive      rdflib parse + pyshacl validation + rdflib Turtle/N-Triples dumps (N <= --naive-max)
- virtuoso   Debian's virtuoso-opensource-7: bulk load (ld_dir + rdf_loader_run) of the same
             N-Quads (each statement in its citation graph, the ontology in its own graph, as
             in our store), and the same sample queries over its HTTP endpoint, whose default
             graph is the union of all graphs as ours is. The number of answers of each query
             is compared with ours: a figure for different answers would measure nothing.

It prints one table (markdown) and writes it, with the machine's description, to --out.

    .venv/bin/python bench/bench_registers.py [--sizes 10000 100000 1000000] [--naive-max 100000]
        [--no-virtuoso] [--work DIR] [--out bench/RESULTS-registers.md]

Everything runs in --work (default: a temporary folder, removed at the end); nothing synthetic
is written into data/, registers/ or dist/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SIBERIA_KG = str(BIN / "siberia-kg")
QUERIES = sorted((ROOT / "queries").glob("*.rq"))
QUERY_LIMIT = 120.0  # seconds: a query past it is reported as "> limit", not waited for
AS_OF = "2026-11-22"  # fixed, so that the same registers are imported every run
PAGE_SECONDS = 15.0


# ------------------------------------------------------------------------------------------
# Processes: wall time and peak RSS of the whole process tree


def _tree_rss_kb(root: int) -> int:
    """RSS of root and all its descendants, in KiB (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{d}/statm") as f:
                rss[int(d)] = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(d))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total


def run(cmd: list[str], *, env: dict | None = None, timeout: float | None = None,
        cwd: Path | None = None) -> dict:
    """Run cmd; wall seconds, peak RSS of its process tree (MiB), its output."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         env={**os.environ, **(env or {})}, cwd=cwd)
    peak = 0
    out: list[bytes] = []
    reader = threading.Thread(target=lambda: out.append(p.stdout.read()), daemon=True)
    reader.start()
    while p.poll() is None:
        peak = max(peak, _tree_rss_kb(p.pid))
        if timeout is not None and time.perf_counter() - t0 > timeout:
            p.kill()
            break
        time.sleep(0.1)
    p.wait()
    reader.join()
    wall = time.perf_counter() - t0
    text = b"".join(out).decode("utf-8", "replace")
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}):\n{text[-3000:]}")
    return {"wall": wall, "rss_mb": peak / 1024, "output": text}


# ------------------------------------------------------------------------------------------
# Our pipeline


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 30.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def query_timings(dist: Path) -> tuple[dict[str, float | None], dict[str, int | bool]]:
    """Each sample query on the persistent store, in a child process (a runaway query cannot be
    interrupted in-process): seconds, or None past QUERY_LIMIT; and the answer of each (rows of
    a SELECT, triples of a CONSTRUCT, the boolean of an ASK) to compare with Virtuoso's."""
    script = (
        "import sys, time, json\n"
        "from pathlib import Path\n"
        "import pyoxigraph as ox\n"
        "from siberia_kg.store import GraphStore\n"
        "store = GraphStore.from_dist(Path(sys.argv[1]))\n"
        "for f in sys.argv[2:]:\n"
        "    t = time.perf_counter()\n"
        "    r = store.query(Path(f).read_text())\n"
        "    n = bool(r) if isinstance(r, ox.QueryBoolean) else sum(1 for _ in r)\n"
        "    print(json.dumps([Path(f).stem, time.perf_counter() - t, n]), flush=True)\n")
    results: dict[str, float | None] = {}
    answers: dict[str, int | bool] = {}
    todo = list(QUERIES)
    while todo:
        p = subprocess.Popen([sys.executable, "-c", script, str(dist), *map(str, todo)],
                             stdout=subprocess.PIPE, text=True)
        timer = threading.Timer(QUERY_LIMIT, p.kill)
        timer.start()
        for line in p.stdout:
            timer.cancel()
            name, sec, n = json.loads(line)
            results[name] = sec
            answers[name] = n
            todo.pop(0)
            timer = threading.Timer(QUERY_LIMIT, p.kill)
            timer.start()
        timer.cancel()
        p.wait()
        if todo and p.returncode != 0:  # killed past the limit, or failed: skip that query
            results[todo.pop(0).stem] = None
    return results, answers


def page_rate(url: str, slugs: list[str], seconds: float = PAGE_SECONDS,
              connections: int = 32) -> tuple[float, int]:
    """Entity pages (HTML) of register persons at `connections` concurrent connections:
    requests/s, and the number of answers other than 200."""
    import httpx

    stop = time.perf_counter() + seconds
    counts = [0] * connections
    bad = [0] * connections

    def worker(i: int) -> None:
        with httpx.Client(timeout=60) as c:
            k = i
            while time.perf_counter() < stop:
                r = c.get(f"{url}/id/person/{slugs[k % len(slugs)]}.html")
                counts[i] += 1
                bad[i] += r.status_code != 200
                k += connections

    t0 = time.perf_counter()
    with ThreadPoolExecutor(connections) as pool:
        list(pool.map(worker, range(connections)))
    return sum(counts) / (time.perf_counter() - t0), sum(bad)


def ours(n: int, work: Path, curated: Path) -> dict:
    slug = f"bench{n}"
    folder = work / slug
    folder.mkdir(parents=True, exist_ok=True)
    csv, registers, dist = folder / "register.csv", folder / "registers", folder / "dist"
    res: dict = {"n": n}
    res["generate"] = run([sys.executable, str(ROOT / "bench" / "synthetic_register.py"), str(n),
                           str(csv), "--seed", "1"])
    res["import"] = run([SIBERIA_KG, "import", "register", str(csv), "--source", slug, "--title",
                         f"SYNTHETIC benchmark register ({n:,} persons)", "--registers",
                         str(registers), "--dist", str(curated), "--as-of", AS_OF, "-q"])
    # The target: validated Turtle and N-Triples dumps, without the persistent store
    # (which serving needs and the full build below adds).
    dumps_only = folder / "dist-no-store"
    res["build_nostore"] = run([SIBERIA_KG, "build", "--no-store", "--registers", str(registers),
                                "--out", str(dumps_only)])
    shutil.rmtree(dumps_only)
    timings = folder / "timings.json"
    res["build"] = run([SIBERIA_KG, "build", "--registers", str(registers), "--out", str(dist),
                        "--timings", str(timings)])
    res["phases"] = {p["phase"]: p["seconds"] for p in json.loads(timings.read_text())}
    marker = json.loads((dist / ".siberia-kg-build").read_text())
    res["triples"] = marker["registers"][slug]["triples"]
    res["nt"] = dist / f"siberia-kg-register-{slug}.nt"
    res["curated_nt"] = dist / "siberia-kg.nt"
    res["nq"] = dist / f"siberia-kg-register-{slug}.nq"
    res["curated_nq"] = dist / "siberia-kg.nq"
    res["ontology"] = dist / "siberia-kg-ontology.ttl"
    # The store's bulk load on its own (in the build it runs beside the validation, at a lower
    # priority): the figure to set beside Virtuoso's bulk load of the same statements.
    files = [(res["curated_nq"], "nquads", None),
             (res["ontology"], "turtle", "https://w3id.org/siberia-kg/ontology"),
             (res["nq"], "nquads", None)]
    alone = folder / "store-alone"
    res["load_alone"] = run([sys.executable, "-c",
                             "import json, sys; from siberia_kg.store.bulk import StoreLoad; "
                             "a = json.loads(sys.argv[2]); "
                             "StoreLoad(sys.argv[1], [tuple(f) for f in a], nice=0).result()",
                             str(alone), json.dumps([[str(p), f, g] for p, f, g in files])])
    shutil.rmtree(alone)

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    t0 = time.perf_counter()
    server = subprocess.Popen([SIBERIA_KG, "serve", "--out", str(dist), "--registers",
                               str(registers), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        person = f"register-{slug}-syn-0000001"
        while True:
            try:
                if get(f"{url}/id/person/{person}.html", timeout=5) == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.perf_counter() - t0 > 120:
                raise RuntimeError("the server did not start")
            time.sleep(0.05)
        res["restart"] = time.perf_counter() - t0
        slugs = [f"register-{slug}-syn-{i:07d}" for i in range(1, min(n, 5000) + 1, 7)]
        res["pages"] = page_rate(url, slugs)
    finally:
        server.terminate()
        server.wait(30)
    res["queries"], res["answers"] = query_timings(dist)
    return res


# ------------------------------------------------------------------------------------------
# Baselines


NAIVE = (
    "import sys, time, json\n"
    "from rdflib import Graph\n"
    "from siberia_kg.config import Settings\n"
    "from siberia_kg.build import load_ontology, load_shapes\n"
    "from siberia_kg.validate import run_shacl\n"
    "def say(**kw):\n"
    "    print('RESULT ' + json.dumps(kw), flush=True)\n"
    "t = time.perf_counter()\n"
    "g = Graph()\n"
    "for f in sys.argv[1:3]:\n"
    "    g.parse(f, format='nt')\n"
    "say(parse=time.perf_counter() - t, triples=len(g))\n"
    "s = Settings()\n"
    "t = time.perf_counter()\n"
    "v = run_shacl(g, load_shapes(s), load_ontology(s), accelerate=False)\n"
    "say(validate=time.perf_counter() - t, violations=len(v))\n"
    "t = time.perf_counter()\n"
    "g.serialize(sys.argv[3] + '.ttl', format='turtle')\n"
    "g.serialize(sys.argv[3] + '.nt', format='nt')\n"
    "say(dump=time.perf_counter() - t)\n")
NAIVE_LIMIT = 900.0  # seconds for the whole naive run; what did not finish is reported so


def naive(res: dict, work: Path, limit: float = NAIVE_LIMIT) -> dict:
    """rdflib + pyshacl as a user without this project would run them; stopped at `limit`."""
    out: dict = {"limit": limit}
    t0 = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-c", NAIVE, str(res["curated_nt"]), str(res["nt"]),
                          str(work / f"naive{res['n']}")], stdout=subprocess.PIPE, text=True)
    peak = 0
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(p.stdout), daemon=True)
    reader.start()
    while p.poll() is None:
        peak = max(peak, _tree_rss_kb(p.pid))
        if time.perf_counter() - t0 > limit:
            p.kill()
            out["stopped"] = True
            break
        time.sleep(0.2)
    p.wait()
    reader.join(5)
    for line in lines:
        if line.startswith("RESULT "):
            out.update(json.loads(line[len("RESULT "):]))
    out["wall"] = time.perf_counter() - t0
    out["rss_mb"] = peak / 1024
    return out


def virtuoso(res: dict, work: Path) -> dict:
    sys.path.insert(0, str(ROOT / "tests" / "publish"))
    from virtuoso import USER, PASSWORD, start_virtuoso  # the tests' throw-away Virtuoso

    folder = work / f"virtuoso{res['n']}"
    # Buffers for ~4 GB, as virtuoso.ini recommends for that much memory
    v = start_virtuoso(folder, {"NumberOfBuffers": 340000, "MaxDirtyBuffers": 250000,
                                "MaxQueryExecutionTime": int(QUERY_LIMIT)})
    try:
        # The same quads as our store: each statement in its citation graph (the N-Quads
        # dumps; the few statements outside any graph go to a graph of their own, since
        # Virtuoso has no unnamed graph) and the ontology in its graph.
        quads, onto = folder / "load", folder / "load-ontology"
        quads.mkdir()
        onto.mkdir()
        for f in (res["curated_nq"], res["nq"]):
            os.link(f, quads / f.name)
        os.link(res["ontology"], onto / res["ontology"].name)
        sql = (f"ld_dir('{quads}', '*.nq', 'https://w3id.org/siberia-kg/id/dataset/siberia-kg'); "
               f"ld_dir('{onto}', '*.ttl', 'https://w3id.org/siberia-kg/ontology'); "
               "rdf_loader_run(); checkpoint;")
        isql = shutil.which("isql-vt") or "isql-vt"
        load = run([isql, str(v.sql_port), USER, PASSWORD, f"exec={sql}"])
        out = {"load": load["wall"], "rss_mb": _tree_rss_kb(v.process.pid) / 1024}
        # every quad loaded, or the figures below would be for less data than ours
        from rdflib import Graph

        expected = (res["curated_nq"].read_bytes().count(b"\n") + res["triples"]
                    + len(Graph().parse(res["ontology"])))
        count = json.loads(_virtuoso_post(
            v.sparql, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
                      "FILTER(STRSTARTS(STR(?g), 'https://w3id.org/siberia-kg/')) }")[0])
        loaded = int(count["results"]["bindings"][0]["n"]["value"])
        if loaded != expected:
            raise RuntimeError(f"Virtuoso loaded {loaded:,} quads of {expected:,}:\n{load['output'][-2000:]}")
        queries: dict[str, float | None] = {}
        answers: dict[str, int | bool | str] = {}
        for q in QUERIES:
            t = time.perf_counter()
            try:
                data, headers = _virtuoso_post(
                    v.sparql, q.read_text(), "application/sparql-results+json, text/turtle;q=0.9")
                partial = headers.get("X-SQL-State", "") == "S1TAT"
                kind = headers.get("Content-Type", "")
                sec = time.perf_counter() - t
                queries[q.stem] = None if partial else sec
                answers[q.stem] = "stopped at the limit" if partial else _count_answers(data, kind)
            except urllib.error.HTTPError as e:
                queries[q.stem] = None
                first = e.read().decode("utf-8", "replace").strip().splitlines()[:1]
                answers[q.stem] = (f"refused after {time.perf_counter() - t:.1f} s: HTTP {e.code} "
                                   f"{first[0][:120] if first else ''}").strip()
            except OSError as e:
                queries[q.stem] = None
                answers[q.stem] = f"failed after {time.perf_counter() - t:.1f} s: {e}"
        out["queries"] = queries
        out["answers"] = answers
        return out
    finally:
        v.stop()


def _virtuoso_post(endpoint: str, query: str, accept: str = "application/sparql-results+json"):
    """The body and headers of Virtuoso's answer to a query (HTTPError if it refuses it)."""
    body = urllib.parse.urlencode({"query": query}).encode()
    req = urllib.request.Request(endpoint, data=body, headers={
        "Accept": accept, "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(req, timeout=QUERY_LIMIT + 30) as r:
        return r.read(), r.headers


def _count_answers(data: bytes, content_type: str) -> int | bool:
    """Rows of a SELECT, the boolean of an ASK (SPARQL JSON), or triples of a CONSTRUCT."""
    if "json" in content_type:
        doc = json.loads(data)
        return doc["boolean"] if "boolean" in doc else len(doc["results"]["bindings"])
    from rdflib import Graph

    return len(Graph().parse(data=data.decode("utf-8"), format="turtle"))


# ------------------------------------------------------------------------------------------
# The table


def fmt_s(x: float | None) -> str:
    return "n/a" if x is None else (f"{x:.2f}" if x < 10 else f"{x:.0f}")


def ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or a <= 0:
        return ""
    return f"x{b / a:.1f}"


def machine() -> str:
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}")


def table(results: list[dict]) -> str:
    rows = ["| N | phase | wall s | peak RSS MiB | throughput (queries: answers) | baseline s | ratio |",
            "|---:|---|---:|---:|---|---:|---:|"]
    for r in results:
        n = f"{r['n']:,}"
        t = r["triples"]

        def add(phase, wall, rss="", thr="", base=None, rat=""):
            rows.append(f"| {n} | {phase} | {fmt_s(wall)} | {rss} | {thr} | "
                        f"{fmt_s(base) if base is not None else ''} | {rat} |")

        add("generate CSV", r["generate"]["wall"], f"{r['generate']['rss_mb']:.0f}",
            f"{r['n'] / r['generate']['wall']:,.0f} rows/s")
        add("import", r["import"]["wall"], f"{r['import']['rss_mb']:.0f}",
            f"{r['n'] / r['import']['wall']:,.0f} rows/s")
        nv = r.get("naive")
        ph = r["phases"]
        finished = nv is not None and not nv.get("stopped")
        nost = r["build_nostore"]
        add("build --no-store (validate + Turtle and N-Triples dumps)", nost["wall"],
            f"{nost['rss_mb']:.0f}", f"{t / nost['wall']:,.0f} triples/s")
        add("**import + validate + dumps** (target: <= 180 s, <= 4096 MiB)",
            r["import"]["wall"] + nost["wall"],
            f"{max(r['import']['rss_mb'], nost['rss_mb']):.0f}", f"{t:,} triples")
        add("build (validate + dumps + store)", r["build"]["wall"], f"{r['build']['rss_mb']:.0f}",
            f"{t / r['build']['wall']:,.0f} triples/s",
            nv["wall"] if finished else None, ratio(r["build"]["wall"], nv["wall"]) if finished else
            (f"> x{nv['limit'] / r['build']['wall']:.0f}" if nv else ""))
        for name, sec in ph.items():
            base = nv.get("validate") if nv and name.startswith("validate") else None
            add(f"&nbsp;&nbsp;build phase: {name}", sec, "", "", base,
                ratio(sec, base) if base else "")
        if nv:
            parse = nv.get("parse")
            add("naive: rdflib parse", parse, "", f"{nv['triples'] / parse:,.0f} triples/s"
                if parse else "not finished")
            if "validate" in nv:
                add("naive: pyshacl validate", nv["validate"], "",
                    f"{nv['triples'] / nv['validate']:,.0f} triples/s")
            else:
                rows.append(f"| {n} | naive: pyshacl validate | > {nv['limit'] - (parse or 0):.0f} "
                            f"(stopped) | | | | |")
            if "dump" in nv:
                add("naive: rdflib Turtle + N-Triples dumps", nv["dump"])
            add("naive: whole run" + (" (stopped at the limit)" if nv.get("stopped") else ""),
                nv["wall"], f"{nv['rss_mb']:.0f}")
        total = r["import"]["wall"] + r["build"]["wall"]
        add("**import + validate + dumps + store**", total,
            f"{max(r['import']['rss_mb'], r['build']['rss_mb']):.0f}",
            f"{t:,} triples")
        vz = r.get("virtuoso")
        load = r["load_alone"]["wall"]
        add("load store (on its own)", load, f"{r['load_alone']['rss_mb']:.0f}",
            f"{t / load:,.0f} triples/s", vz["load"] if vz else None,
            ratio(load, vz["load"]) if vz else "")
        add("restart: serve to first page", r["restart"])
        rate, bad = r["pages"]
        add("entity pages, 32 connections", None, "", f"{rate:,.0f} req/s ({bad} not 200)")
        for q, sec in r["queries"].items():
            base = vz["queries"].get(q) if vz else None
            mine = r["answers"].get(q)
            theirs = vz["answers"].get(q) if vz else None
            note = _answers(mine)
            if vz and theirs != mine:  # a ratio of times for different answers means nothing
                note += f"; Virtuoso: {_answers(theirs)}"
                add(f"query {q}", sec, "", note, base, "answers differ")
            else:
                add(f"query {q}", sec, "", note, base, ratio(sec, base))
    return "\n".join(rows)


def _answers(n) -> str:
    if isinstance(n, bool):
        return str(n).lower()
    if isinstance(n, int):
        return f"{n:,} answers"
    return "none" if n is None else str(n)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--naive-max", type=int, default=100_000,
                    help="run the naive rdflib + pyshacl baseline up to this N")
    ap.add_argument("--naive-limit", type=float, default=NAIVE_LIMIT,
                    help="seconds after which a naive run is stopped (and reported as such)")
    ap.add_argument("--no-virtuoso", action="store_true", help="skip the Virtuoso baseline")
    ap.add_argument("--work", type=Path, default=None, help="working folder (default: temporary)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS-registers.md")
    args = ap.parse_args()

    tmp = None
    if args.work is None:
        tmp = tempfile.mkdtemp(prefix="siberia-kg-bench-")
        work = Path(tmp)
    else:
        work = args.work
        work.mkdir(parents=True, exist_ok=True)
    try:
        curated = work / "curated"
        run([SIBERIA_KG, "build", "--out", str(curated)])
        results = []
        for n in args.sizes:
            print(f"N = {n:,} ...", file=sys.stderr, flush=True)
            r = ours(n, work, curated)
            if n <= args.naive_max:
                print("  naive baseline ...", file=sys.stderr, flush=True)
                r["naive"] = naive(r, work, args.naive_limit)
            if not args.no_virtuoso and shutil.which("virtuoso-t"):
                print("  Virtuoso baseline ...", file=sys.stderr, flush=True)
                r["virtuoso"] = virtuoso(r, work)
            results.append(r)
            shutil.rmtree(work / f"bench{n}" / "dist" / "store", ignore_errors=True)
        text = (f"Machine: {machine()}; load average at the end "
                f"{os.getloadavg()[0]:.1f}.\n\n{table(results)}\n")
        print(text)
        args.out.write_text(f"# bench/bench_registers.py, {time.strftime('%Y-%m-%d %H:%M')}\n\n"
                            f"`{' '.join([Path(sys.executable).name, *sys.argv])}`\n\n{text}")
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    import urllib.error  # noqa: F401  (urllib.request does not import it by name)
    import urllib.parse  # noqa: F401

    main()
