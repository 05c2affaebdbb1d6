"""Clients of other systems: the hand-off of released bank files to the bank (bank_handoff.py)."""
