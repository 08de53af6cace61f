"""OCPI 2.2.1 endpoints for roaming partners: thin HTTP over `roaming`."""
