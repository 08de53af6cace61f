"""Charging sessions: their state machine and the meter data behind them."""
