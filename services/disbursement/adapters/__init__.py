"""Clients of other systems and renderers: the hand-off of released bank files to the bank
(bank_handoff.py), the printable reserve-fund report (report_pdf.py; page and fonts: shared/pdf.py)."""
