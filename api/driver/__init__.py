"""The public driver API: no login; what the web app shows after a QR code is scanned."""
