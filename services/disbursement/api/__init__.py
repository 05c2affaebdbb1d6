"""Disbursement's REST API under /disbursement/v1: routers only (parse, authorise, call the service,
answer): payments and payee changes, reserve funds and the ledger, reserve-fund reports, bank files,
and the oversight figures."""

from __future__ import annotations

from fastapi import APIRouter

from services.disbursement import figures
from services.disbursement.api.bank_routes import router as bank_router
from services.disbursement.api.fund_routes import router as fund_router
from services.disbursement.api.payment_routes import router as payment_router
from services.disbursement.api.person_data import router as person_data_router
from services.disbursement.api.reserve_routes import router as reserve_router
from shared.api import PROBLEM_RESPONSES

router = APIRouter(prefix="/disbursement/v1", tags=["disbursement"], responses=PROBLEM_RESPONSES)
router.include_router(reserve_router)  # reserve-fund reports, top-ups, year end (R-RES-2)
router.include_router(fund_router)
router.include_router(payment_router)
router.include_router(figures.router())  # GET /figures (R-OVS-1)
router.include_router(bank_router)  # bank files: batches, return files, receipt checks (R-AID-2)
router.include_router(person_data_router)  # a person's records (PIPL art. 45)
