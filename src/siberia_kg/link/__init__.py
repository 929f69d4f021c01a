"""Links between siberia-kg and Wikidata, both ways.

- ``link wikidata``: reconciliation of our entities with Wikidata items (``wikidata``), with a
  review queue a person edits (``review``);
- ``link check``: are the links still good, and where do our values disagree (``check``);
- ``link export quickstatements``: statements we can source that Wikidata lacks
  (``quickstatements``).

All of them talk to a SPARQL 1.1 endpoint holding Wikidata's RDF model through a polite, cached
client (``client``); ``candidates`` holds the queries, ``scoring`` the evidence and the decision,
``mapping`` the configuration (which Wikidata classes fit which of our classes).
"""

from .commands import link

__all__ = ["link"]
