"""Sites, charge stations, EVSEs and connectors: what is installed and how it is doing."""
