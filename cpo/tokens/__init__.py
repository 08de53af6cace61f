"""ID tokens (RFID cards, app tokens, ad hoc and roaming tokens) and authorization."""
