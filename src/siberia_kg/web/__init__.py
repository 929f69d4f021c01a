"""The linked-data server: routing (routes/), content negotiation (conneg.py, pure),
rendering (render/), and the store behind services (services.py, sparql_exec.py)."""
