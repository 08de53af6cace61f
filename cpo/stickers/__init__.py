"""QR stickers for charge points: the code a driver scans, with the EVSE ID under it."""
