"""Routes: sparql (being written)."""


def routes(state):
    return []
