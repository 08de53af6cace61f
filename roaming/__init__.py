"""OCPI 2.2.1, CPO role: the endpoints partners call, the client that calls them, the push
jobs, and the partner registry. Everything OCPI-specific lives here; the core knows only the
`RoamingAuthorizer` port (cpo/ports.py) and the partner tables (cpo/partners)."""
