"""The ``link`` click group end to end, through click's runner, against the loopback endpoint."""

from __future__ import annotations

import csv
import io

from click.testing import CliRunner

from siberia_kg.link.commands import link

from .conftest import RUN_DATE, copy_data


def invoke(*args, env=None):
    return CliRunner().invoke(link, list(args), env=env, catch_exceptions=False)


def test_link_wikidata_then_check_then_export(endpoint, tmp_path):
    settings = copy_data(tmp_path, rewrite_gazetteer=True)
    common = ["--endpoint", endpoint.url, "--cache", str(tmp_path / "cache"), "--delay", "0",
              "--data", str(settings.data_dir)]
    r = invoke("wikidata", *common, "--date", RUN_DATE, "--batch-size", "20")
    assert r.exit_code == 0, r.output
    assert "linked automatically" in r.stdout and "waiting for review" in r.stdout
    assert "searching labels" in r.stderr             # the progress bar, on stderr
    assert f"request(s) to {endpoint.url}" in r.stderr
    links = settings.data_dir / "links"
    assert (links / "wikidata.trig").is_file() and (links / "wikidata-review.tsv").is_file()
    first = (links / "wikidata.trig").read_bytes()

    # rerun offline: no request at all, same output
    n = endpoint.count
    r = invoke("wikidata", *common, "--date", "2027-01-01", "--offline", "-q", "--batch-size", "20")
    assert r.exit_code == 0, r.output
    assert endpoint.count == n and "0 request(s)" in r.stderr
    assert (links / "wikidata.trig").read_bytes() == first

    r = invoke("check", *common, "--csv", str(tmp_path / "check.csv"), "--all")
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO((tmp_path / "check.csv").read_text())))
    assert rows and all(row["status"] in ("ok", "differs") for row in rows)
    assert "0 problem(s)" in r.stderr and "place:khabarovsk" in r.stdout

    # a deleted item makes the check fail
    endpoint.update("DELETE WHERE { <http://www.wikidata.org/entity/Q900000602> ?p ?o }")
    r = invoke("check", *common, "--refresh")
    assert r.exit_code == 1
    assert "event:yalta-conference" in r.stdout and "missing" in r.stdout

    out = tmp_path / "qs.txt"
    r = invoke("export", "quickstatements", *common, "-o", str(out), "--retrieved", "2026-11-22")
    assert r.exit_code == 0, r.output
    text = out.read_text()
    assert "Q900000506\tP921\tQ900000601\tS854\t" in text
    assert "statement(s)" in r.stderr


def test_clear_errors(tmp_path, refused_port):
    settings = copy_data(tmp_path)
    r = invoke("wikidata", "--endpoint", f"http://127.0.0.1:{refused_port}/sparql", "--delay", "0",
               "--cache", str(tmp_path / "c"), "--data", str(settings.data_dir),
               "--links-dir", str(tmp_path / "links"), "-q")
    assert r.exit_code == 1 and "cannot reach" in r.stderr
    r = invoke("wikidata", "--endpoint", "ftp://example.org/sparql")
    assert r.exit_code == 2 and "http(s)" in r.output
    r = invoke("wikidata", "--threshold", "0")
    assert r.exit_code == 2
    r = invoke("check", "--offline", "--cache", str(tmp_path / "empty"), "--data",
               str(settings.data_dir), "-q")
    assert r.exit_code == 1 and "not in the cache" in r.stderr


def test_help():
    r = invoke("--help")
    assert r.exit_code == 0 and {"wikidata", "check", "export"} <= set(r.output.split())
    r = invoke("export", "quickstatements", "--help")
    assert "S854" in r.output
