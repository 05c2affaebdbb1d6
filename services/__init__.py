"""The services of the temporary-assistance system (the five of the case path and household, its
notices and status for the household); ``python -m services`` runs them."""

SERVICE_NAMES = ("intake", "assessment", "approval", "disbursement", "referral", "household")
