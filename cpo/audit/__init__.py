"""The audit log: who changed what of an operator's, when, with the state before and after."""
