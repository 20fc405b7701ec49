"""Readers' own accounts on a site and reply notices.

    accounts.py   who may comment (a site's account mode), registering, signed links, signing in, sessions,
                  deleting one's comments and one's account
    notices.py    reply notices: the subscription, the signed unsubscribe link, the decision signal's listener
    mail_text.py  the words of the mails and of the small pages their links open, in zh-CN, zh-TW and en
    api.py        the HTTP endpoints the widget calls, and those pages

Mails are sent by RQ jobs (workers/reader_mail.py); the web side only enqueues ids.
"""
