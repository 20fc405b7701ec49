"""The console's "test this text" box: a dry run of a site's pipeline that stores nothing."""
from __future__ import annotations

from typing import Any

from workers.context import WorkerContext, worker_context
from workers.filters.base import CommentInput


def preview_text(site_id: int, text: str, context: WorkerContext | None = None) -> dict[str, Any]:
    """Run the site's current pipeline over a sample text and return the decision with every verdict."""
    ctx = context or worker_context()
    comment = CommentInput(text=text, author="preview", thread="/preview", site_id=site_id,
                           author_key="preview")
    # No Redis for stateful filters: a dry run must not count towards anyone's flooding window.
    decision = ctx.pipeline_for(site_id).run(comment, redis=None)
    return {"text": text, "action": decision.action.value, "verdicts": [v.to_dict() for v in decision.verdicts]}
