"""Rendering: HTML templates (html.py) and RDF serialisations (rdf.py)."""
