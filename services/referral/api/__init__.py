"""Referral's REST API: the staff router (``staff``, bearer JWTs) and the partner router (``partner``, API
keys), the referral desk (``desk``: needs, scheme referrals, timeline, 低保 suggestions), partners'
projects and schemes' answers (``partner_projects``), purchased-service contracts, rewards and the published
partner ranking (``purchased_services``), assembled into one ``router`` under /referral/v1;
``asyncapi_doc`` is the partner AsyncAPI document
the staff router serves."""

from fastapi import APIRouter

from services.referral.api.desk import router as desk_router
from services.referral.api.partner import router as partner_router
from services.referral.api.partner_projects import router as project_router
from services.referral.api.partner_projects import staff_router as directory_router
from services.referral.api.person_data import router as person_data_router
from services.referral.api.purchased_services import router as contracts_router
from services.referral.api.staff import router as staff_router

router = APIRouter()
router.include_router(staff_router)
router.include_router(desk_router)
router.include_router(directory_router)
router.include_router(contracts_router)
router.include_router(partner_router)
router.include_router(project_router)
router.include_router(person_data_router)  # a person's records and recipients (PIPL arts. 23, 45)

__all__ = ["router"]
