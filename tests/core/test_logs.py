from __future__ import annotations

import json
import logging

from cpo.logs import JsonFormatter


def test_json_lines_carry_the_context_fields() -> None:
    record = logging.LogRecord(
        "ocpp_bridge.bridge", logging.INFO, __file__, 1, "%s connected", ("CP-1",), None
    )
    record.station = "CP-1"
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "CP-1 connected"
    assert entry["level"] == "info"
    assert entry["logger"] == "ocpp_bridge.bridge"
    assert entry["station"] == "CP-1"
    assert entry["time"].endswith("+00:00")


def test_exceptions_are_kept_in_one_line_of_json() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert "ValueError: boom" in json.loads(line)["exception"]
