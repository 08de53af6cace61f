"""A user's data: the copy they download, and their request to be erased (GDPR Art. 15, 17)."""
