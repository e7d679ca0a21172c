"""Valid answers for every Datong task and a driver that walks the process with them."""

from __future__ import annotations

from typing import Any

from engine.tools.testing import ProcessRun

from .walking import walk_process

ANSWERS: dict[str, dict[str, Any]] = {
    "Task_Register": {"projectName": "大同市一体化政务服务平台升级", "owner": "MUNICIPAL_DEPARTMENT",
                      "fundingMode": "GOVERNMENT_INVESTMENT", "registeredInPlatform": True,
                      "platformNumber": "DT-2025-017", "situation": "NORMAL", "reallyNecessary": False},
    "Task_PreReview": {"preReviewOpinion": "建议报市政府审批"},
    "Task_GovApproval": {"govApproved": True, "govOpinion": "同意实施"},
    "Task_Apply": {"applicationFormRef": "申请表-017.pdf", "proposalRef": "建议书-017.pdf", "dataSource": "各部门业务系统",
                   "dataFormat": "JSON", "updateFrequency": "DAILY", "sharingAttribute": "CONDITIONAL",
                   "openingAttribute": "NOT_OPEN", "systemCatalogue": "政务服务系统目录 v3", "totalBudgetWan": 480.5,
                   "multiYear": False, "crossDepartment": False},
    "Task_Review": {"applicationFormAndProposalComplete": True, "dataAttributesStated": True, "reviewPassed": True,
                    "canInterconnect": True, "sharingAsRequired": True, "newPrivateNetwork": False,
                    "privateNetworkRequiredByLaw": False, "reviewOpinion": "需求合理，方案可行",
                    "expertReportRef": "评估报告-017.pdf"},
    "Task_Certificate": {"certificateNumber": "同数政备〔2025〕17号", "issuedOn": "2025-09-10"},
    "Task_Approve": {"projectApproved": True, "approvalNumber": "同审批〔2025〕88号", "approvalOpinion": "同意立项"},
    "Task_BudgetReview": {"approvedBudgetWan": 455.0, "reviewAgency": "山西某造价咨询公司", "budgetOpinion": "审定455万元"},
    "Task_Publicity": {"publicityStart": "2025-09-15", "publicityEnd": "2025-09-22", "publicityChannel": "中心门户网站"},
    "Task_Funding": {"fundedWan": 455.0, "budgetYear": 2025},
    "Task_Contract": {"contractorName": "大同某信息技术有限公司", "contractAmountWan": 449.8, "signingDate": "2025-09-30",
                      "procurementMethod": "OPEN_TENDER", "keyProductsControllable": True},
    "Task_FileContract": {"contractFiledOn": "2025-10-14", "contractRef": "合同-017.pdf"},
    "Task_ChaseContract": {"chaseNote": "已电话督促"},
    "Task_Supervisor": {"supervisorName": "某监理公司", "supervisorFiledOn": "2025-10-20"},
    "Task_Construction": {"progressReport": "按计划完成全部建设内容", "changeType": "NONE"},
    "Task_ChangeEvaluation": {"adjustmentOpinion": "APPROVE", "changeOpinion": "同意调整"},
    "Task_RectifyOrder": {"measure": "RECTIFY", "orderNote": "限期整改"},
    "Task_AcceptanceTiming": {"canApplyOnTime": True, "hasReasonableCause": False},
    "Task_Deferral": {"deferralApproved": True, "deferredTo": "2026-01-31"},
    "Task_RectifyDelay": {"rectificationNote": "已制定验收计划"},
    "Task_Acceptance": {"acceptanceDate": "2025-12-01", "passed": True, "catalogueIncorporated": True,
                        "securityControllable": True, "acceptanceReportRef": "验收报告-017.pdf"},
    "Task_RectifyAcceptance": {"rectificationNote": "已整改"},
    "Task_FileReport": {"reportFiled": True, "reportFiledOn": "2025-12-20"},
    "Task_ReportOverdueNotice": {"noticeNote": "暂停拨付"},
    "Task_FundsBlocked": {"noticeNote": "停拨后续资金"},
    "Task_SelfEvaluation": {"evaluationYear": 2026, "selfEvaluationReport": "绩效目标完成"},
    "Task_Appraisal": {"sharingInOperation": True, "appraisalScore": 92, "problemsFound": False,
                       "refusesRectification": False},
    "Task_AppraisalRectify": {"rectificationNote": "已按整改意见完成数据共享接口改造"},
    "Task_WithholdFunds": {"noticeNote": "停拨运维经费"},
    "Task_Suspend": {"noticeNote": "暂停拨付直至终止"},
    "Task_Operation": {"decommission": True, "operationNote": "系统已被新平台替代"},
    "Task_Decommission": {"decommissionPlanRef": "停用方案.pdf", "dataDisposition": "数据迁移至新平台"},
}


def walk(run: ProcessRun, answers: dict[str, Any] | None = None, *, until: str | None = None,
         skip: tuple[str, ...] = ("Task_ChaseContract", "Task_ReportOverdueNotice"), limit: int = 60) -> None:
    """Walk Datong's process with valid answers (see walking.walk)."""
    walk_process(run, ANSWERS, answers, until=until, skip=skip, limit=limit)
