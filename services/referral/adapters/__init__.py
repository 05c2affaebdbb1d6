"""Referral's clients of other systems: the partners' Kafka topics (``partner_topics``) and the signed
webhook delivery to partners' receivers (``webhook_delivery``)."""
