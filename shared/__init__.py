"""Common mechanisms of the five services: settings, database, events, bus, outbox/inbox, errors, logging.

Nothing in this package holds a business rule of one service.
"""
