"""Roaming partners: the registry rows the core keeps for them and the tokens they issued.

Only data lives here (tables and their closed sets); the OCPI protocol that fills and reads
them is the `roaming` adapter. The core reads these rows to know that a session belongs to a
partner, and never speaks OCPI itself.
"""
