"""Monthly billing of contract customers: one invoice per customer and month with all its
charge detail records not billed before."""
