"""Events that side effects (notifications, webhooks, metrics) subscribe to."""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent with comment_id after a comment is committed as pending.
comment_submitted = _signals.signal("comment-submitted")
# Sent with comment_id, status and decided_by after a decision is committed.
comment_decided = _signals.signal("comment-decided")
# Sent with comment_id and report_id after a reader's report is committed.
comment_reported = _signals.signal("comment-reported")
