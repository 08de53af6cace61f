"""Accounts: contract customers, their users and operator staff; passkeys, e-mail links and
login sessions; charging from the phone under the customer's contract."""
