"""OCPP 1.6J (JSON over WebSocket) support."""
