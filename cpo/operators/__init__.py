"""Operators: the tenants of the platform, with their brand for the white-label app."""
