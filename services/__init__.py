"""The five services of the temporary-assistance system; ``python -m services`` runs them."""

SERVICE_NAMES = ("intake", "assessment", "approval", "disbursement", "referral")
