"""The ``siberia-kg link`` commands: wikidata, check, export quickstatements."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

import click

from .client import DEFAULT_ENDPOINT, SparqlClient, SparqlError

EXIT_PROBLEMS = 1


def _settings(data, base=None):
    from ..config import settings_from

    try:
        return settings_from(base=base, data=data)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--base") from e


def _progress_factory(quiet: bool):
    @contextmanager
    def progress(label: str, total: int):
        if quiet or total < 2:
            class _Null:
                def update(self, n):
                    pass
            yield _Null()
            return
        with click.progressbar(length=total, label=label, file=sys.stderr,
                               show_eta=True, show_pos=True) as bar:
            yield bar
    return progress


def _client(endpoint, cache, no_cache, offline, refresh, max_age_hours, delay, timeout,
            max_retries, contact) -> SparqlClient:
    try:
        return SparqlClient(endpoint, cache_dir=cache, use_cache=not no_cache, offline=offline,
                            refresh=refresh,
                            max_age=None if max_age_hours is None else max_age_hours * 3600,
                            min_interval=delay, timeout=timeout, max_retries=max_retries,
                            contact=contact)
    except SparqlError as e:
        raise click.UsageError(str(e)) from e


def _stats(client: SparqlClient) -> str:
    s = client.stats
    waits = f", waited {sum(s.waits):.0f} s on {len(s.waits)} busy answer(s)" if s.waits else ""
    return f"{s.requests} request(s) to {client.endpoint}, {s.cache_hits} answer(s) from the cache{waits}"


def client_options(default_max_age=None):
    def wrap(f):
        opts = [
            click.option("--endpoint", default=DEFAULT_ENDPOINT, show_default=True, metavar="URL",
                         help="SPARQL 1.1 endpoint holding Wikidata's RDF model."),
            click.option("--cache", metavar="DIR", type=click.Path(file_okay=False), default=None,
                         help="Cache of responses (default $SIBERIA_KG_CACHE or "
                              "~/.cache/siberia-kg/sparql); a rerun needs no network."),
            click.option("--no-cache", is_flag=True, help="Neither read nor write the cache."),
            click.option("--offline", is_flag=True,
                         help="Answer only from the cache; fail on anything not in it."),
            click.option("--refresh", is_flag=True, help="Ask the endpoint again, refreshing the cache."),
            click.option("--max-age", "max_age_hours", type=float, default=default_max_age,
                         metavar="HOURS", show_default=default_max_age is not None,
                         help="Ask again when a cached answer is older than this."),
            click.option("--delay", type=float, default=1.0, show_default=True, metavar="S",
                         help="At least this many seconds between requests."),
            click.option("--timeout", type=float, default=65.0, show_default=True, metavar="S",
                         help="Seconds to wait for an answer."),
            click.option("--max-retries", type=int, default=5, show_default=True,
                         help="Retries on HTTP 429/503 (honouring Retry-After)."),
            click.option("--contact", metavar="TEXT", default=None,
                         help="Contact in the User-Agent (an e-mail or URL; default "
                              "$SIBERIA_KG_CONTACT or the project's URL)."),
            click.option("--batch-size", type=click.IntRange(1, 500), default=50, show_default=True,
                         help="Values per query (VALUES batching)."),
            click.option("--data", metavar="DIR", type=click.Path(file_okay=False, exists=True),
                         default=None, help="Folder of curated data (default: data/)."),
            click.option("-q", "--quiet", is_flag=True, help="No progress bar."),
        ]
        for o in reversed(opts):
            f = o(f)
        return f
    return wrap


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def link() -> None:
    """Links to Wikidata: find them, check them, and give back what Wikidata lacks."""


@link.command("wikidata")
@client_options()
@click.option("--threshold", type=click.FloatRange(0.0, 1.0, min_open=True), default=0.9,
              show_default=True, help="Accept a candidate automatically from this score on.")
@click.option("--links-dir", metavar="DIR", type=click.Path(file_okay=False), default=None,
              help="Where wikidata.trig, wikidata-review.tsv and wikidata-evidence.json go "
                   "(default: data/links/).")
@click.option("--date", "run_date", metavar="YYYY-MM-DD", default=None,
              help="Date recorded for new links (default: today).")
@click.option("--kind", "kinds", multiple=True,
              type=click.Choice(["place", "camp", "person", "org", "work", "event"]),
              help="Link only entities of this kind (repeatable; default: all).")
def wikidata_cmd(endpoint, cache, no_cache, offline, refresh, max_age_hours, delay, timeout,
                 max_retries, contact, batch_size, data, quiet, threshold, links_dir, run_date,
                 kinds) -> None:
    """Find Wikidata items for our places, camps, people, organizations, works and events.

    Candidates come from exact label matches (English, Japanese, Russian, romanizations) and are
    scored on labels, type (P31/P279*), dates, coordinates, country, enclosing places, makers and
    occupations. Above --threshold (and with a fitting type, no contradiction and some evidence
    besides the name) a link is written to data/links/wikidata.trig with its provenance; the
    rest go to data/links/wikidata-review.tsv, where a person writes 'accept Q...', 'reject' or
    'none' in the decision column. The next run applies those decisions and never overwrites
    them. Entities that a citable source already links (the gazetteer) are left as they are.
    """
    from ..load import DataError
    from .wikidata import LinkError, LinkOptions, link_wikidata

    settings = _settings(data)
    client = _client(endpoint, cache, no_cache, offline, refresh, max_age_hours, delay, timeout,
                     max_retries, contact)
    options = LinkOptions(threshold=threshold, batch_size=batch_size,
                          links_dir=Path(links_dir) if links_dir else None, date=run_date,
                          kinds=tuple(kinds) or LinkOptions().kinds)
    try:
        result = link_wikidata(settings, client, options, progress=_progress_factory(quiet))
    except DataError as e:
        click.echo(f"error: the data cannot be read ({len(e.problems)} problem(s)):", err=True)
        for p in e.problems:
            click.echo(f"  {p}", err=True)
        sys.exit(1)
    except (LinkError, SparqlError, ValueError) as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    undecided = sum(1 for r in result.review if not r.decided)
    click.echo(f"{result.considered} entities: {len(result.known)} already linked by a source, "
               f"{len(result.automatic)} linked automatically, {len(result.reviewed)} linked by "
               f"review, {undecided} waiting for review, {len(result.no_candidate)} without "
               f"candidates")
    click.echo(f"wrote {result.paths['links']}, {result.paths['review']}")
    click.echo(_stats(client), err=True)


@link.command("check")
@client_options(default_max_age=24.0)
@click.option("--csv", "csv_path", metavar="FILE", type=click.Path(dir_okay=False), default=None,
              help="Also write the report as CSV.")
@click.option("--all", "show_all", is_flag=True, help="List links that are fine too.")
def check_cmd(endpoint, cache, no_cache, offline, refresh, max_age_hours, delay, timeout,
              max_retries, contact, batch_size, data, quiet, csv_path, show_all) -> None:
    """Check every Wikidata link: does the item exist, was it redirected or merged, does its type
    still fit; and report where our dates, coordinates and labels disagree with Wikidata's.

    Exit code 1 when a link is broken (missing, redirected, merged or of the wrong type);
    disagreements alone are reported with exit code 0.
    """
    from ..load import DataError
    from .check import check_links

    settings = _settings(data)
    client = _client(endpoint, cache, no_cache, offline, refresh, max_age_hours, delay, timeout,
                     max_retries, contact)
    try:
        report = check_links(settings, client, batch_size=batch_size,
                             progress=_progress_factory(quiet))
    except DataError as e:
        click.echo(f"error: the data cannot be read ({len(e.problems)} problem(s)):", err=True)
        for p in e.problems:
            click.echo(f"  {p}", err=True)
        sys.exit(1)
    except SparqlError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    if csv_path:
        from ..cli import atomic_write

        atomic_write(Path(csv_path), report.csv().encode("utf-8"))
    shown = report if show_all else type(report)(
        rows=[r for r in report.rows if r.status != "ok"], links=report.links)
    if shown.rows:
        click.echo(shown.table(), nl=False)
    click.echo(f"{report.links} link(s) checked: {len(report.problems)} problem(s), "
               f"{len(report.disagreements)} disagreement(s)"
               + (f"; CSV in {csv_path}" if csv_path else ""), err=True)
    click.echo(_stats(client), err=True)
    if report.problems:
        sys.exit(EXIT_PROBLEMS)


@link.group("export")
def export_group() -> None:
    """Give statements back to Wikidata."""


@export_group.command("quickstatements")
@client_options(default_max_age=24.0)
@click.option("-o", "--output", metavar="FILE", type=click.Path(dir_okay=False), default=None,
              help="Write the commands here (default: stdout).")
@click.option("--stated-in", metavar="QID", default=None,
              help="Wikidata item of siberia-kg itself, cited as S248 'stated in' on every statement.")
@click.option("--include-genre", "include_genres", multiple=True,
              type=click.Choice(["blog", "fiction"]),
              help="Also export facts from blogs or fiction (left out by default).")
@click.option("--retrieved", metavar="YYYY-MM-DD", default=None,
              help="Date for S813 'retrieved' (default: today).")
@click.option("--base", metavar="IRI", default=None,
              help="Public base of our citation IRIs (default https://w3id.org/siberia-kg/).")
def quickstatements_cmd(endpoint, cache, no_cache, offline, refresh, max_age_hours, delay,
                        timeout, max_retries, contact, batch_size, data, quiet, output, stated_in,
                        include_genres, retrieved, base) -> None:
    """Statements we can source that Wikidata lacks, as QuickStatements V1 commands with
    references (S248 stated in, S854 reference URL = our citation IRI, S813 retrieved): main
    subject (P921) of works about the internment, authors, publishers, dates, countries and
    locations, only between linked items."""
    import datetime as _dt

    from ..load import DataError
    from .quickstatements import DEFAULT_EXCLUDED_GENRES, export_quickstatements

    settings = _settings(data, base)
    client = _client(endpoint, cache, no_cache, offline, refresh, max_age_hours, delay, timeout,
                     max_retries, contact)
    excluded = tuple(g for g in DEFAULT_EXCLUDED_GENRES
                     if g.rsplit("#", 1)[-1].lower() not in include_genres)
    try:
        day = (_dt.date.fromisoformat(retrieved) if retrieved else _dt.date.today()).isoformat()
        result = export_quickstatements(settings, client, stated_in=stated_in,
                                        excluded_genres=excluded, batch_size=batch_size,
                                        progress=_progress_factory(quiet))
    except DataError as e:
        click.echo(f"error: the data cannot be read ({len(e.problems)} problem(s)):", err=True)
        for p in e.problems:
            click.echo(f"  {p}", err=True)
        sys.exit(1)
    except (SparqlError, ValueError) as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    text = result.commands(day)
    if output:
        from ..cli import atomic_write

        atomic_write(Path(output), text.encode("utf-8"))
    else:
        click.echo(text, nl=False)
    skipped = ", ".join(f"{n} {why}" for why, n in sorted(result.skipped.items()))
    click.echo(f"{len(result.statements)} statement(s)" + (f"; skipped: {skipped}" if skipped else "")
               + (f"; written to {output}" if output else ""), err=True)
    click.echo(_stats(client), err=True)
