"""Routes: ontology (being written)."""


def routes(state):
    return []
