"""First-level support: drivers report a problem at a charge point; operator staff answer,
release a stuck cable, and close the ticket."""
