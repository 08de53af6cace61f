"""The receipt by e-mail: the page as the mail's HTML, the PDF attached, a plain-text part."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from cpo import messages
from cpo.cdrs.receipt import ReceiptLinks, load_receipt, render_html, render_pdf
from cpo.cdrs.service import CdrView
from cpo.context import Context
from cpo.i18n import SUPPORTED_LANGUAGES, translator
from cpo.ports import Attachment, OutgoingMail


async def mail_receipt(ctx: Context, cdr: CdrView, to: str, language: str) -> None:
    """Send the receipt; raises MailNotSent (retryable or not) when it cannot go out."""
    page = f"{ctx.settings.base_url}/r/{quote(cdr.receipt_token)}"
    links = ReceiptLinks(
        pdf=f"{page}.pdf?lang={language}",
        signed_data=f"{page}/signed-data?lang={language}",
        languages={code: f"{page}?lang={code}" for code in SUPPORTED_LANGUAGES},
    )
    receipt = await load_receipt(cdr, language, links=links)
    pdf = await asyncio.to_thread(render_pdf, receipt)
    t = translator(language)
    subject = t.gettext(messages.RECEIPT_SUBJECT).format(operator=receipt.operator.name)
    details = receipt.details
    lines = [f"{receipt.title} {receipt.number}", ""]
    lines += [f"{entry.label}: {entry.value}" for entry in details.entries()]
    lines.append(f"{receipt.total.label}: {receipt.total.value}")
    if receipt.amount_paid is not None:
        lines.append(f"{receipt.amount_paid.label}: {receipt.amount_paid.value}")
    if receipt.payment_note:
        lines.append(receipt.payment_note)
    lines += ["", f"{page}?lang={language}", "", receipt.thank_you]
    await ctx.mailer.send(
        OutgoingMail(
            to=to,
            subject=subject,
            text="\n".join(lines),
            html=render_html(receipt),
            reply_to=_plausible_address(receipt.operator.support_email),
            attachments=(Attachment(receipt.pdf_filename, "application/pdf", pdf),),
        )
    )


def _plausible_address(address: str) -> str | None:
    """The operator's support address as Reply-To, left out rather than risk the receipt."""
    address = address.strip()
    if address.count("@") != 1 or any(character.isspace() for character in address):
        return None
    return address
