"""Tariffs and prices: one tariff model feeds the price shown before charging, the running
cost, the charge detail record, the receipt and what roaming partners see."""
