"""Command line: `python -m service run | migrate | create-api-key | create-user | privacy | import | export | reader-accounts`."""
from __future__ import annotations

from pathlib import Path

import click

from service.config import Config


@click.group()
def cli() -> None:
    """Moderato, a comment moderation service."""


@cli.command()
def run() -> None:
    """Start everything: Redis (unless REDIS_URL), migrations, web server, workers, scheduler."""
    from service.runner import run_all

    raise SystemExit(run_all(Config.from_env()))


@cli.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    from service.migrate import upgrade

    config = Config.from_env()
    upgrade(config.resolved_database_url())
    click.echo("database is up to date")


@cli.command("create-api-key")
@click.option("--site", "site_name", required=True, help="Site name; created if it does not exist.")
def create_api_key_command(site_name: str) -> None:
    """Print a new API key for a site; only its hash is stored."""
    from service.db import Database
    from service.migrate import upgrade
    from service.sites import create_api_key

    config = Config.from_env()
    upgrade(config.resolved_database_url())
    click.echo(create_api_key(Database(config), site_name))


@cli.command("create-user")
@click.option("--username", required=True, help="The account's name, used to sign in.")
@click.option("--role", type=click.Choice(["admin", "moderator"]), default="moderator", show_default=True)
@click.option("--site", "site_names", multiple=True, help="Limit the account to this site (repeatable).")
@click.option("--email", default=None, help="Address for notifications.")
def create_user_command(username: str, role: str, site_names: tuple[str, ...], email: str | None) -> None:
    """Create a console account and print its first password (only its Argon2 hash is stored)."""
    from service.accounts import create_user
    from service.db import Database
    from service.migrate import upgrade
    from service.models import UserRole
    from service.sites import find_site

    config = Config.from_env()
    upgrade(config.resolved_database_url())
    db = Database(config)
    with db.write() as session:
        site_ids = [find_site(session, name).id for name in site_names]
        user, password = create_user(session, username, UserRole(role), site_ids, email=email)
        name = user.username
    db.dispose()
    click.echo(f"created {role} {name}; first password: {password}")
    click.echo("sign in at /console/login and change it under Account")


@cli.command("privacy")
@click.argument("action", type=click.Choice(["export", "erase"]))
@click.option("--site", "site_name", default=None, help="Only this site (default: every site).")
@click.option("--email", default=None, help="The author's email address (any case).")
@click.option("--user", "user_id", default=None, help="The signed-in reader's id.")
@click.option("--ip-hash", "ip_hash", default=None, help="The author's hashed address (32 hex characters).")
def privacy_command(action: str, site_name: str | None, email: str | None, user_id: str | None,
                    ip_hash: str | None) -> None:
    """Export (JSON on stdout) or erase everything one author wrote; recorded in the audit log."""
    import getpass
    import json

    from service.accounts import Principal
    from service.db import Database
    from service.exceptions import ModeratoError
    from service.migrate import upgrade
    from service.models import UserRole
    from service.privacy import erase_author, export_author, parse_query
    from service.redis_conn import connect

    config = Config.from_env()
    upgrade(config.resolved_database_url())
    db = Database(config)
    principal = Principal(username=f"command-line:{getpass.getuser()}"[:100], role=UserRole.ADMIN, via="command-line")
    try:
        author = parse_query({"email": email, "user_id": user_id, "ip_hash": ip_hash})
        if action == "export":
            click.echo(json.dumps(export_author(db, config, principal, author, site_name), ensure_ascii=False,
                                  indent=2))
        else:
            # Without REDIS_URL (an embedded Redis) cached thread pages expire on their own (THREAD_CACHE_TTL).
            redis = connect(config.redis_url) if config.redis_url else None
            ids = erase_author(db, redis, config, principal, author, site_name)
            click.echo(f"erased {len(ids)} comments" + (f": {', '.join(map(str, ids))}" if ids else ""))
    except ModeratoError as err:
        raise click.ClickException(err.message) from err
    finally:
        db.dispose()


@cli.command("import")
@click.option("--from", "source", required=True,
              type=click.Choice(["disqus", "wordpress", "isso", "waline", "twikoo", "artalk", "moderato"]),
              help="The system the file was exported from (moderato: this service's JSON export).")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--site", "site_name", required=True, help="Site to import into; created if it does not exist.")
@click.option("--moderate", is_flag=True, help="Store approved and held comments pending and queue them for the filters.")
@click.option("--dry-run", is_flag=True, help="Print what would be imported, per thread and status; change nothing.")
def import_command(source: str, file: Path, site_name: str, moderate: bool, dry_run: bool) -> None:
    """Import another system's export file into a site; a second run adds only what is new."""
    from service.db import Database
    from service.imports.importer import READERS, plan_import, write_import
    from service.imports.records import ImportFormatError
    from service.migrate import upgrade
    from service.redis_conn import connect

    config = Config.from_env().ensure_secret_key()
    upgrade(config.resolved_database_url())
    db = Database(config)
    try:
        try:
            plan = plan_import(db, source, site_name, READERS[source](file), moderate=moderate)
        except (ImportFormatError, ValueError, KeyError, OSError) as err:
            raise click.ClickException(f"{file}: {err}") from err
        click.echo(plan.summary())
        if dry_run:
            click.echo("dry run: nothing was written")
            return
        # Without REDIS_URL (an embedded Redis) pending comments are queued by the reconciler once the
        # service runs, and cached thread pages expire on their own (THREAD_CACHE_TTL).
        redis = connect(config.redis_url) if config.redis_url else None
        result = write_import(db, config, plan, redis, actor=_command_line_actor())
        click.echo(f"written: {result.written} comments in {result.threads} threads"
                   + (f"; queued for the filters: {result.queued}" if plan.moderate else ""))
        if plan.moderate and result.queued < plan.totals().get("pending", 0):
            click.echo("the comments not queued now are queued by the reconciler when the service runs")
    finally:
        db.dispose()


@cli.command("export")
@click.option("--site", "site_name", required=True, help="Site to export.")
@click.option("--format", "fmt", type=click.Choice(["json", "wxr"]), default="json", show_default=True,
              help="json: Moderato's own format (import it with --from moderato); wxr: WordPress's importer.")
@click.option("--base-url", default=None, help="WXR only: the articles' origin, e.g. https://news.example.com "
              "(default: the site's first allowed origin).")
def export_command(site_name: str, fmt: str, base_url: str | None) -> None:
    """Write every comment of a site, whatever its status, to standard output."""
    from service.db import Database
    from service.exceptions import ModeratoError
    from service.imports.export import export_json, export_wxr

    config = Config.from_env()
    db = Database(config)
    try:
        pieces = export_json(db, site_name) if fmt == "json" else export_wxr(db, site_name, base_url)
        for piece in pieces:
            click.echo(piece, nl=False)
    except ModeratoError as err:
        raise click.ClickException(err.message) from err
    finally:
        db.dispose()


def _command_line_actor() -> str:
    import getpass

    return f"command-line:{getpass.getuser()}"[:100]


@cli.command("config-table")
def config_table() -> None:
    """Print the configuration table that the README carries."""
    from service.config import markdown_table

    click.echo(markdown_table())



@cli.command("reader-accounts")
@click.option("--site", "site_name", required=True, help="The site's name.")
@click.argument("mode", type=click.Choice(["guests", "accounts", "both"]))
def reader_accounts_command(site_name: str, mode: str) -> None:
    """Set who may comment on a site: guests (and host-signed readers), reader accounts only, or both."""
    from service.db import Database
    from service.readers.accounts import SETTING
    from service.sites import find_site

    db = Database(Config.from_env())
    try:
        with db.write() as session:
            site = find_site(session, site_name)
            site.settings = {**(site.settings or {}), SETTING: mode}
    finally:
        db.dispose()
    click.echo(f"site '{site_name}': reader accounts {mode}")

if __name__ == "__main__":
    cli()
