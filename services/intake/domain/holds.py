"""Why a case is held (duplicate review) and what happens next, in a clerk's words (English and Chinese).

The words name the kind of match and how many, never the matched cases: they may belong to another
jurisdiction, whose case ids this clerk must not see."""

from __future__ import annotations

from dataclasses import dataclass

WORDS = {
    "person_in_open_case": (
        "a member of this household is also in {n} other case(s) not decided yet",
        "本户有成员同时在{n}个尚未办结的其他救助申请中",
    ),
    "household_being_helped": (
        "a member of this household was approved for temporary assistance recently (in {n} case(s))",
        "本户有成员近期已获批临时救助（{n}件）",
    ),
}
NEXT_STEP = (
    "The case waits for duplicate review: a township or county approver (supervisor) checks it and either "
    "clears it (it then goes on to assessment) or merges it into the other case. Nothing is paid meanwhile.",
    "本申请暂缓办理，等待重复核查：由乡镇或县级审批人员（主管）核查后，或予以放行（随后进入审核评估），"
    "或并入另一申请。核查期间不予发放。",
)
REVIEWERS = ["township_approver", "county_approver"]


@dataclass(frozen=True)
class Hold:
    code: str
    message: str
    message_zh: str
    next_step: str
    next_step_zh: str
    reviewed_by: list[str]


def hold_reason(open_flags: dict[str, int]) -> Hold | None:
    """The hold of a case with these open flags (kind -> count), or None when none is open."""
    kinds = [k for k in WORDS if open_flags.get(k)] + sorted(k for k in open_flags if k not in WORDS)
    if not kinds:
        return None
    english = [WORDS.get(k, ("a possible duplicate ({n})", "疑似重复（{n}）"))[0] for k in kinds]
    chinese = [WORDS.get(k, ("a possible duplicate ({n})", "疑似重复（{n}）"))[1] for k in kinds]
    return Hold(
        code="+".join(kinds),
        message="Held for duplicate review: "
        + "; ".join(e.format(n=open_flags[k]) for e, k in zip(english, kinds, strict=True))
        + ".",
        message_zh="暂缓（重复核查）："
        + "；".join(c.format(n=open_flags[k]) for c, k in zip(chinese, kinds, strict=True))
        + "。",
        next_step=NEXT_STEP[0],
        next_step_zh=NEXT_STEP[1],
        reviewed_by=list(REVIEWERS),
    )
