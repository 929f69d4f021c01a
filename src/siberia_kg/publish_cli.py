"""`siberia-kg publish`: load the built graph into an external SPARQL 1.1 store."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .publish import (DEFAULT_CHUNK_TRIPLES, DEFAULT_RETRIES, DEFAULT_TIMEOUT, PublishError,
                      PublishOptions, build_dumps, default_workdir, publish as do_publish)

EXIT_FAILED = 1


def _echo(message: str) -> None:
    click.echo(message, err=True)


@click.command()
@click.option("--endpoint", required=True, metavar="URL",
              help="The store's SPARQL query endpoint (Virtuoso: http://HOST:8890/sparql; Fuseki: "
                   "http://HOST:3030/DATASET; GraphDB: http://HOST:7200/repositories/REPO). The "
                   "update and Graph Store endpoints are derived from it and from the server's "
                   "name; see docs/publishing.md.")
@click.option("--graph", metavar="IRI", default=None,
              help="Graph to replace (default: the dataset IRI, {base}id/dataset/siberia-kg).")
@click.option("--user", envvar="SIBERIA_KG_PUBLISH_USER", metavar="U",
              help="User for HTTP Basic or Digest authentication, whichever the store's 401 "
                   "challenge asks for (env SIBERIA_KG_PUBLISH_USER).")
@click.option("--password", envvar="SIBERIA_KG_PUBLISH_PASSWORD", metavar="P",
              help="Its password (env SIBERIA_KG_PUBLISH_PASSWORD, which keeps it out of the "
                   "process list).")
@click.option("--token", envvar="SIBERIA_KG_PUBLISH_TOKEN", metavar="T",
              help="Token sent as 'Authorization: Bearer T' instead of a user "
                   "(env SIBERIA_KG_PUBLISH_TOKEN).")
@click.option("--protocol", type=click.Choice(["gsp", "update"]), default="gsp",
              show_default=True,
              help="Upload with the Graph Store HTTP Protocol, or with SPARQL Update INSERT DATA "
                   "where a store offers nothing else.")
@click.option("--chunk-triples", type=click.IntRange(min=1), default=DEFAULT_CHUNK_TRIPLES,
              show_default=True, metavar="N", help="Triples per upload request.")
@click.option("--keep-graphs", is_flag=True,
              help="Publish each citation graph as its own named graph, with --graph holding "
                   "the dumps' default-graph statements and the list of those graphs, and drop "
                   "the graphs of the previous publication that are gone (the default: all "
                   "statements in the one --graph).")
@click.option("--dry-run", is_flag=True,
              help="Check the endpoint, read and count the dumps (and with --clean-stale list "
                   "what it would drop); write nothing.")
@click.option("--update-endpoint", metavar="URL", default=None,
              help="SPARQL Update endpoint, when it cannot be derived from --endpoint.")
@click.option("--gsp-endpoint", metavar="URL", default=None,
              help="Graph Store Protocol endpoint, when it cannot be derived from --endpoint.")
@click.option("--timeout", type=click.FloatRange(min=1), default=DEFAULT_TIMEOUT,
              show_default=True,
              help="Seconds to wait for the answer to one request (for a connection: at most "
                   "30).")
@click.option("--retries", type=click.IntRange(min=0), default=DEFAULT_RETRIES,
              show_default=True,
              help="Retries of a request after a transient failure (connection error, timeout, "
                   "HTTP 5xx, 408, 429), with exponential backoff or as Retry-After says.")
@click.option("--max-time", type=click.FloatRange(min=1), default=None, metavar="S",
              help="Give up after S seconds in all, retries and waits included (default: no "
                   "limit). One more request then drops the temporary graph, unless the swap "
                   "was still unanswered: then it is kept, as after any swap of unknown "
                   "outcome.")
@click.option("--clean-stale", is_flag=True,
              help="First drop the temporary graphs (<graph>-tmp-<16 hex digits>) that killed "
                   "or interrupted runs left behind; not while another publish of the same "
                   "graph is running.")
@click.option("--dump", "dumps", multiple=True, metavar="FILE",
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Publish these RDF files (.nq, .nt, .ttl, .trig) instead of the build's dumps; "
                   "repeatable.")
@click.option("--base", metavar="IRI", default=None,
              help="Base IRI of entity IRIs (default https://w3id.org/siberia-kg/).")
@click.option("--out", metavar="DIR", type=click.Path(file_okay=False), default=None,
              help="Folder of the built dumps (default: dist/).")
def publish(endpoint, graph, user, password, token, protocol, chunk_triples, keep_graphs,
            dry_run, update_endpoint, gsp_endpoint, timeout, retries, max_time, clean_stale, dumps,
            base, out) -> None:
    """Load the built graph (curated data plus every imported register) into a SPARQL 1.1 store,
    replacing the previous version atomically.

    The statements are uploaded in chunks into a temporary graph, its triple count is checked on
    the store, and only then is it moved into place with one SPARQL Update request (MOVE): readers
    see the old graph or the new one, never a half-loaded one, and a failure leaves the old graph
    as it was. Transient failures are retried with backoff. A killed run leaves its temporary
    graph, which the next run drops with --clean-stale. See docs/publishing.md.
    """
    from .cli import _settings, ensure_built
    from .namespaces import dataset_iri

    settings = _settings(base, out)
    graph = graph or str(dataset_iri(settings.base))
    try:
        if dumps:
            files = list(dumps)
        else:
            ensure_built(settings)
            files = build_dumps(settings.out_dir)
        _echo("publishing " + ", ".join(str(f) for f in files) + f" into <{graph}>")
        options = PublishOptions(
            endpoint=endpoint, graph=graph, user=user, password=password, token=token,
            protocol=protocol, chunk_triples=chunk_triples, keep_graphs=keep_graphs,
            dry_run=dry_run, update_endpoint=update_endpoint, gsp_endpoint=gsp_endpoint,
            timeout=timeout, retries=retries, max_time=max_time, clean_stale=clean_stale,
            workdir=default_workdir())
        result = _run(files, options)
    except PublishError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(EXIT_FAILED)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)  # publish has said what it left
        sys.exit(130)

    if result.dry_run:
        click.echo(f"dry run: would publish {result.triples} triples in {result.graphs} "
                   f"graph(s) as {result.chunks} chunk(s) into <{graph}>; nothing was written")
        return
    rate = result.triples_per_second
    click.echo(f"published {result.triples} triples into <{graph}>"
               + (f" ({result.graphs} graphs)" if keep_graphs else "")
               + (f", replacing {result.previous}" if result.previous else "")
               + f" in {result.seconds:.1f} s: upload {result.upload_seconds:.1f} s "
                 f"({rate:,.0f} triples/s), verify {result.verify_seconds:.1f} s, swap "
                 f"{result.swap_seconds:.1f} s"
               + (f"; {result.retries} request(s) retried" if result.retries else ""))


def _run(files, options):
    """Run with a progress bar on stderr, opened once the number of triples is known."""
    state: dict = {"bar": None}

    def start(total: int) -> None:
        state["bar"] = click.progressbar(length=total, label="uploading", file=sys.stderr,
                                         show_pos=True, show_percent=True, show_eta=True)
        state["bar"].__enter__()

    def progress(n: int) -> None:
        if state["bar"] is not None:
            state["bar"].update(n)

    def log(message: str) -> None:
        if state["bar"] is not None and sys.stderr.isatty():
            click.echo("", err=True)  # leave the bar's line
        _echo(message)

    try:
        return do_publish(files, options, progress=progress, log=log, start=start)
    finally:
        if state["bar"] is not None:
            state["bar"].__exit__(None, None, None)
