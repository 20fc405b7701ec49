"""The moderator console's interface text: one table per language (en and zh-CN)."""
from __future__ import annotations

LANGUAGES = ("en", "zh-CN")

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "app": "Moderato console",
        "login": "Sign in", "logout": "Sign out", "username": "Username", "password": "Password",
        "login_failed": "The username or the password is wrong.",
        "login_locked": "Too many failed sign-ins. Try again later.",
        "nav_queue": "Queue", "nav_reports": "Reports", "nav_bans": "Bans", "nav_words": "Word lists",
        "nav_settings": "Sites", "nav_audit": "Audit log", "nav_stats": "Statistics", "nav_account": "Account",
        "nav_users": "Accounts",
        "held": "Held", "pending": "Pending", "review": "Published, to review", "approved": "Approved",
        "rejected": "Rejected", "deleted": "Deleted",
        "site": "Site", "thread": "Thread", "reason": "Reason", "author": "Author", "search": "Search",
        "any": "any", "filter": "Filter", "status": "Status",
        "approve": "Approve", "reject": "Reject", "delete": "Delete", "ban": "Ban",
        "selected": "With the selected comments:", "select_all": "Select all",
        "queue_empty": "Nothing to review.", "history": "History", "reports_count": "reports",
        "ip": "IP", "next_page": "Next page", "no_reasons": "No filter asked to hold it.",
        "shortcuts": "Keyboard shortcuts",
        "shortcut_list": "j / k: next / previous · a: approve · r: reject · b: ban the author · "
                         "x: select · ?: show this list",
        "reports": "Reported comments", "reports_empty": "No open reports.", "dismiss": "Dismiss",
        "take_down": "Take down", "times_reported": "times reported",
        "bans": "Bans", "author_key": "Author", "ip_hash": "Hashed IP", "until": "Until", "for_good": "for good",
        "shadow": "Shadow ban", "shadow_help": "They still see their own comments; nobody else does.",
        "reject_past": "Also reject their published and held comments", "duration": "Duration",
        "hours": "hours (empty: for good)", "lift": "Lift", "create_ban": "Ban", "bans_empty": "No bans in force.",
        "created_by": "By", "note": "Note",
        "words": "Word list", "term": "Term", "category": "Category", "severity": "Severity", "action": "Action",
        "save": "Save", "add": "Add", "remove": "Remove", "words_empty": "This site has no entries of its own.",
        "test_text": "Test this text", "test": "Test", "test_result": "What the filters say",
        "decision": "Decision", "words_help": "Changes reach the workers within 5 seconds.",
        "settings": "Site settings", "mode": "Moderation mode", "mode_filters": "The filters decide",
        "mode_hold_all": "Hold everything", "mode_publish_then_review": "Publish, then review",
        "thresholds": "Thresholds", "captcha": "Captcha", "captcha_always": "Always",
        "captcha_guests": "Guests only", "captcha_never": "Never (signed-in readers and API keys)",
        "origins": "Allowed origins (one per line)", "trust_after": "Trust authors after this many approved "
        "comments and no rejections (0: never)", "max_links": "Links before holding",
        "api_keys": "API keys", "create_key": "Create an API key", "revoke": "Revoke", "revoked": "revoked",
        "new_key": "The new key (shown once)", "new_site": "New site", "create": "Create",
        "audit": "Audit log", "moderator": "Moderator", "when": "When", "what": "What", "previous": "Before",
        "new": "After", "comment": "Comment", "audit_empty": "Nothing recorded yet.",
        "stats": "Statistics", "per_day": "Comments per day by outcome", "held_now": "Held now",
        "oldest_held": "Oldest held comment", "median_decision": "Median time to a decision",
        "filter_hits": "Filter hits (last 30 days)", "reports_per_day": "Reports per day", "days": "days",
        "minutes": "minutes", "none": "none",
        "account": "Your account", "tokens": "Personal API tokens", "token_name": "Name",
        "new_token": "The new token (shown once)", "create_token": "Create a token",
        "change_password": "Change the password", "new_password": "New password", "language": "Language",
        "current_password": "Current password", "current_password_wrong": "The current password is wrong.",
        "users": "Accounts", "role": "Role", "sites_allowed": "Sites (none: every site)",
        "create_user": "Create an account", "first_password": "First password (shown once)",
        "disable": "Disable", "enable": "Enable", "disabled": "disabled",
        "learning": "Labelled examples", "export": "Export (JSON lines)",
        "forbidden": "You may not do this.", "error": "Error", "back": "Back",
        "done": "Done.", "saved": "Saved.", "keep": "Keep",
    },
    "zh-CN": {
        "app": "Moderato 审核台",
        "login": "登录", "logout": "退出", "username": "用户名", "password": "密码",
        "login_failed": "用户名或密码错误。",
        "login_locked": "登录失败次数过多，请稍后再试。",
        "nav_queue": "待审队列", "nav_reports": "举报", "nav_bans": "封禁", "nav_words": "词表",
        "nav_settings": "站点", "nav_audit": "审计日志", "nav_stats": "统计", "nav_account": "账户",
        "nav_users": "账号管理",
        "held": "待审", "pending": "处理中", "review": "已发布，待复核", "approved": "已通过",
        "rejected": "已拒绝", "deleted": "已删除",
        "site": "站点", "thread": "文章", "reason": "原因", "author": "作者", "search": "搜索",
        "any": "全部", "filter": "筛选", "status": "状态",
        "approve": "通过", "reject": "拒绝", "delete": "删除", "ban": "封禁",
        "selected": "对选中的评论：", "select_all": "全选",
        "queue_empty": "没有待审的评论。", "history": "历史", "reports_count": "次举报",
        "ip": "IP", "next_page": "下一页", "no_reasons": "没有过滤器要求暂缓。",
        "shortcuts": "键盘快捷键",
        "shortcut_list": "j / k：下一条 / 上一条 · a：通过 · r：拒绝 · b：封禁作者 · x：选中 · ?：显示本列表",
        "reports": "被举报的评论", "reports_empty": "没有未处理的举报。", "dismiss": "忽略",
        "take_down": "撤下", "times_reported": "次被举报",
        "bans": "封禁", "author_key": "作者", "ip_hash": "IP 哈希", "until": "截止", "for_good": "永久",
        "shadow": "影子封禁", "shadow_help": "对方仍能看到自己的评论，其他人看不到。",
        "reject_past": "同时拒绝其已发布和待审的评论", "duration": "时长",
        "hours": "小时（留空为永久）", "lift": "解除", "create_ban": "封禁", "bans_empty": "没有生效的封禁。",
        "created_by": "操作人", "note": "备注",
        "words": "词表", "term": "词语", "category": "类别", "severity": "严重程度", "action": "动作",
        "save": "保存", "add": "添加", "remove": "移除", "words_empty": "本站点还没有自己的词条。",
        "test_text": "测试文本", "test": "测试", "test_result": "过滤器的判断",
        "decision": "结果", "words_help": "修改在 5 秒内对审核进程生效。",
        "settings": "站点设置", "mode": "审核模式", "mode_filters": "由过滤器决定",
        "mode_hold_all": "全部先审后发", "mode_publish_then_review": "先发后审",
        "thresholds": "阈值", "captcha": "验证码", "captcha_always": "总是",
        "captcha_guests": "仅游客", "captcha_never": "从不（登录读者和 API 密钥）",
        "origins": "允许的来源（每行一个）", "trust_after": "作者有这么多条通过且无拒绝的评论后视为可信（0：从不）",
        "max_links": "超过多少个链接暂缓",
        "api_keys": "API 密钥", "create_key": "创建 API 密钥", "revoke": "吊销", "revoked": "已吊销",
        "new_key": "新密钥（只显示一次）", "new_site": "新站点", "create": "创建",
        "audit": "审计日志", "moderator": "审核员", "when": "时间", "what": "操作", "previous": "之前",
        "new": "之后", "comment": "评论", "audit_empty": "尚无记录。",
        "stats": "统计", "per_day": "每日评论（按结果）", "held_now": "当前待审",
        "oldest_held": "最早的待审评论", "median_decision": "从提交到处理的中位时间",
        "filter_hits": "过滤器命中（近 30 天）", "reports_per_day": "每日举报", "days": "天",
        "minutes": "分钟", "none": "无",
        "account": "我的账户", "tokens": "个人 API 令牌", "token_name": "名称",
        "new_token": "新令牌（只显示一次）", "create_token": "创建令牌",
        "change_password": "修改密码", "new_password": "新密码", "language": "语言",
        "current_password": "当前密码", "current_password_wrong": "当前密码不正确。",
        "users": "账号", "role": "角色", "sites_allowed": "站点（不选即全部站点）",
        "create_user": "创建账号", "first_password": "初始密码（只显示一次）",
        "disable": "停用", "enable": "启用", "disabled": "已停用",
        "learning": "标注样本", "export": "导出（JSON lines）",
        "forbidden": "你无权执行此操作。", "error": "错误", "back": "返回",
        "done": "完成。", "saved": "已保存。", "keep": "保留",
    },
}


def translate(language: str, key: str) -> str:
    """Return the interface text for a key in a language, falling back to English, then to the key."""
    return TEXT.get(language, {}).get(key) or TEXT["en"].get(key) or key


def pick_language(requested: str | None, accept_language: str | None, default: str = "en") -> str:
    """Return the console language: an explicit choice, else the browser's preference, else the default."""
    if requested in LANGUAGES:
        return requested  # type: ignore[return-value]
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return default if default in LANGUAGES else "en"
