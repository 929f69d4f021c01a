"""siberia-kg: a linked-data knowledge graph of the Siberian Internment (1945-1956)."""

__version__ = "0.1.0"
