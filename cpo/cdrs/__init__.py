"""Charge detail records: the immutable account of a finished session, and its receipt."""
