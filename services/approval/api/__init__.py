"""Approval's REST API under /approval/v1: cases with the review and approval steps (cases.py), help first
(grants.py), townships' limits and working-day calendars (admin.py), re-examination (reexaminations.py),
complaints (tickets.py), and the oversight figures."""

from __future__ import annotations

from fastapi import APIRouter

from services.approval.api import admin, cases, grants, reexaminations, tickets
from services.approval.figures import figures
from shared.api import PROBLEM_RESPONSES
from shared.figures import figures_router

router = APIRouter(prefix="/approval/v1", tags=["approval"], responses=PROBLEM_RESPONSES)
router.include_router(admin.router)
router.include_router(cases.router)
router.include_router(grants.router)
router.include_router(reexaminations.router)
router.include_router(tickets.router)
router.include_router(
    figures_router(
        "approval", figures, "Decisions, escalations, amounts, months, speed and help first (JSON or CSV)"
    )
)  # GET /figures (R-OVS-1)

# --- budgets (R-OVS-3) ---
from services.approval.api import budget_routes  # noqa: E402 - the budgets block, kept apart for merges

router.include_router(budget_routes.router)

# --- supervision (R-OVS-1) ---
from services.approval.api import scorecard_routes  # noqa: E402 - the scorecards block

router.include_router(scorecard_routes.router)

# --- the person's rights (PIPL art. 45) ---
from services.approval.api import person_data  # noqa: E402 - the person-data block

router.include_router(person_data.router)
