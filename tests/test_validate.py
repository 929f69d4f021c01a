"""The accelerated validator (SPARQL constraints on Oxigraph) gives pyshacl's verdicts and
messages: checked on every shapes case that breaks a SPARQL constraint, and on the real data."""

from __future__ import annotations

from pathlib import Path

import pytest

from siberia_kg.validate import run_shacl, split_sparql_constraints
from test_shapes import CASES, mutate

ROOT = Path(__file__).resolve().parents[1]
SPARQL_CASES = [c for c in CASES if any(name.endswith("/SPARQL") for name in c.expected)]


def key(violations):
    return sorted((v.focus, v.path, v.value, v.message, v.severity) for v in violations)


def test_every_sparql_constraint_of_a_node_shape_is_accelerated(shapes):
    reduced, jobs = split_sparql_constraints(shapes)
    assert len(jobs) >= 8
    from rdflib.namespace import SH
    left = [(s, c) for s, c in reduced.subject_objects(SH.sparql) if (s, SH.path, None) not in reduced]
    assert left == []


def test_there_are_sparql_cases():
    assert len(SPARQL_CASES) >= 8


@pytest.mark.slow
@pytest.mark.parametrize("case", SPARQL_CASES, ids=[c.id for c in SPARQL_CASES])
def test_same_violations_as_pyshacl(case, good, shapes, ontology):
    data = mutate(good, case.update)
    plain = run_shacl(data, shapes, ontology, accelerate=False)
    fast = run_shacl(data, shapes, ontology, accelerate=True)
    assert plain, "the case must produce violations"
    assert key(fast) == key(plain)


def test_real_data_conforms_both_ways(built):
    from siberia_kg.build import compile_graph

    c = compile_graph(built)
    assert run_shacl(c.union, c.shapes, c.ontology, accelerate=True) == []
