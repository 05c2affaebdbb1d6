"""The public stages of a case, as a government service platform shows them (办件状态): no personal data,
only what the household may be told (二(二) 过程透明)."""

from __future__ import annotations

from services.household.domain.model import Stage

__all__ = ["LABELS", "NEXT_STEPS", "Stage", "label", "next_step"]

LABELS = {
    Stage.accepted: "已受理",
    Stage.documents_missing: "待补充材料",
    Stage.under_review: "审核审批中",
    Stage.help_first: "已先行救助，补办审核审批中",
    Stage.approved: "已批准救助",
    Stage.refused: "不予救助",
    Stage.paid: "救助金已发放",
    Stage.referred: "已转介慈善组织",
}

NEXT_STEPS = {
    Stage.accepted: "等待入户调查和家庭经济状况核对，无需另行提交材料",
    Stage.documents_missing: "请按告知补充材料后，到受理的乡镇人民政府（街道办事处）重新提交",
    Stage.under_review: "等待审核（审核）和审批（审批）结果，结果将以短信和书面决定书告知",
    Stage.help_first: "已先行救助，正在补办审核审批手续（R-FLOW-2），无需另行申请",
    Stage.approved: "等待救助金按批准的分期发放到申请时登记的账户",
    Stage.refused: "可凭不予救助决定书，在告知的期限内申请复核",
    Stage.paid: "救助金已发放，请注意查收；如有疑问请联系经办机构",
    Stage.referred: "慈善组织将通过乡镇人民政府（街道办事处）与您联系",
}


def label(stage: str) -> str:
    return LABELS.get(Stage(stage), stage)


def next_step(stage: str) -> str:
    return NEXT_STEPS.get(Stage(stage), "")
