from piccolo.columns import ForeignKey, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from cpo.accounts.tables import User
from cpo.operators.tables import Operator
from cpo.privacy.enums import RequestKind, RequestStatus


class PrivacyRequest(Table, tablename="privacy_requests"):
    """What a user asked about their data, kept for accountability (GDPR Art. 5(2)): each
    download of their data, and each request to be erased with the operator's decision.
    The user row stays when it is erased (only its personal fields go), so this row keeps
    pointing at it."""

    id = Serial(primary_key=True)
    operator = ForeignKey(references=Operator, on_delete=OnDelete.restrict, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.restrict, index=True)
    kind = Varchar(length=8, choices=RequestKind)
    status = Varchar(length=10, choices=RequestStatus, default=RequestStatus.OPEN, index=True)
    created_at = Timestamptz()
    decided_at = Timestamptz(null=True, default=None)
    # Who decided (the operator user's e-mail or the API token's name), as in the audit log.
    decided_by = Varchar(length=254, default="")
    # Why a request was declined, as the user is told.
    reason = Text(default="")
