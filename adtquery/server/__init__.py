"""`adtquery serve`: the ADT data-plane REST API on PostgreSQL + Apache AGE.

`app.py` assembles the Starlette app; `routes/` holds one module per resource; storage lives in
`adtquery.db` (twins, relationships, modelstore, routes). Handlers are async and thin: parse the
request, call one storage function, shape the response.

Operating notes:
- No authentication yet: any bearer token (or none) is accepted, so the server binds to
  loopback only unless started with --insecure (`auth.py`).
- Query continuation tokens are signed with a per-process random secret unless
  ADTQUERY_TOKEN_SECRET is set. Several instances behind one address must share that value, or a
  token issued by one is refused (400 BadRequest) by the others.
- DTDL checks go through `validation.py`, one function per call site.
- Event routes are stored and listed; nothing is delivered. Telemetry is accepted and dropped.
"""
