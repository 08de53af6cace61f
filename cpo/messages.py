"""Texts drivers read about prices, charging, receipts and errors, as message ids for the catalogs.

Each constant is the English source text, marked with ``N_`` so that Babel extracts it;
translate where it is shown: ``translator(language).gettext(ENERGY)``, then fill the
placeholders: ``t.gettext(CAPPED_AT).format(amount=t.money(1500, "EUR"))``. Amounts, energy,
dates and durations inside placeholders are formatted with the same ``Translator``.
Comments starting with ``TRANSLATORS:`` end up in the catalogs next to the text.
"""

from __future__ import annotations

from cpo.i18n import N_

# Prices: the price card, the tariff summary and the receipt lines

PRICE = N_("Price")
FREE = N_("free")
ENERGY = N_("Energy")
CHARGING_TIME = N_("Charging time")
PARKING_TIME = N_("Parking time")
SESSION_FEE = N_("Session fee")
BLOCKING_FEE = N_("Blocking fee")
PRICE_PER_KWH = N_("per kWh")
PRICE_PER_MINUTE = N_("per minute")
PRICE_PER_HOUR = N_("per hour")
PRICE_PER_SESSION = N_("per session")
# TRANSLATORS: when a blocking fee starts; {minutes} counts from the start of the session.
BLOCKING_FEE_AFTER = N_("from minute {minutes}")
# TRANSLATORS: {duration} is a formatted duration such as "30 min".
FREE_FOR_THE_FIRST = N_("free for the first {duration}")
# TRANSLATORS: a cap on a fee; {amount} is a formatted amount such as "12,00 €".
CAPPED_AT = N_("at most {amount}")
# TRANSLATORS: {vat} is a formatted rate such as "19 %".
VAT_INCLUDED = N_("All prices include {vat} VAT.")
# TRANSLATORS: short form next to a price; {vat} is a formatted rate such as "19 %".
VAT_INCLUDED_SHORT = N_("incl. {vat} VAT")
MINIMUM_PRICE = N_("Minimum price per session: {amount}")
MAXIMUM_PRICE = N_("Maximum price per session: {amount}")
PAY_WITHOUT_ACCOUNT = N_("Pay by card – no registration needed")
RESERVED_AMOUNT = N_("Reserved amount")
HOLD_EXPLAINED = N_(
    "We reserve {amount} on your card before charging starts. You only pay for what you "
    "charge; the rest is released at once when you stop."
)
# TRANSLATORS: a price estimate; {energy} is a formatted energy such as "20,000 kWh".
ESTIMATE = N_("About {amount} for {energy}")

# Restrictions: when a tariff element applies. Days go through Translator.and_list.

EVERY_DAY = N_("every day")
# TRANSLATORS: Monday to Friday, as a condition on a price ("€0.29/kWh weekdays").
WEEKDAYS = N_("weekdays")
WEEKENDS = N_("weekends")
MONDAY = N_("Monday")
TUESDAY = N_("Tuesday")
WEDNESDAY = N_("Wednesday")
THURSDAY = N_("Thursday")
FRIDAY = N_("Friday")
SATURDAY = N_("Saturday")
SUNDAY = N_("Sunday")
# Indexed like datetime.date.weekday(): Monday is 0.
DAY_NAMES = (MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY)
# TRANSLATORS: recurring days; {days} is a list of day names such as "Monday and Friday".
ON_DAYS = N_("on {days}")
# TRANSLATORS: {start} and {end} are times of day on the 24-hour clock, such as "08:00".
BETWEEN_TIMES = N_("between {start} and {end}")
# TRANSLATORS: {time} is a time of day on the 24-hour clock, such as "08:00".
FROM_TIME = N_("from {time}")
# TRANSLATORS: {time} is a time of day on the 24-hour clock, such as "20:00".
UNTIL_TIME = N_("until {time}")
VALID_FROM = N_("valid from {date}")
VALID_UNTIL = N_("valid until {date}")
# TRANSLATORS: {kwh} is a number such as "20"; the unit follows in the text.
FROM_KWH = N_("from {kwh} kWh")
UP_TO_KWH = N_("up to {kwh} kWh")
# TRANSLATORS: {kw} is a charging power such as "50"; the unit follows in the text.
ABOVE_KW = N_("above {kw} kW")
UP_TO_KW = N_("up to {kw} kW")
# TRANSLATORS: {duration} is a formatted duration such as "1 h 00 min".
AFTER_DURATION = N_("after {duration}")
FOR_THE_FIRST = N_("for the first {duration}")

# Charging: the live session screen

START_CHARGING = N_("Start charging")
STOP_CHARGING = N_("Stop charging")
CONFIRMING_PAYMENT = N_("Confirming your payment")
STARTING_CHARGE_POINT = N_("Starting the charge point")
PLUG_IN = N_("Please plug the cable into your car.")
CHARGING_IN_PROGRESS = N_("Charging in progress")
CHARGING_FINISHED = N_("Charging finished")
POWER = N_("Power")
COST_SO_FAR = N_("Cost so far")

# Receipts

RECEIPT = N_("Receipt")
# TRANSLATORS: subject of the receipt e-mail; {operator} is the operator's brand.
RECEIPT_SUBJECT = N_("Your receipt from {operator}")
CHARGING_SESSION = N_("Charging session")
CHARGE_POINT = N_("Charge point")
EVSE_ID = N_("EVSE ID")
LOCATION = N_("Location")
DATE = N_("Date")
START = N_("Start")
END = N_("End")
DURATION = N_("Duration")
ENERGY_CHARGED = N_("Energy charged")
METER_START = N_("Meter reading at start")
METER_END = N_("Meter reading at end")
QUANTITY = N_("Quantity")
UNIT_PRICE = N_("Unit price")
AMOUNT = N_("Amount")
NET_AMOUNT = N_("Net amount")
# TRANSLATORS: a receipt line; {rate} is a formatted rate such as "19 %".
VAT_RATE = N_("VAT {rate}")
TOTAL = N_("Total")
AMOUNT_PAID = N_("Amount paid")
# TRANSLATORS: {method} is a payment method such as "Visa" or "card ending in 4242".
PAID_WITH = N_("Paid with {method}")
# TRANSLATORS: {last4} is the last four digits of a card number.
CARD_ENDING_IN = N_("card ending in {last4}")
RECEIPT_NUMBER = N_("Receipt number")
SIGNED_METER_DATA = N_("Signed meter data")
# TRANSLATORS: German calibration law (Eichrecht); {url} is where the software is downloaded.
TRANSPARENCY_SOFTWARE = N_(
    "This charge point signs its meter readings. Check them with the transparency software "
    "(S.A.F.E. e.V.): {url}"
)
NO_SIGNED_METER_DATA = N_("This charge point does not sign its meter readings.")
DOWNLOAD_PDF = N_("Download PDF")
OPERATOR = N_("Operator")
VAT_ID = N_("VAT ID")
ADDRESS = N_("Address")
THANK_YOU = N_("Thank you for charging with {operator}.")
# TRANSLATORS: the title of a record that cancels a receipt (amounts negated).
CREDIT_NOTE = N_("Credit note")
# TRANSLATORS: the title of a record that replaces a cancelled receipt.
CORRECTED_RECEIPT = N_("Corrected receipt")
# TRANSLATORS: {number} is the number of the receipt that is cancelled.
CANCELS_RECEIPT = N_("This credit note cancels receipt {number}.")
# TRANSLATORS: {number} is the number of the receipt that is replaced.
REPLACES_RECEIPT = N_("This receipt replaces receipt {number}.")
# TRANSLATORS: the column header of the receipt lines (energy, parking time, session fee).
ITEM = N_("Item")
# TRANSLATORS: a receipt line that raises the price to the tariff's minimum per session.
MINIMUM_PRICE_ADJUSTMENT = N_("Difference to the minimum price")
# TRANSLATORS: a receipt line that lowers the price to the tariff's maximum per session.
MAXIMUM_PRICE_ADJUSTMENT = N_("Reduction to the maximum price")
AMOUNTS_EXCLUDE_VAT = N_("The amounts above do not include VAT.")
# TRANSLATORS: {zone} is an IANA time zone such as "Europe/Berlin".
LOCAL_TIMES = N_("All times are local times ({zone}).")
# TRANSLATORS: shown instead of a payment on receipts of card (RFID) and roaming sessions.
BILLED_TO_CONTRACT = N_("This session is billed through your charging contract.")
CUSTOMER_SERVICE = N_("Customer service")
COMMERCIAL_REGISTER = N_("Commercial register")
LANGUAGE = N_("Language")
DOWNLOAD_SIGNED_METER_DATA = N_("Download signed meter data")
# TRANSLATORS: how to use the signed meter data with the transparency software.
SIGNED_VALUES_HOW_TO = N_("To check a value, copy it in full into the transparency software.")
# TRANSLATORS: in the downloaded file, whose comment lines start with #.
SIGNED_VALUES_FILE = N_(
    "Each line that does not start with # is one signed value, exactly as the charge point sent it."
)
RECEIPT_NOT_FOUND_TITLE = N_("Receipt not found")
RECEIPT_NOT_FOUND = N_(
    "We could not find this receipt. Please check that you opened the complete link."
)

# Errors: what happened in plain words, then what the driver can do.

# TRANSLATORS: {support} is a phone number or e-mail address.
CHARGE_POINT_UNAVAILABLE = N_(
    "This charge point is not available right now. Please try another one or contact {support}."
)
# TRANSLATORS: {support} is a phone number or e-mail address.
CHARGE_POINT_OFFLINE = N_(
    "This charge point is not connected to our system right now. Please try another one or "
    "contact {support}."
)
CHARGE_POINT_OCCUPIED = N_(
    "Someone else is charging here right now. Please try another charge point."
)
CHARGE_POINT_NOT_FOUND = N_(
    "We could not find this charge point. Please check the ID on the sticker or scan the QR "
    "code again."
)
CHARGING_DID_NOT_START = N_(
    "Charging did not start, so we released the reserved amount at once. Please plug in the "
    "cable and try again, or try another charge point."
)
# TRANSLATORS: {support} is a phone number or e-mail address.
STOP_NOT_CONFIRMED = N_(
    "The charge point did not confirm the stop. Please stop charging in your car or at the "
    "charge point, or contact {support}. You only pay for the energy you charged."
)
# TRANSLATORS: {amount} is a formatted amount such as "50,00 €".
HOLD_LIMIT_REACHED = N_(
    "Charging stopped because the cost reached the reserved amount of {amount}. Start a new "
    "session to charge more."
)
PAYMENT_DECLINED = N_(
    "Your payment was declined and nothing was charged. Please try another card or payment method."
)
PAYMENT_UNAVAILABLE = N_(
    "We could not reach the payment service and nothing was charged. Please try again in a moment."
)
TOKEN_NOT_ALLOWED = N_(
    "This card cannot be used at this charge point. Please use another card or pay by card "
    "with the QR code on the charge point."
)
# TRANSLATORS: {support} is a phone number or e-mail address.
SESSION_NOT_FOUND = N_(
    "We could not find this charging session. Please open the link from your receipt again "
    "or contact {support}."
)
RECEIPT_NOT_READY = N_("Your receipt is not ready yet. Please check again in a few minutes.")
INVALID_INPUT = N_("Something in your entry is not right. Please check it and try again.")
TOO_MANY_ATTEMPTS = N_("Too many attempts. Please wait a moment and try again.")
# TRANSLATORS: {support} is a phone number or e-mail address.
UNEXPECTED_ERROR = N_(
    "Something went wrong on our side. Please try again, or contact {support} if it happens again."
)

# Accounts: logging in with a passkey or an e-mail link, and charging under a contract.

# TRANSLATORS: the subject of the login e-mail; {operator} is the operator's name.
LOGIN_LINK_SUBJECT = N_("Your login link for {operator}")
# TRANSLATORS: the greeting of the login e-mail; {name} is the user's name.
LOGIN_LINK_GREETING = N_("Hello {name},")
# TRANSLATORS: {minutes} is a number such as "15"; {operator} is the operator's name.
LOGIN_LINK_BODY = N_("Open this link within {minutes} minutes to log in to {operator}:")
LOGIN_LINK_BUTTON = N_("Log in")
LOGIN_LINK_ONCE = N_("The link works once. Afterwards you can add a passkey in your account.")
LOGIN_LINK_IGNORE = N_(
    "If you did not ask to log in, you can ignore this e-mail: nobody can log in without the link."
)
LOGIN_LINK_INVALID = N_(
    "This login link is not valid any more: it was used already or it expired. Please request "
    "a new one."
)
NOT_LOGGED_IN = N_("Please log in.")
LOGIN_EXPIRED = N_("Your login has expired. Please log in again.")
CSRF_FAILED = N_("We could not verify this request. Please reload the page and try again.")
NOT_PERMITTED = N_("You are not allowed to do this.")
PASSKEY_REJECTED = N_(
    "We could not verify your passkey. Please try again, or log in with a link by e-mail."
)
PASSKEY_NOT_REGISTERED = N_(
    "We could not add this passkey. Please try again; if it happens again, use another device."
)
PASSKEY_ALREADY_REGISTERED = N_("This passkey is registered already.")
PASSKEY_CEREMONY_EXPIRED = N_("This took too long. Please try again.")
# TRANSLATORS: the name given to a new passkey; {date} is a formatted date such as "25.11.2026".
PASSKEY_DEFAULT_NAME = N_("Passkey of {date}")
PASSKEY_NOT_FOUND = N_("We could not find this passkey.")
INVALID_EMAIL = N_("Please enter a valid e-mail address.")
# TRANSLATORS: {support} is a phone number or e-mail address.
NO_CHARGING_CONTRACT = N_("Your account has no charging contract. Please contact {support}.")
# TRANSLATORS: {date} is the contract's last day, {support} the operator's phone or e-mail.
CONTRACT_ENDED = N_(
    "Your charging contract ended on {date}. To renew it, please contact {support}."
)
ALREADY_CHARGING = N_(
    "You are charging already. Please stop that session before you start a new one."
)
START_NOT_ACCEPTED = N_(
    "The charge point did not accept the start. Please plug in the cable and try again, or try "
    "another charge point."
)
CHARGING_STARTS = N_("The charge point is starting. Plug in the cable if you have not yet.")

# A customer's own cards, the fleet manager's views, and their data (GDPR)

CARD_NOT_FOUND = N_("We could not find this card in your account.")
# TRANSLATORS: {support} is a phone number or e-mail address.
CARD_BLOCKED_BY_OPERATOR = N_(
    "Our support team blocked this card. To use it again, please contact {support}."
)
# TRANSLATORS: {support} is a phone number or e-mail address.
CARD_EXPIRED = N_("This card has expired. Please contact {support} for a new one.")
HOLDER_NOT_OF_COMPANY = N_("Please choose one of your company's people as the card's holder.")
# TRANSLATORS: {operator} is the operator's name.
DELETION_REQUESTED_SUBJECT = N_("Your request to erase your account at {operator}")
# TRANSLATORS: {email} is the account's e-mail address, {operator} the operator's name.
DELETION_REQUESTED_TEXT = N_(
    "Hello,\n\nwe have received your request to erase your account {email} at {operator}. "
    "We will tell you by e-mail when it is done."
)
DELETION_KEPT = N_(
    "What we must keep: your invoices and the records of your charging sessions stay for "
    "10 years, as German tax law requires (§ 147 AO, § 14b UStG). They are used for nothing "
    "else and erased after that."
)
# TRANSLATORS: {operator} is the operator's name.
DELETION_DONE_SUBJECT = N_("Your account at {operator} is erased")
DELETION_DONE_TEXT = N_(
    "Hello,\n\nyour account at {operator} is erased: your login, passkeys and app token are "
    "gone, and your name and e-mail address are removed from it."
)
# TRANSLATORS: {operator} is the operator's name.
DELETION_DECLINED_SUBJECT = N_("Your request to erase your account at {operator}")
# TRANSLATORS: {reason} is the operator's explanation, {support} a phone number or e-mail.
DELETION_DECLINED_TEXT = N_(
    "Hello,\n\n{operator} has not erased your account, for this reason:\n\n{reason}\n\n"
    "If you have questions, please contact {support}."
)
# TRANSLATORS: a mail to the operator's support; {email} is the customer's address.
DELETION_OPERATOR_SUBJECT = N_("Privacy request: {email} asks to be erased")
# TRANSLATORS: {link} is the address of admin mode's privacy requests.
DELETION_OPERATOR_TEXT = N_(
    "{name} ({email}) asks to have their account erased. Please complete or decline the "
    "request in admin mode: {link}"
)

# Operators' notifications about their network (e-mail)

# TRANSLATORS: {station} is a station's name or OCPP identity.
STATION_OFFLINE_SUBJECT = N_("Station {station} is offline")
# TRANSLATORS: {at} is a formatted date and time.
STATION_OFFLINE_TEXT = N_("Station {station} lost its connection at {at} and has not come back.")
# TRANSLATORS: {error_code} is an OCPP error code such as GroundFailure.
STATION_FAULT_SUBJECT = N_("Station {station} reports a fault: {error_code}")
# TRANSLATORS: {connector} is the OCPP connector number (0 is the whole station).
STATION_FAULT_TEXT = N_("Station {station}, connector {connector}, reported {error_code} at {at}.")
# Support: a driver reports a problem at a charge point; staff reply.

INVALID_PHONE = N_("Please check the phone number, or leave it empty.")
PROBLEM_REPORTED = N_(
    "Thank you. Your report has reached the operator. Keep this page to see their answer."
)
PROBLEM_REPORTED_WITH_CONTACT = N_(
    "Thank you. Your report has reached the operator; their answer will also come by e-mail."
)
PHOTO_TOO_LARGE = N_("This photo is too large. Please take one with a smaller size (up to 5 MB).")
PHOTO_NOT_AN_IMAGE = N_("This file is not a photo. Please choose a JPEG, PNG or WebP picture.")
NO_MORE_PHOTOS = N_("No more photos can be added to this report.")
# TRANSLATORS: {operator} is the operator's name.
TICKET_REPLY_SUBJECT = N_("Your report to {operator}: an answer")
# TRANSLATORS: {operator} is the operator's name, {evse} the charge point's ID.
TICKET_REPLY_INTRO = N_("{operator} has answered your report about charge point {evse}:")
# TRANSLATORS: {link} is the address of the report's page.
TICKET_REPLY_LINK = N_("Your report and all answers: {link}")

# Platform administration: new operators and their first admin.

# TRANSLATORS: the subject of an invitation; {operator} is the operator's name.
INVITATION_SUBJECT = N_("You are invited to {operator}")
# TRANSLATORS: {operator} is the operator's name, {days} a number such as "7".
INVITATION_BODY = N_(
    "You have an account at {operator} on our charging platform. The link below logs you in "
    "once within {days} days; then add a passkey in your account."
)

# Invoices of contract customers (PDF and mail).

INVOICE_TITLE = N_("Invoice")
INVOICE_NUMBER_LABEL = N_("Invoice number")
INVOICE_DATE_LABEL = N_("Invoice date")
INVOICE_PERIOD_LABEL = N_("Service period")
# TRANSLATORS: {start} and {end} are dates such as "01.11.2026" and "30.11.2026".
INVOICE_PERIOD = N_("Charging from {start} to {end}")
INVOICE_COLUMN_DATE = N_("Start")
INVOICE_COLUMN_CHARGE_POINT = N_("Charge point")
INVOICE_COLUMN_CARD = N_("Card or app")
INVOICE_COLUMN_ENERGY = N_("Energy")
INVOICE_COLUMN_AMOUNT = N_("Amount")
# TRANSLATORS: {rate} is a VAT rate such as "19".
INVOICE_NET_AT = N_("Net amount at {rate} % VAT")
INVOICE_VAT_AT = N_("VAT {rate} %")
INVOICE_TOTAL = N_("Total")
# TRANSLATORS: {amount} is a sum of money, {date} a date, {number} the invoice number.
INVOICE_DUE = N_(
    "Please transfer {amount} by {date}, with the invoice number {number} as reference."
)
# TRANSLATORS: {number} is the invoice number, {operator} the operator's name.
INVOICE_MAIL_SUBJECT = N_("Your invoice {number} from {operator}")
INVOICE_MAIL_TEXT = N_(
    "Hello,\n\nattached is your invoice for {period}: {amount}, due on {date}.\n\n"
    "Thank you for charging with {operator}."
)
# TRANSLATORS: the title of a credit note that corrects an invoice (German:
# "Rechnungskorrektur").
CREDIT_NOTE_TITLE = N_("Credit note (invoice correction)")
CREDIT_NOTE_NUMBER_LABEL = N_("Credit note number")
CREDIT_NOTE_DATE_LABEL = N_("Credit note date")
# TRANSLATORS: {number} is the corrected invoice's number, {date} its date.
CREDIT_NOTE_CORRECTS = N_("Corrects invoice {number} of {date}")
CREDIT_NOTE_REASON_LABEL = N_("Reason")
# TRANSLATORS: {amount} is a sum of money, {number} the corrected invoice's number.
CREDIT_NOTE_OFFSET = N_("{amount} is set off against invoice {number}; nothing is left to pay.")
# TRANSLATORS: {amount} is a sum of money, {date} a date.
CREDIT_NOTE_PAYOUT = N_("We will pay {amount} back to you by {date}.")
# TRANSLATORS: {number} is the credit note's number, {operator} the operator's name.
CREDIT_NOTE_MAIL_SUBJECT = N_("Your credit note {number} from {operator}")
# TRANSLATORS: {invoice} is the corrected invoice's number, {amount} a sum of money.
CREDIT_NOTE_MAIL_TEXT = N_(
    "Hello,\n\nattached is a credit note of {amount} for your invoice {invoice}.\n\n"
    "Thank you for charging with {operator}."
)
INVOICES_NOT_YOURS = N_(
    "Your company's invoices go to its fleet manager. Please ask them, or contact us."
)

# Payment methods on file: a contract customer's card or SEPA Direct Debit for invoices.

PAYMENT_METHOD_NOT_YOURS = N_(
    "Your company's payment method is chosen by its fleet manager. Please ask them, or contact us."
)
# TRANSLATORS: {support} is a phone number or e-mail address.
METHOD_ON_FILE_NOT_OFFERED = N_(
    "Paying invoices by card or direct debit is not offered here yet: your invoices are paid "
    "by bank transfer. Questions? Contact {support}."
)
MANDATE_NOT_ACCEPTED = N_(
    "Please read the SEPA Direct Debit mandate and accept it to pay by direct debit."
)
SETUP_UNAVAILABLE = N_(
    "We could not reach the payment service and nothing was saved. Please try again in a moment."
)
SETUP_DECLINED = N_(
    "Your bank declined this card, so it was not saved. Please try another card, or pay by "
    "direct debit."
)
SETUP_AUTHENTICATION_FAILED = N_(
    "The confirmation with your bank did not succeed, so the card was not saved. Please try "
    "again, or use another card."
)
SETUP_NOT_FINISHED = N_(
    "Saving your payment method was not finished, so nothing was saved. Please start again."
)
SETUP_FAILED = N_(
    "Your payment method could not be saved. Please try again, or choose another one."
)
SETUP_NOT_FOUND = N_("We could not find this payment method. Please reload the page.")
