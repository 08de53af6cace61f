"""Telling operators when a station goes offline or faults: e-mail and signed webhooks."""
