"""Command line: `python -m service run | migrate | create-api-key | create-user`."""
from __future__ import annotations

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


@cli.command("config-table")
def config_table() -> None:
    """Print the configuration table that the README carries."""
    from service.config import markdown_table

    click.echo(markdown_table())


if __name__ == "__main__":
    cli()
