"""The ``siberia-kg import`` commands: ``import register``."""

from __future__ import annotations

import csv
import datetime as _dt
import json
import os
import sys
import time
from pathlib import Path

import click

from .register import GENRES, RegisterError, import_register

EXIT_FAILED = 1


@click.group("import", context_settings={"help_option_names": ["-h", "--help"]})
def import_group() -> None:
    """Import external data: person registers."""


def registers_folder(option: str | os.PathLike | None, settings) -> Path:
    """--registers, else SIBERIA_KG_REGISTERS, else the settings' folder (registers/ at the
    project root): the same folder the build reads."""
    value = option or os.environ.get("SIBERIA_KG_REGISTERS")
    if value:
        return Path(value).resolve()
    return getattr(settings, "registers_dir", None) or settings.root / "registers"


def place_index(settings, quiet: bool = False):
    """The curated places and camps, from the built graph (building it first when missing)."""
    from ..build import DUMP_NAME, MARKER
    from .places import PlaceIndex

    dump = settings.out_dir / f"{DUMP_NAME}.nq"
    if not dump.is_file():
        from ..cli import ensure_built

        ensure_built(settings, quiet=quiet)
    built_base = settings.base
    try:
        built_base = json.loads((settings.out_dir / MARKER).read_text())["base"]
    except (OSError, ValueError, KeyError):
        pass
    return PlaceIndex.from_file(dump, from_base=built_base, to_base=settings.base)


@import_group.command("register")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--source", "slug", required=True, metavar="SLUG",
              help="Slug of the register ([a-z0-9-]+): its folder registers/SLUG, its source "
                   "src:register-SLUG and citation cit:register-SLUG.")
@click.option("--mapping", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              default=None, metavar="FILE",
              help="JSON mapping of our columns to the file's headers, with date formats, for a "
                   "file in another layout (see docs/registers.md).")
@click.option("--title", default=None, help="Title of the register as a source document.")
@click.option("--genre", type=click.Choice(GENRES, case_sensitive=False), default="OfficialRecord",
              show_default=True, help="Genre of the register as a source document.")
@click.option("--registers", "registers_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, metavar="DIR",
              help="Folder of imported registers (default: registers/, env SIBERIA_KG_REGISTERS).")
@click.option("--partial", is_flag=True,
              help="Import the good rows even when some are rejected (default: all or nothing).")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              metavar="YYYY-MM-DD",
              help="Date of the import, for the privacy rule and the 'not after' checks "
                   "(default: today; kept in meta.json, give it to repeat an import exactly).")
@click.option("--dist", metavar="DIR", type=click.Path(file_okay=False, path_type=Path),
              default=None,
              help="Built curated graph whose places and camps are matched (default: dist/, env "
                   "SIBERIA_KG_DIST); built first when missing.")
@click.option("--base", metavar="IRI", default=None,
              help="Base IRI of the IRIs written (default https://w3id.org/siberia-kg/, env "
                   "SIBERIA_KG_BASE).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no list of rejects.")
def register(file, slug, mapping, title, genre, registers_dir, partial, as_of, dist, base,
             quiet) -> None:
    """Import a person register from a CSV FILE into registers/SLUG/.

    Streams the file row by row into canonical N-Quads: register.nq (the records), withheld.nq
    (the full records of people who may be alive: no death date and born less than 110 years
    before the as-of date; register.nq keeps only a placeholder for them), rejects.csv (every
    rejected row with its number and reason), source.trig and meta.json. Camps and places of
    death are linked to the curated places and camps when their names match one unambiguously.

    The folder is replaced in one step only when the import succeeds; with any rejected row
    and without --partial nothing is imported, the rejects are written to
    registers/SLUG.rejects.csv and the exit code is 1.
    """
    from ..config import settings_from

    try:
        settings = settings_from(base=base, out=dist)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--base") from e
    folder = registers_folder(registers_dir, settings)
    places = place_index(settings, quiet=quiet)

    size = file.stat().st_size
    show = not quiet and sys.stderr.isatty() and size > (8 << 20)
    started = time.perf_counter()
    bar = click.progressbar(length=size, label=f"importing {file.name}", file=sys.stderr,
                            show_eta=True) if show else None
    done = [0]

    def progress(nbytes: int) -> None:
        if bar is not None:
            bar.update(nbytes - done[0])
            done[0] = nbytes

    try:
        if bar is not None:
            bar.__enter__()
        try:
            result = import_register(
                file, source=slug, registers_dir=folder, title=title, genre=genre,
                mapping=mapping, partial=partial,
                as_of=as_of.date() if isinstance(as_of, _dt.datetime) else as_of,
                places=places, base=settings.base, progress=progress)
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
    except RegisterError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(EXIT_FAILED)
    elapsed = time.perf_counter() - started
    c = result.counts
    rate = c["rows"] / elapsed if elapsed > 0 else 0
    if not result.ok:
        click.echo(f"error: {result.message}", err=True)
        _show_rejects(result.rejects, quiet)
        click.echo(f"  every rejected row: {result.rejects}", err=True)
        sys.exit(EXIT_FAILED)
    click.echo(f"{result.message} into {result.folder} in {elapsed:.1f} s ({rate:,.0f} rows/s)")
    click.echo(f"  {c['quads']:,} quads in register.nq, {c['withheld_quads']:,} in withheld.nq; "
               f"camps matched {c['camps_matched']:,} of {c['camps_given']:,}, places of death "
               f"{c['death_places_matched']:,} of {c['death_places_given']:,}")
    if c["rejected"]:
        _show_rejects(result.rejects, quiet)
        click.echo(f"  every rejected row: {result.rejects}", err=True)


def _show_rejects(path: Path | None, quiet: bool, limit: int = 10) -> None:
    if quiet or path is None or not path.is_file():
        return
    with open(path, encoding="utf-8", newline="") as f:
        rows = csv.reader(f)
        next(rows, None)
        for i, r in enumerate(rows):
            if i == limit:
                click.echo("  ...", err=True)
                break
            row, line, rid, reason = r[:4]
            ident = f" ({rid})" if rid else ""
            click.echo(f"  row {row}, line {line}{ident}: {reason}", err=True)
