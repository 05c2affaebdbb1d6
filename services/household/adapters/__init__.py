"""Clients of other systems: the SMS gateway and its notice sender, status webhooks, PDF letters."""
