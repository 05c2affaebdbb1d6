"""What disbursement refuses, in the language of the policy (bases: shared/domain_errors.py; mapped to
problem+json once, in shared/errors.py). Slugs are the problem type URIs' last segments and stay stable."""

from __future__ import annotations

from shared.domain_errors import (
    DomainError,
    InvalidValue,
    Kind,
    NotPermitted,
    RecordNotFound,
    RuleRefused,
    StateConflict,
)

# --- not found (404) ---


class PaymentNotFound(RecordNotFound):
    def __init__(self, instruction_id: str) -> None:
        super().__init__(f"payment {instruction_id} not found")


class CaseNotKnown(RecordNotFound):
    """A case disbursement never heard of (no beneficiary, no payment)."""

    def __init__(self, case_id: str) -> None:
        super().__init__(f"case {case_id} is not known to disbursement")


class PayeeChangeNotFound(RecordNotFound):
    def __init__(self, change_id: str) -> None:
        super().__init__(f"payee change {change_id} not found")


class ReserveFundNotFound(RecordNotFound):
    def __init__(self, township_code: str, year: int) -> None:
        super().__init__(f"no {year} reserve fund for township {township_code}")


class CountyNotFound(RecordNotFound):
    def __init__(self, county_code: str) -> None:
        super().__init__(f"county {county_code} is not in the city's jurisdictions")


class BatchNotFound(RecordNotFound):
    def __init__(self, batch_id: str) -> None:
        super().__init__(f"batch {batch_id} not found")


class ExceptionNotFound(RecordNotFound):
    def __init__(self, exception_id: int) -> None:
        super().__init__(f"exception {exception_id} not found")


class ReceiptCheckNotFound(RecordNotFound):
    def __init__(self, check_id: str) -> None:
        super().__init__(f"receipt check {check_id} not found")


# --- policy rules (409) ---


class ReserveFundExhausted(RuleRefused):
    """R-RES: a township reserve fund never goes below zero; a draw it cannot cover is refused."""

    slug, title = "reserve-fund-short", "The reserve fund is short"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, rule="R-RES")


class SeparationOfDuties(RuleRefused):
    """Four eyes (R-AID-2): who asked for, created or hands over something is not who decides or
    witnesses it."""

    slug, title = "separation-of-duties", "Refused by a policy rule"


class WitnessNotIndependent(SeparationOfDuties):
    """R-AID-2: the witness of a direct handover is someone other than the person handing over."""

    def __init__(self) -> None:
        message = "the witness must be someone other than the person handing over (R-AID-2)"
        super().__init__(
            f"witness_name: {message}", rule="R-AID-2", errors=[{"field": "witness_name", "message": message}]
        )


class ProcurementReferenceMissing(InvalidValue):
    """R-AID-3: goods bought by the government name their procurement reference (a missing field: 422)."""

    def __init__(self) -> None:
        super().__init__(
            "procurement_reference",
            "goods bought by the government need their procurement reference (R-AID-3)",
        )


# --- the record's state (409) ---


class PaymentState(StateConflict):
    """The payment's status does not allow it (R-AID-2: never paid twice)."""

    slug = "payment-state"


class NotATransfer(StateConflict):
    slug = "not-a-transfer"


class NothingSent(StateConflict):
    slug = "nothing-sent"


class AttemptSuperseded(StateConflict):
    slug = "attempt-superseded"


class NoAccount(StateConflict):
    slug = "no-account"


class AlreadyAllocated(StateConflict):
    slug = "already-allocated"


class PayeeChangePending(StateConflict):
    slug = "payee-change-pending"


class ChangeAlreadyDecided(StateConflict):
    slug = "change-already-decided"


class SettingsVersionExists(StateConflict):
    slug = "settings-version-exists"


class NoBankSettings(StateConflict):
    slug = "no-bank-settings"


class NotBankable(StateConflict):
    """A payee or header value the bank file's layout cannot carry (named by payment, never by name)."""

    slug = "not-bankable"


class NothingToPay(StateConflict):
    slug = "nothing-to-pay"


class BankUnreachable(StateConflict):
    """The bank's SFTP server is not configured, not reachable or not the pinned one (its host key)."""

    slug = "bank-unreachable"


class BatchState(StateConflict):
    slug = "batch-state"


class BatchChanged(StateConflict):
    """What was approved is what leaves: a batch whose file or payments changed since approval."""

    slug = "batch-changed"


class ExceptionResolved(StateConflict):
    slug = "exception-resolved"


class CheckDone(StateConflict):
    slug = "check-done"


# --- bank files (422: the file is the payload) ---


class BankFileError(DomainError, ValueError):
    """A file or a value that the layout cannot carry: names the line (1-based) and the field."""

    kind, slug, title = Kind.INVALID, "malformed-bank-file", "The bank file is malformed"

    def __init__(self, line: int, field: str, message: str) -> None:
        super().__init__(
            f"line {line}, {field}: {message}",
            line=line,
            field=field,
            errors=[{"field": f"line[{line}].{field}", "line": line, "message": message}],
        )
        self.line, self.field, self.message = line, field, message


class MalformedFile(BankFileError):
    """422: an imported file breaks its layout; names the line and the field; nothing of it is applied."""

    def __init__(self, error: BankFileError) -> None:
        super().__init__(error.line, error.field, error.message)
        self.detail = f"{error.detail}; nothing of the file was applied"


# --- reserve-fund reports, top-ups, year-end settlements (R-RES-2) ---


class ReserveReportNotFound(RecordNotFound):
    def __init__(self, report_id: str) -> None:
        super().__init__(f"reserve-fund report {report_id} not found")


class TopUpNotFound(RecordNotFound):
    def __init__(self, top_up_id: str) -> None:
        super().__init__(f"reserve-fund top-up {top_up_id} not found")


class NoReserveSettings(StateConflict):
    """R-RES-2: the county has not set how often its townships report (policy is data, no silent default)."""

    slug = "no-reserve-settings"


class PeriodNotEnded(RuleRefused):
    """R-RES-2: a report covers a period that has ended (local dates); an open period cannot be reported."""

    slug, title = "period-not-ended", "The period has not ended"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, rule="R-RES-2")


class PeriodNotReported(RuleRefused):
    """R-RES-2: the county's setting says monthly or quarterly; a period of the other kind is refused."""

    slug, title = "period-not-reported", "The county does not report by this period"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, rule="R-RES-2")


class ReportState(StateConflict):
    """The report's status does not allow it (submitted once; answered only when queried)."""

    slug = "report-state"


class TopUpState(StateConflict):
    slug = "top-up-state"


class YearNotOver(RuleRefused):
    """R-RES-2: the year-end settlement comes after the year's last (local) day."""

    slug, title = "year-not-over", "The year is not over"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, rule="R-RES-2")


class AlreadySettled(StateConflict):
    """R-RES-2, R-OVS-3: a township's year is settled exactly once."""

    slug = "already-settled"


class CountyDecides(NotPermitted):
    """R-RES-2: the county supervises: a township's staff do not acknowledge, query or approve for it."""

    slug = "county-decides"

    def __init__(self, what: str) -> None:
        super().__init__(
            f"{what} is the county's (R-RES-2): county staff do it, not a township's", rule="R-RES-2"
        )


class TownshipReports(NotPermitted):
    """R-RES-2: a township's own officer submits and answers its reports."""

    slug = "township-reports"

    def __init__(self, township_code: str) -> None:
        super().__init__(
            f"the reports of township {township_code} are submitted by its own officers (R-RES-2)",
            rule="R-RES-2",
        )
