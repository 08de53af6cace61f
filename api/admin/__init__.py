"""The operator's admin API: every route is scoped to the operator of the API token."""
