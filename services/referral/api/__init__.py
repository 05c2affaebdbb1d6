"""Referral's REST API: the staff router (``staff``, bearer JWTs) and the partner router (``partner``, API
keys), assembled into one ``router`` under /referral/v1; ``asyncapi_doc`` is the partner AsyncAPI document
the staff router serves."""

from fastapi import APIRouter

from services.referral.api.partner import router as partner_router
from services.referral.api.staff import router as staff_router

router = APIRouter()
router.include_router(staff_router)
router.include_router(partner_router)

__all__ = ["router"]
