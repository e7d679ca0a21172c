"""Interface text in Simplified Chinese (the default) and English; forms carry their own Chinese labels."""

from __future__ import annotations

from flask import Blueprint, Flask, redirect, request, session, url_for
from werkzeug.wrappers import Response

__all__ = ["LANGUAGES", "bp", "init_app", "language", "translate"]

LANGUAGES = ("zh", "en")

# key: (Chinese, English)
MESSAGES: dict[str, tuple[str, str]] = {
    "app_name": ("Govflow 政务信息化项目流程", "Govflow government IT project workflow"),
    "inbox": ("待办", "Inbox"),
    "start": ("发起申请", "New application"),
    "monitor": ("运行监控", "Monitoring"),
    "api_docs": ("接口文档", "API docs"),
    "sign_in": ("登录", "Sign in"),
    "sign_out": ("退出", "Sign out"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "bad_credentials": ("用户名或密码错误", "Wrong username or password"),
    "too_many_attempts": ("登录失败次数过多，请 {minutes} 分钟后再试",
                          "Too many failed sign-ins; try again in {minutes} minutes"),
    "my_tasks": ("我的任务", "My tasks"),
    "group_tasks": ("本组任务", "My groups' tasks"),
    "jurisdiction": ("辖区", "Jurisdiction"),
    "process": ("流程", "Process"),
    "task": ("任务", "Task"),
    "due_state": ("期限状态", "Due state"),
    "overdue": ("已逾期", "Overdue"),
    "due_soon": ("即将到期", "Due soon"),
    "on_time": ("期限内", "On time"),
    "no_deadline": ("无期限", "No deadline"),
    "search": ("搜索", "Search"),
    "search_hint": ("项目编号或项目名称", "Business key or project name"),
    "sort": ("排序", "Sort"),
    "sort_due": ("按期限", "By due date"),
    "sort_newest": ("最新在前", "Newest first"),
    "all": ("全部", "All"),
    "filter": ("筛选", "Filter"),
    "business_key": ("项目编号", "Business key"),
    "project_name": ("项目名称", "Project name"),
    "agency": ("办理机构", "Agency"),
    "due_at": ("办理期限", "Due"),
    "assignee": ("办理人", "Assignee"),
    "unassigned": ("未认领", "Unclaimed"),
    "claim": ("认领", "Claim"),
    "unclaim": ("退回组内", "Unclaim"),
    "open": ("办理", "Open"),
    "no_tasks": ("暂无待办任务", "No tasks"),
    "page_of": ("第 {page} / {pages} 页，共 {total} 条", "Page {page} of {pages}, {total} in all"),
    "previous": ("上一页", "Previous"),
    "next": ("下一页", "Next"),
    "submit": ("提交", "Submit"),
    "earlier_steps": ("前序环节提交的信息", "Data from earlier steps"),
    "submitted_by": ("提交人", "Submitted by"),
    "submitted_data": ("提交的信息", "Submitted data"),
    "claimed_by_other": ("该任务已由 {user} 认领", "Claimed by {user}"),
    "task_done": ("该任务已办结", "This task is completed"),
    "fix_errors": ("请按提示修改标红的字段后再提交", "Please correct the marked fields"),
    "conflict": ("任务状态已变化，请刷新页面", "The task changed meanwhile; reload the page"),
    "network_error": ("提交失败，请稍后重试", "Submission failed; try again"),
    "view_instance": ("查看流程进度", "View progress"),
    "instance": ("流程实例", "Process instance"),
    "status": ("状态", "Status"),
    "status_running": ("办理中", "Running"),
    "status_waiting": ("等待中", "Waiting"),
    "status_completed": ("已办结", "Completed"),
    "status_error": ("出错", "Error"),
    "status_cancelled": ("已撤销", "Cancelled"),
    "version": ("版本", "Version"),
    "unit": ("申报单位", "Applicant unit"),
    "started": ("发起时间", "Started"),
    "open_tasks": ("当前任务", "Current tasks"),
    "timers": ("计时器", "Timers"),
    "fires_at": ("触发时间", "Fires at"),
    "decisions": ("决策记录", "Decisions"),
    "decision": ("决策", "Decision"),
    "inputs": ("输入", "Inputs"),
    "outputs": ("输出", "Outputs"),
    "audit": ("办理记录", "Audit trail"),
    "when": ("时间", "When"),
    "who": ("操作人", "Who"),
    "what": ("操作", "What"),
    "element": ("环节", "Element"),
    "data": ("数据", "Data"),
    "legend_done": ("已完成", "Completed"),
    "legend_active": ("当前环节", "Active"),
    "legend_error": ("出错环节", "In error"),
    "start_intro": ("以本单位名义发起新的项目申请。", "Start a new project application for your unit."),
    "business_key_optional": ("项目编号（可不填，系统自动生成）", "Business key (optional, generated if empty)"),
    "start_button": ("发起", "Start"),
    "regulation": ("依据", "Regulation"),
    "regulation_not_applicable": ("今天不能按此办法新建项目", "No project can be started under it today"),
    "outside_validity_reason": ("过渡情形理由（管理员在有效期外立项，将记入审计）",
                                "Transition reason (an administrator starting outside validity; audited)"),
    "nothing_to_start": ("您没有可发起的流程", "There is no process you can start"),
    "versions": ("流程版本", "Process versions"),
    "running_instances": ("未办结", "Unfinished"),
    "error_instances": ("出错", "In error"),
    "heat_map": ("热力图", "Heat map"),
    "errors": ("出错的实例", "Instances in error"),
    "message": ("错误信息", "Message"),
    "retry": ("重试", "Retry"),
    "overdue_by_agency": ("各机构逾期任务", "Overdue tasks by agency"),
    "count": ("数量", "Count"),
    "oldest_due": ("最早期限", "Oldest due date"),
    "no_errors": ("没有出错的实例", "No instance is in error"),
    "no_overdue": ("没有逾期任务", "Nothing is overdue"),
    "instances_here": ("个实例停留在此", "instances here"),
    "error_title": ("出错了", "Something went wrong"),
    "back": ("返回", "Back"),
    "yes": ("是", "Yes"),
    "no": ("否", "No"),
    "action_start": ("发起", "started"),
    "action_claim": ("认领", "claimed"),
    "action_unclaim": ("退回", "unclaimed"),
    "action_assign": ("指派", "assigned"),
    "action_complete": ("提交", "completed"),
    "action_decide": ("决策", "decided"),
    "action_timer": ("计时器触发", "timer fired"),
    "action_error": ("出错", "failed"),
    "action_retry": ("重试", "retried"),
    "action_cancel": ("撤销", "cancelled"),
    "signed_in_as": ("当前用户", "Signed in as"),
    "diagram": ("流程图", "Diagram"),
    "action_migrate": ("迁移版本", "migrated"),
    "action_deploy": ("部署", "deployed"),
    "action_make-current": ("切换当前版本", "changed the current version"),
    "action_migrate-batch": ("批量迁移", "migrated instances"),
    "change_log": ("变更记录", "Change log"),
    "actor": ("操作人", "By"),
    "modeler": ("流程建模", "Modeler"),
    "modeler_intro": ("编辑本辖区的流程图、决策表和表单。修改先保存为草稿，部署后才生效。",
                      "Edit your jurisdiction's diagrams, decision tables and forms. Changes stay in a draft until "
                      "deployed."),
    "no_bundles": ("您没有可编辑的流程", "There is no bundle you may edit"),
    "edit": ("编辑", "Edit"),
    "draft": ("草稿", "Draft"),
    "no_draft": ("无草稿", "No draft"),
    "draft_by": ("修订 {revision}，{who} 保存于 {when}", "revision {revision}, saved by {who} at {when}"),
    "changed_files": ("已修改文件", "Changed files"),
    "current_version": ("当前版本", "Current version"),
    "newest_version": ("最新版本", "Newest version"),
    "files": ("文件", "Files"),
    "bpmn_files": ("流程图", "Diagrams"),
    "dmn_files": ("决策表", "Decision tables"),
    "form_files": ("表单", "Forms"),
    "new_form": ("新建表单", "New form"),
    "save": ("保存草稿", "Save draft"),
    "validate": ("校验", "Validate"),
    "deploy": ("部署", "Deploy"),
    "discard_draft": ("放弃草稿", "Discard draft"),
    "version_tag": ("版本标签", "Version tag"),
    "change_note": ("变更说明", "Change note"),
    "problems": ("问题", "Problems"),
    "properties": ("属性", "Properties"),
    "preview": ("预览", "Preview"),
    "history": ("版本历史", "Version history"),
    "deployed_by": ("部署人", "Deployed by"),
    "deployed_at": ("部署时间", "Deployed at"),
    "open_instances": ("运行中实例", "Open instances"),
    "make_current": ("设为当前版本", "Make current"),
    "rollback": ("回退到此版本", "Roll back to this"),
    "is_current": ("新实例使用此版本", "New instances start here"),
    "compare": ("比较", "Compare"),
    "from_version": ("从版本", "From version"),
    "to_version": ("到版本", "To version"),
    "no_changes": ("两个版本没有差异", "The versions do not differ"),
    "change_kind": ("类别", "Kind"),
    "change_type": ("变更", "Change"),
    "change_details": ("变更内容", "Details"),
    "kind_element": ("环节", "Element"),
    "kind_flow": ("连线", "Flow"),
    "kind_lane": ("泳道", "Lane"),
    "kind_rule": ("决策规则", "Decision rule"),
    "kind_field": ("表单字段", "Form field"),
    "change_added": ("新增", "added"),
    "change_removed": ("删除", "removed"),
    "change_changed": ("修改", "changed"),
    "migration": ("实例迁移", "Instance migration"),
    "migration_intro": ("先试运行检查每个实例能否迁移，再迁移勾选的实例。不能迁移的实例保持原样并列出原因。",
                        "Dry-run to check each instance, then migrate the ticked ones. Instances that cannot move "
                        "stay as they are, with the reason."),
    "dry_run": ("试运行检查", "Dry run"),
    "migrate_selected": ("迁移勾选的实例", "Migrate ticked instances"),
    "can_migrate": ("可迁移", "Can move"),
    "cannot_migrate": ("不可迁移", "Cannot move"),
    "migrated": ("已迁移", "Migrated"),
    "reason": ("原因", "Reason"),
    "position": ("当前位置", "Position"),
    "report": ("迁移报告", "Migration report"),
    "no_instances": ("没有需要迁移的实例", "No instance to migrate"),
    "projects_mine": ("我的项目", "My projects"),
    "projects_handled": ("我经办的", "Handled by me"),
    "projects_all": ("全部项目", "All projects"),
    "projects_intro_mine": ("本单位申报的全部项目，含已办结的。",
                            "Every project of your unit, finished ones included."),
    "projects_intro_handled": ("您或您所在的组办理过任务的项目。", "Projects you or your groups completed a task in."),
    "projects_intro_all": ("您所负责辖区的全部项目。", "Every project of the jurisdictions you oversee."),
    "stage": ("当前阶段", "Stage"),
    "next_step": ("下一步", "Next step"),
    "plan_year": ("计划年度", "Plan year"),
    "amount_wan": ("金额（万元）", "Amount (10,000 yuan)"),
    "filter_amount_min": ("金额不低于（万元）", "Amount from (10,000 yuan)"),
    "filter_amount_max": ("金额不高于（万元）", "Amount up to (10,000 yuan)"),
    "overdue_only": ("只看逾期", "Overdue only"),
    "sort_amount": ("金额从高到低", "Largest amount first"),
    "no_projects": ("暂无项目", "No projects"),
    "first_page": ("回到第一页", "First page"),
    "unnamed_project": ("（尚未填写项目名称）", "(no project name yet)"),
    "paging": ("翻页", "Paging"),
}


def language() -> str:
    """Return the interface language of this request."""
    # Chinese unless the person chose English: clerks' machines often run English browsers.
    chosen = session.get("lang")
    return str(chosen) if chosen in LANGUAGES else "zh"


def translate(key: str, **values: object) -> str:
    """Return the interface text for `key` in the request's language."""
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    text = pair[1] if language() == "en" else pair[0]
    return text.format(**values) if values else text


bp = Blueprint("i18n", __name__)


@bp.get("/lang/<code>")
def choose(code: str) -> Response:
    """Switch the interface language and go back."""
    if code in LANGUAGES:
        session["lang"] = code
    back = request.referrer or ""
    return redirect(back if back.startswith(request.host_url) else url_for("pages.inbox"))


def init_app(app: Flask) -> None:
    """Make `_()` and `lang` available in templates."""
    app.register_blueprint(bp)
    app.jinja_env.globals["_"] = translate
    app.jinja_env.globals["current_language"] = language
