"""The business core of the charge point operator platform.

Nothing in here imports a web framework, an OCPP library or a payment SDK: adapters in
`api`, `ocpp_bridge`, `payments` and `roaming` depend on this package, never the reverse.
"""
