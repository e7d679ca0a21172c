#!/usr/bin/env bash
# Walk one Datong project from application to decommissioning through the govflow CLI.
# Usage: scripts/walk_datong.sh   (uses GOVFLOW_DATABASE_URL, default: a fresh SQLite file in /tmp)
set -euo pipefail
export GOVFLOW_DATABASE_URL="${GOVFLOW_DATABASE_URL:-sqlite:////tmp/govflow-walk-datong.sqlite}"
GOVFLOW="${GOVFLOW:-govflow}"
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

$GOVFLOW init-db >/dev/null
# Deploying runs as the system administrator; every later step acts as one of the demo users it enables.
$GOVFLOW deploy datong | json 'd[0]["deployment"]["bundle"], d[0]["created"]'
$GOVFLOW users demo >/dev/null
applicant=datong_applicant_unit center=datong_digital_gov_center bureau=datong_admin_approval_bureau
finance=datong_finance_bureau
instance=$($GOVFLOW start datong_project --business-key DT-DEMO-001 --actor "$applicant" | json 'd["id"]')
echo "instance $instance"

step() {  # step TASK_SPEC USER JSON
  local task_id
  task_id=$($GOVFLOW instance "$instance" | json "[t['id'] for t in d['tasks'] if t['spec_id'] == '$1'][0]")
  $GOVFLOW complete "$task_id" --actor "$2" --data "$3" \
    | json "'$1 ->', [t['spec_id'] + ' (' + t['candidate_group'] + ')' for t in d['tasks']], d['instance']['status']"
}

step Task_Register "$applicant" '{"projectName": "大同市一体化政务服务平台升级", "owner": "MUNICIPAL_DEPARTMENT", "fundingMode": "GOVERNMENT_INVESTMENT", "registeredInPlatform": true, "platformNumber": "DT-2025-017", "situation": "NORMAL", "reallyNecessary": false}'
step Task_Apply "$applicant" '{"applicationFormRef": "申请表.pdf", "proposalRef": "建议书.pdf", "dataSource": "业务系统", "dataFormat": "JSON", "updateFrequency": "DAILY", "sharingAttribute": "CONDITIONAL", "openingAttribute": "NOT_OPEN", "systemCatalogue": "系统目录", "totalBudgetWan": 480.5, "multiYear": false, "crossDepartment": false}'
step Task_Review "$center" '{"applicationFormAndProposalComplete": true, "dataAttributesStated": true, "reviewPassed": true, "canInterconnect": true, "sharingAsRequired": true, "newPrivateNetwork": false, "privateNetworkRequiredByLaw": false, "reviewOpinion": "需求合理"}'
step Task_Certificate "$center" '{"certificateNumber": "同数政备〔2025〕17号", "issuedOn": "2025-09-10"}'
step Task_Approve "$bureau" '{"projectApproved": true, "approvalNumber": "同审批〔2025〕88号", "approvalOpinion": "同意立项"}'
step Task_BudgetReview "$center" '{"approvedBudgetWan": 455.0, "reviewAgency": "造价咨询公司", "budgetOpinion": "审定455万元"}'
step Task_Publicity "$center" '{"publicityStart": "2025-09-15", "publicityEnd": "2025-09-22", "publicityChannel": "门户网站"}'
step Task_Funding "$finance" '{"fundedWan": 455.0, "budgetYear": 2025}'
step Task_Contract "$applicant" '{"contractorName": "承建公司", "contractAmountWan": 449.8, "signingDate": "2025-09-30", "procurementMethod": "OPEN_TENDER", "keyProductsControllable": true}'
echo "contract filing due: $($GOVFLOW tasks --actor "$applicant" | json "[t['due_at'] for t in d if t['spec_id'] == 'Task_FileContract'][0]")"
step Task_FileContract "$applicant" '{"contractFiledOn": "2025-10-14", "contractRef": "合同.pdf"}'
step Task_Supervisor "$applicant" '{"supervisorName": "监理公司", "supervisorFiledOn": "2025-10-20"}'
step Task_Construction "$applicant" '{"progressReport": "建设完成", "changeType": "NONE"}'
step Task_AcceptanceTiming "$applicant" '{"canApplyOnTime": true, "hasReasonableCause": false}'
step Task_Acceptance "$applicant" '{"acceptanceDate": "2025-12-01", "passed": true, "catalogueIncorporated": true, "securityControllable": true, "acceptanceReportRef": "验收报告.pdf"}'
step Task_FileReport "$applicant" '{"reportFiled": true, "reportFiledOn": "2025-12-20"}'
# The self-evaluation waits for the 2025 budget year to end (Art. 27); that day has passed, so it is open.
step Task_SelfEvaluation "$applicant" '{"evaluationYear": 2026, "selfEvaluationReport": "绩效目标完成"}'
step Task_Appraisal "$center" '{"sharingInOperation": true, "appraisalScore": 92, "problemsFound": false, "refusesRectification": false}'
step Task_Operation "$applicant" '{"decommission": true, "operationNote": "系统被新平台替代"}'
step Task_Decommission "$center" '{"decommissionPlanRef": "停用方案.pdf", "dataDisposition": "数据迁移"}'
# The dates above lie in the past, so the statutory deadlines have already passed and escalated.
step Task_ChaseContract "$center" '{"chaseNote": "已督促合同备案"}'
step Task_ReportOverdueNotice "$finance" '{"noticeNote": "逾期未备案期间暂停拨付"}'
$GOVFLOW instance "$instance" | json "d['status'], len(d['audit']), 'audit entries'"
