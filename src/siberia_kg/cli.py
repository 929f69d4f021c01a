"""The siberia-kg command line: each command is a thin call into a module."""

from __future__ import annotations

from .fsutil import atomic_write

import sys
from pathlib import Path

import click

from . import __version__
from .config import Settings, settings_from
from .load import DataError

EXIT_INVALID = 1


def _settings(base, out, data=None, registers=None, include_withheld=False,
              store=None) -> Settings:
    try:
        return settings_from(base=base, out=out, data=data, registers=registers,
                             include_withheld=include_withheld, store=store)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--base") from e


def _fail_data(e: DataError) -> None:
    click.echo(f"error: the data cannot be built ({len(e.problems)} problem(s)):", err=True)
    for p in e.problems:
        click.echo(f"  {p}", err=True)
    sys.exit(EXIT_INVALID)


def _fail_violations(violations) -> None:
    click.echo(f"error: {len(violations)} SHACL violation(s); nothing was written:", err=True)
    for v in violations:
        click.echo(f"  {v}", err=True)
    sys.exit(EXIT_INVALID)


def ensure_built(settings: Settings, quiet: bool = False) -> None:
    """Build when dist/ is missing or older than its inputs, so queries never run on stale dumps."""
    from .build import ValidationFailed, build, is_current

    if is_current(settings):
        return
    if not quiet:
        click.echo(f"building {settings.out_dir} (missing or out of date)...", err=True)
    try:
        build(settings)
    except DataError as e:
        _fail_data(e)
    except ValidationFailed as e:
        _fail_violations(e.violations)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="siberia-kg")
def main() -> None:
    """siberia-kg: the knowledge graph of the Japanese prisoners of war and internees held in the
    Soviet Union and Mongolia, 1945-1956.

    Settings may also come from the environment: SIBERIA_KG_BASE (base IRI), SIBERIA_KG_DIST
    (output folder), SIBERIA_KG_DATA (data folder), SIBERIA_KG_ROOT (checkout with data/ and
    ontology/), SIBERIA_KG_REGISTERS (folder of imported person registers), SIBERIA_KG_STORE=1
    (write the persistent store even without registers).
    """


base_option = click.option("--base", metavar="IRI", default=None,
                           help="Base IRI of entity IRIs (default https://w3id.org/siberia-kg/).")
out_option = click.option("--out", metavar="DIR", type=click.Path(file_okay=False), default=None,
                          help="Folder of the built dumps (default: dist/).")
registers_option = click.option(
    "--registers", metavar="DIR", type=click.Path(file_okay=False), default=None,
    help="Folder of imported person registers, one REGISTERS/<SLUG>/ each (default: registers/, "
         "env SIBERIA_KG_REGISTERS).")
withheld_option = click.option(
    "--include-withheld", is_flag=True, default=False,
    help="Include the complete records of people who may be alive (each register's withheld.nq). "
         "Never for a public build; a build without it replaces one made with it.")


@main.command()
@base_option
@out_option
@click.option("--data", metavar="DIR", type=click.Path(file_okay=False, exists=True), default=None,
              help="Folder of curated TriG files (default: data/).")
@registers_option
@withheld_option
@click.option("--store/--no-store", "store", default=None,
              help="Write the persistent store dist/store/ even without registers, or not even "
                   "with them (default: with registers only). Without it, serve, query and stats "
                   "load the dumps into memory at every start.")
@click.option("--timings", metavar="FILE", type=click.Path(dir_okay=False), default=None,
              help="Write the wall time of each phase of the build as JSON to FILE ('-' for "
                   "standard error); phases that run side by side overlap.")
def build(base, out, data, registers, include_withheld, store, timings) -> None:
    """Load ontology and data, validate with SHACL, and only if valid write the dumps.

    Writes siberia-kg.ttl, .nt, .jsonld, .rdf (all statements), .trig and .nq (one named graph
    per citation), siberia-kg-ontology.ttl and void.ttl (VoID + DCAT with sizes and SHA-256).
    Each imported person register (registers/<SLUG>/) is validated and written as
    siberia-kg-register-<SLUG>.nq, .nt and .ttl, and everything is loaded into the persistent
    store dist/store/ that serve, query and stats open without parsing (loaded last, at a lower
    CPU priority, after the validation's verdict and the dumps). Records of people who
    may be alive keep their details out unless --include-withheld is given.
    The folder is replaced whole at the end, so a failed build leaves the previous one intact.
    """
    from .build import ValidationFailed, build as do_build

    settings = _settings(base, out, data, registers, include_withheld, store)
    try:
        result = do_build(settings)
    except DataError as e:
        _fail_data(e)
    except ValidationFailed as e:
        _fail_violations(e.violations)
    click.echo(f"valid: {result.triples} triples, {result.quads} quads in {result.graphs} "
               f"citation graphs")
    for r in result.registers:
        click.echo(f"register {r['slug']}: {r['triples']} triples, {r['entities']} entities")
    for f in result.files:
        click.echo(f"  {result.out_dir / f['name']}  {f['size']:>9} bytes  sha256 {f['sha256'][:16]}")
    if result.store is not None:
        click.echo(f"  {result.store}/  persistent store (curated, ontology and registers)")
    if timings:
        import json

        text = json.dumps([{"phase": name, "seconds": round(sec, 3)}
                           for name, sec in result.phases], indent=1) + "\n"
        if timings == "-":
            click.echo(text, err=True, nl=False)
        else:
            Path(timings).write_text(text)


@main.command()
@base_option
@click.option("--data", metavar="DIR", type=click.Path(file_okay=False, exists=True), default=None,
              help="Folder of curated TriG files (default: data/).")
def validate(base, data) -> None:
    """Check the data and run the SHACL shapes; print each violation with its focus node, path,
    message and data file. Exit code 1 when anything is wrong."""
    from .build import check

    settings = _settings(base, None, data)
    try:
        compiled, violations = check(settings)
    except DataError as e:
        _fail_data(e)
    if violations:
        _fail_violations(violations)
    click.echo(f"valid: {len(compiled.union)} triples conform to "
               f"{settings.shapes_file.name}")


@main.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, exists=True))
@click.option("-q", "--query", "text", metavar="TEXT", help="Query text instead of a FILE.")
@click.option("--endpoint", metavar="URL", help="Run on this SPARQL endpoint instead of the built graph.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json", "ttl"]),
              default="table", show_default=True, help="Output format (ttl for CONSTRUCT/DESCRIBE).")
@click.option("--timeout", type=float, default=60.0, show_default=True,
              help="Seconds to wait for a remote endpoint.")
@base_option
@out_option
@registers_option
@withheld_option
def query(file, text, endpoint, fmt, timeout, base, out, registers, include_withheld) -> None:
    """Run a SPARQL query (FILE.rq or -q TEXT) on the built graph (building it if needed), whose
    default graph is the union of all citation graphs, or on a remote --endpoint."""
    from .query import format_result, read_query_file, run_local, run_remote
    from .store import GraphStore, QueryError

    if bool(file) == bool(text):
        raise click.UsageError("give exactly one of FILE or -q TEXT")
    sparql = read_query_file(file) if file else text
    settings = _settings(base, out, registers=registers, include_withheld=include_withheld)
    try:
        if endpoint:
            result = run_remote(endpoint, sparql, timeout=timeout)
        else:
            ensure_built(settings)
            result = run_local(GraphStore.from_dist(settings.out_dir), sparql)
        click.echo(format_result(result, fmt, settings.base), nl=False)
    except QueryError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(EXIT_INVALID)


@main.command()
@base_option
@out_option
@registers_option
@withheld_option
def stats(base, out, registers, include_withheld) -> None:
    """Counts of entities by class, statements by source document and labels by language."""
    from .query import _short
    from .namespaces import all_prefixes
    from .stats import compute, render
    from .store import GraphStore

    settings = _settings(base, out, registers=registers, include_withheld=include_withheld)
    ensure_built(settings)
    prefixes = all_prefixes(settings.base)
    click.echo(render(compute(GraphStore.from_dist(settings.out_dir)),
                      lambda iri: _short(__import__("rdflib").URIRef(iri), prefixes)), nl=False)


@main.command()
@click.argument("what", type=click.Choice(["geojson", "csv"]))
@click.option("-o", "--output", metavar="PATH", default=None,
              help="geojson: file (default: stdout); csv: folder (default: exports/csv).")
@base_option
@out_option
def export(what, output, base, out) -> None:
    """Export places and camps as GeoJSON (opens in QGIS), or one CSV table per class."""
    from .export import csv_tables, geojson
    from .store import GraphStore

    settings = _settings(base, out)
    ensure_built(settings)
    store = GraphStore.from_dist(settings.out_dir)
    if what == "geojson":
        text = geojson(store)
        if output:
            atomic_write(Path(output), text.encode("utf-8"))
            click.echo(f"wrote {output}", err=True)
        else:
            click.echo(text, nl=False)
        return
    folder = Path(output) if output else settings.root / "exports" / "csv"
    tables = csv_tables(store, settings.base)
    for name, text in tables.items():
        atomic_write(folder / name, text.encode("utf-8"))
    click.echo(f"wrote {len(tables)} tables to {folder}", err=True)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=8000, show_default=True, help="Port to listen on.")
@click.option("--sparql-timeout", type=float, default=None,
              help="Seconds before a SPARQL query is stopped (default 10, env SIBERIA_KG_SPARQL_TIMEOUT).")
@click.option("--workers", "sparql_workers", type=int, default=None,
              help="Processes running SPARQL queries (default 2, env SIBERIA_KG_SPARQL_WORKERS).")
@base_option
@out_option
@registers_option
@withheld_option
def serve(host, port, sparql_timeout, sparql_workers, base, out, registers,
          include_withheld) -> None:
    """Serve the built graph as linked data (building it first if dist/ is missing or stale):
    dereferenceable IRIs, HTML pages, a read-only SPARQL 1.1 endpoint at /sparql, and the dumps.

    The public base IRI comes from --base or SIBERIA_KG_BASE, never from the Host header: the
    server answers for {base}id/... at /id/... on whatever host and port it runs.

    With a persistent store (dist/store/, written whenever there are registers) the server opens
    it in milliseconds, whatever its size. A rebuild while the server runs does not disturb it:
    it goes on serving the graph it started with (its files are held by hard links beside
    dist/) until it is restarted.
    """
    from .web.config import ServerConfig
    from .web.server import run

    settings = _settings(base, out, registers=registers, include_withheld=include_withheld)
    ensure_built(settings)
    config = ServerConfig.from_env(host=host, port=port, sparql_timeout=sparql_timeout,
                                   sparql_workers=sparql_workers)
    run(settings, config)


def _register_subgroups() -> None:
    from .importers.commands import import_group
    from .link.commands import link
    from .publish_cli import publish

    main.add_command(link)
    main.add_command(import_group)
    main.add_command(publish)


_register_subgroups()


if __name__ == "__main__":
    main()
