"""Referral's use cases, one module per aggregate: ``sharing`` (the consumers' use cases: a decided,
consented case becomes needs records; a consent withdrawal withdraws them), ``exchange`` (offers to partners
and their answers), ``partners`` (the partner registry and credentials) and ``deliveries`` (webhook
redelivery on request)."""
