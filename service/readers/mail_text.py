"""The words of readers' mails and of the pages their links open: one table per language (zh-CN, zh-TW, en).

Placeholders: {name} the reader's nickname, {link} the link to open, {who} the replier, {title} the
article, {parent} and {reply} the two comments (shortened), {unsubscribe} the unsubscribe link.
"""
from __future__ import annotations

TEXT: dict[str, dict[str, str]] = {
    "zh-CN": {
        "verify_subject": "请验证您的评论帐号邮箱",
        "verify_body": "{name}，您好：\n\n感谢注册评论帐号。请打开下面的链接验证您的邮箱（3 天内有效）：\n\n{link}\n\n"
                       "如果您没有注册，请忽略本邮件。",
        "reset_subject": "重设您的评论帐号密码",
        "reset_body": "{name}，您好：\n\n请打开下面的链接重设密码（1 小时内有效，只能使用一次）：\n\n{link}\n\n"
                      "如果您没有申请重设密码，请忽略本邮件，您的密码不会改变。",
        "reply_subject": "{who} 回复了您的评论",
        "reply_body": "{name}，您好：\n\n{who} 回复了您在《{title}》下的评论。\n\n您的评论：{parent}\n\n{who} 的回复：{reply}\n\n"
                      "{link}\n\n同一时间段内，每小时最多给您发一封回复通知。\n不想再收到回复通知？退订：{unsubscribe}",
        "reply_link": "查看：{link}",
        "someone": "您",
        "page_verified": "邮箱已验证，现在可以回到文章页面登录并发表评论了。",
        "page_link_invalid": "链接无效或已过期。请在评论区重新申请。",
        "page_reset_title": "设置新密码",
        "page_reset_password": "新密码（至少 8 个字符）",
        "page_reset_submit": "保存新密码",
        "page_reset_done": "密码已更新，所有登录状态已退出。请回到文章页面用新密码登录。",
        "page_reset_short": "密码至少需要 8 个字符。",
        "page_unsubscribe_title": "退订回复通知",
        "page_unsubscribe_ask": "以后有人回复您的评论时，不再发送邮件通知。",
        "page_unsubscribe_submit": "退订",
        "page_unsubscribed": "已退订，您不会再收到回复通知。",
    },
    "zh-TW": {
        "verify_subject": "請驗證您的評論帳號電子郵件",
        "verify_body": "{name}，您好：\n\n感謝註冊評論帳號。請開啟下面的連結驗證您的電子郵件（3 天內有效）：\n\n{link}\n\n"
                       "如果您沒有註冊，請忽略本郵件。",
        "reset_subject": "重設您的評論帳號密碼",
        "reset_body": "{name}，您好：\n\n請開啟下面的連結重設密碼（1 小時內有效，只能使用一次）：\n\n{link}\n\n"
                      "如果您沒有申請重設密碼，請忽略本郵件，您的密碼不會改變。",
        "reply_subject": "{who} 回覆了您的評論",
        "reply_body": "{name}，您好：\n\n{who} 回覆了您在《{title}》下的評論。\n\n您的評論：{parent}\n\n{who} 的回覆：{reply}\n\n"
                      "{link}\n\n每小時最多寄給您一封回覆通知。\n不想再收到回覆通知？取消訂閱：{unsubscribe}",
        "reply_link": "查看：{link}",
        "someone": "您",
        "page_verified": "電子郵件已驗證，現在可以回到文章頁面登入並發表評論了。",
        "page_link_invalid": "連結無效或已過期。請在評論區重新申請。",
        "page_reset_title": "設定新密碼",
        "page_reset_password": "新密碼（至少 8 個字元）",
        "page_reset_submit": "儲存新密碼",
        "page_reset_done": "密碼已更新，所有登入狀態已登出。請回到文章頁面用新密碼登入。",
        "page_reset_short": "密碼至少需要 8 個字元。",
        "page_unsubscribe_title": "取消訂閱回覆通知",
        "page_unsubscribe_ask": "以後有人回覆您的評論時，不再寄送郵件通知。",
        "page_unsubscribe_submit": "取消訂閱",
        "page_unsubscribed": "已取消訂閱，您不會再收到回覆通知。",
    },
    "en": {
        "verify_subject": "Please verify the email of your comment account",
        "verify_body": "Hello {name},\n\nThank you for signing up. Open this link to verify your email address "
                       "(valid for 3 days):\n\n{link}\n\nIf you did not sign up, ignore this mail.",
        "reset_subject": "Reset the password of your comment account",
        "reset_body": "Hello {name},\n\nOpen this link to choose a new password (valid for one hour, once):\n\n{link}\n\n"
                      "If you did not ask for this, ignore this mail; your password stays as it is.",
        "reply_subject": "{who} replied to your comment",
        "reply_body": "Hello {name},\n\n{who} replied to your comment on “{title}”.\n\nYour comment: {parent}\n\n"
                      "{who}'s reply: {reply}\n\n{link}\n\nYou get at most one reply notice an hour.\n"
                      "No more reply notices? Unsubscribe: {unsubscribe}",
        "reply_link": "Read it: {link}",
        "someone": "you",
        "page_verified": "Your email is verified. Go back to the article to sign in and comment.",
        "page_link_invalid": "This link is not valid or has expired. Ask for a new one under the article.",
        "page_reset_title": "Choose a new password",
        "page_reset_password": "New password (at least 8 characters)",
        "page_reset_submit": "Save the new password",
        "page_reset_done": "Your password is changed and every session signed out. Sign in with it under the article.",
        "page_reset_short": "A password has at least 8 characters.",
        "page_unsubscribe_title": "Unsubscribe from reply notices",
        "page_unsubscribe_ask": "No more mails when someone replies to your comments.",
        "page_unsubscribe_submit": "Unsubscribe",
        "page_unsubscribed": "Unsubscribed: you will get no more reply notices.",
    },
}


def text(lang: str, key: str, **values: str) -> str:
    """Return one text in a language (zh-CN for an unknown one), with its placeholders filled."""
    table = TEXT.get(lang) or TEXT["zh-CN"]
    return table[key].format(**values) if values else table[key]


def shorten(comment_text: str, limit: int = 200) -> str:
    """Return a comment's text cut to `limit` characters for a mail."""
    return comment_text if len(comment_text) <= limit else comment_text[:limit] + "…"
