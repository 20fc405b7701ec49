"""A site's word list, and the box that runs the site's filters over a sample text."""
from __future__ import annotations

from typing import Any

from flask import Response, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from service.accounts import Principal, require_site
from service.builtin_words import builtin_words, is_builtin, search_builtin
from service.console.access import app_config, back, int_arg, moderator, one_site, visible_sites
from service.console.routes import Routes
from service.console.text import notify
from service.db import get_db
from service.exceptions import Forbidden, InvalidField, NotFound
from service.models import BuiltinWordOff, Site, WordEntry, utcnow
from service.redis_conn import get_redis
from service.review import record_event

routes = Routes()


# The word-list filter's categories and actions (workers/filters/wordlist.py; a test keeps them equal).
# "allow" marks an innocent longer word that silences the listed words inside it.
WORD_CATEGORIES = ("custom", "abuse", "sexual", "gambling", "sex_trade", "ads_fraud", "illegal_goods")
WORD_ACTIONS = ("flag", "hold", "reject", "allow")


@routes.get("/words")
def words() -> str:
    """Show a site's word list with forms to add, edit and remove entries, and the test box."""
    principal = moderator()
    sites = visible_sites(principal)
    site = one_site(principal, sites)
    with get_db().read() as db_session:
        entries = list(db_session.scalars(select(WordEntry).where(WordEntry.site_id == site.id)
                                          .order_by(WordEntry.term)))
    job_id = request.args.get("preview")
    result = _preview_result(site.id, job_id) if job_id else None
    return _words_page(site, sites, entries, result=result)


def _words_page(site: Site, sites: list[Site], entries: list[WordEntry], result: dict[str, Any] | None = None,
                duplicate: WordEntry | None = None, typed: dict[str, Any] | None = None,
                status: int = 200) -> tuple[str, int]:
    return render_template("console/words.html", site=site, sites=sites, entries=entries,
                           categories=WORD_CATEGORIES, actions=WORD_ACTIONS, result=result,
                           sample=(result or {}).get("text", ""), duplicate=duplicate, typed=typed or {},
                           job_id=request.args.get("preview"), builtin=_builtin_section(site, entries)), status


def _builtin_section(site: Site, entries: list[WordEntry]) -> dict[str, Any]:
    """Return what the page shows of the built-in list: a searched page of it and the site's switches."""
    args = request.args
    with get_db().read() as db_session:
        terms_off = frozenset(db_session.scalars(select(BuiltinWordOff.term).where(BuiltinWordOff.site_id == site.id)))
    category = args.get("bcat") or ""
    if category not in WORD_CATEGORIES:
        category = ""
    only_off = args.get("boff") == "1"
    page = search_builtin(query=(args.get("bq") or "")[:100], category=category,
                          page=int_arg(args.get("bpage"), "bpage", high=100_000) or 1,
                          only=terms_off if only_off else None)
    return {"page": page, "off": terms_off, "query": args.get("bq") or "", "category": category,
            "only_off": only_off, "own": {e.term for e in entries}, "size": len(builtin_words())}


@routes.post("/words/builtin/<switch>")
def switch_builtin(switch: str) -> Response:
    """Switch a built-in entry off for a site, or back on; running workers follow within 5 seconds."""
    principal = moderator()
    if switch not in ("off", "on"):
        raise NotFound()
    site_id = int_arg(request.form.get("site"), "site")
    if site_id is None:
        raise InvalidField("Choose a site.", field="site")
    require_site(principal, site_id)
    term = (request.form.get("term") or "").strip()
    if not is_builtin(term):
        raise InvalidField("Not an entry of the built-in list.", field="term")
    with get_db().write() as db_session:
        row = db_session.scalar(select(BuiltinWordOff).where(BuiltinWordOff.site_id == site_id,
                                                             BuiltinWordOff.term == term))
        if switch == "off" and row is None:
            db_session.add(BuiltinWordOff(site_id=site_id, term=term, moderator=principal.username,
                                          created_at=utcnow()))
        elif switch == "on" and row is not None:
            db_session.delete(row)
        record_event(db_session, principal.username, f"words.builtin_{switch}", site_id, f"word:{term}")
    notify(f"builtin_switched_{switch}", term=term)
    return back(url_for("console.words", site=site_id))


def _word_fields(form: Any) -> dict[str, Any]:
    term = (form.get("term") or "").strip()
    if not 1 <= len(term) <= 100:
        raise InvalidField("A term is 1 to 100 characters.", field="term")
    category = form.get("category") or "custom"
    action = form.get("action") or "hold"
    severity = int_arg(form.get("severity"), "severity") or 2
    if category not in WORD_CATEGORIES or action not in WORD_ACTIONS or not 1 <= severity <= 3:
        raise InvalidField("Unknown category, action or severity.", field="category")
    return {"term": term, "category": category, "action": action, "severity": severity}


@routes.post("/words")
def add_word() -> Response | tuple[str, int]:
    """Add an entry to a site's word list; a term already listed is not changed but offered for editing."""
    principal = moderator()
    site_id = int_arg(request.form.get("site"), "site")
    if site_id is None:
        raise InvalidField("Choose a site.", field="site")
    require_site(principal, site_id)
    fields = _word_fields(request.form)
    with get_db().write() as db_session:
        entry = db_session.scalar(select(WordEntry).where(WordEntry.site_id == site_id,
                                                          WordEntry.term == fields["term"]))
        if entry is None:
            db_session.add(WordEntry(site_id=site_id, updated_at=utcnow(), **fields))
            record_event(db_session, principal.username, "words.save", site_id, f"word:{fields['term']}",
                         action=fields["action"], category=fields["category"], severity=fields["severity"])
    if entry is not None:
        # Adding is not editing: an entry someone chose on purpose is not overwritten by a second add.
        sites = visible_sites(principal)
        site = next(s for s in sites if s.id == site_id)
        with get_db().read() as db_session:
            entries = list(db_session.scalars(select(WordEntry).where(WordEntry.site_id == site_id)
                                              .order_by(WordEntry.term)))
        return _words_page(site, sites, entries, duplicate=entry, typed=fields, status=409)
    notify("word_added", term=fields["term"])
    return redirect(url_for("console.words", site=site_id), code=303)


def _word_entry(principal: Principal, entry_id: int, db_session: Any) -> WordEntry:
    entry = db_session.get(WordEntry, entry_id)
    if entry is None:
        raise NotFound("No such entry.")
    require_site(principal, entry.site_id)
    return entry


@routes.post("/words/<int:entry_id>")
def edit_word(entry_id: int) -> Response:
    """Change an entry's term, category, severity or action."""
    principal = moderator()
    fields = _word_fields(request.form)
    with get_db().write() as db_session:
        entry = _word_entry(principal, entry_id, db_session)
        for name, value in fields.items():
            setattr(entry, name, value)
        entry.updated_at = utcnow()
        site_id = entry.site_id
        record_event(db_session, principal.username, "words.save", site_id, f"word:{fields['term']}",
                     action=fields["action"], category=fields["category"], severity=fields["severity"])
    notify("word_saved", term=fields["term"])
    return redirect(url_for("console.words", site=site_id), code=303)


@routes.post("/words/<int:entry_id>/delete")
def delete_word(entry_id: int) -> Response:
    """Remove an entry from a site's word list."""
    principal = moderator()
    with get_db().write() as db_session:
        entry = _word_entry(principal, entry_id, db_session)
        site_id, term = entry.site_id, entry.term
        db_session.delete(entry)
        record_event(db_session, principal.username, "words.remove", site_id, f"word:{term}")
    notify("word_removed", term=term)
    # Deleting lowers the count the workers watch, so they rebuild their lists within seconds too.
    return redirect(url_for("console.words", site=site_id), code=303)


@routes.post("/words/test")
def test_text() -> Response:
    """Queue a run of the site's pipeline over a sample text; the word list page shows the verdicts.

    The page's script asks for JSON and polls `test_result`, so nothing else on the page is reloaded.
    """
    principal = moderator()
    site_id = int_arg(request.form.get("site"), "site")
    if site_id is None:
        raise InvalidField("Choose a site.", field="site")
    require_site(principal, site_id)
    sample = (request.form.get("text") or "")[:app_config().max_comment_length]
    from service.queue import enqueue_preview

    job_id = enqueue_preview(get_redis(), app_config().queue_name, site_id, sample)
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"job": job_id, "poll": url_for("console.test_result", job_id=job_id, site=site_id)})
    return redirect(url_for("console.words", site=site_id, preview=job_id), code=303)


@routes.get("/words/test/<job_id>")
def test_result(job_id: str) -> Response:
    """Return a dry run's state and, once a worker has run it, the verdicts drawn as the page draws them."""
    principal = moderator()
    site_id = int_arg(request.args.get("site"), "site")
    if site_id is None:
        raise InvalidField("Choose a site.", field="site")
    require_site(principal, site_id)
    result = _preview_result(site_id, job_id[:100])
    return jsonify({"state": result["state"],
                    "html": render_template("console/_test_result.html", result=result, site_id=site_id,
                                            job_id=job_id)})


def _preview_result(site_id: int, job_id: str) -> dict[str, Any]:
    from service.queue import preview_result

    result = preview_result(get_redis(), job_id)
    if result.get("site_id") not in (None, site_id):
        raise Forbidden()
    if result.get("verdicts"):
        from service.review import highlight

        spans = [s for v in result["verdicts"] if v["action"] != "allow" for s in v["spans"]]
        result["parts"] = highlight(result.get("text", ""), spans)
    return result
