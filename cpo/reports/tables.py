from piccolo.columns import JSON, ForeignKey, Integer, OnDelete, Serial, Timestamptz, Varchar
from piccolo.table import Table

from cpo.operators.tables import Operator
from cpo.reports.enums import ReportTrigger


class MonthlyReportRecord(Table, tablename="monthly_reports"):
    """A monthly report as it was made; never changed. Making it again adds a version."""

    id = Serial(primary_key=True)
    operator = ForeignKey(references=Operator, on_delete=OnDelete.cascade, index=True)
    month = Varchar(length=7)  # 2026-10
    version = Integer()
    # "<operator id>:<month>:<version>", unique: when every node's month-end worker tries to
    # make version 1, one row is written and the others write nothing.
    key = Varchar(length=40, unique=True)
    trigger = Varchar(length=12, choices=ReportTrigger)
    generated_by = Varchar(length=200, default="")
    generated_at = Timestamptz()
    report = JSON()  # cpo.reports.rules.MonthlyReport
