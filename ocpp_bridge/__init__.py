"""OCPP adapter: connects charge points speaking OCPP to the platform core."""
