"""Intake (受理): the single window where applications arrive, are validated, recorded and published."""

from pathlib import Path

from services.intake.api import router
from services.intake.api_figures import router as figures_router
from services.intake.settings import IntakeSettings
from services.intake.tables import metadata
from services.intake.metrics import state_gauges
from shared.runtime import ServiceModule

router.include_router(figures_router)  # GET /intake/v1/figures (R-OVS-1)

MODULE = ServiceModule(
    name="intake",
    settings_cls=IntakeSettings,
    router=router,
    metadata=metadata,
    migrations=Path(__file__).parent / "migrations",
    state_gauges=state_gauges,
)
