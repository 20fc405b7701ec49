"""The one configuration object: defaults, parsing, and the README's table kept in step with it."""
from __future__ import annotations

import re
from dataclasses import fields

from service.config import ENVIRONMENT, PROJECT_ROOT, Config, markdown_table


def test_environment_defaults_match_the_dataclass_defaults():
    from_env = Config.from_env({})
    defaults = Config()
    for field in fields(Config):
        if field.name != "extra":
            assert getattr(from_env, field.name) == getattr(defaults, field.name), field.name


def test_every_setting_is_read_from_one_variable():
    attrs = [attr for _var, attr, _d, _m in ENVIRONMENT]
    assert len(attrs) == len(set(attrs))
    assert set(attrs) == {f.name for f in fields(Config)} - {"extra"}


def test_values_are_parsed_by_type():
    config = Config.from_env({"MAX_COMMENT_LENGTH": "500", "TESTING_HOOKS": "true", "WORD_LIST": "a, b,,c"})
    assert config.max_comment_length == 500 and config.testing_hooks is True
    assert config.word_list == ("a", "b", "c")


def test_postgresql_urls_use_psycopg3_and_sqlite_paths_are_under_the_project():
    assert Config(database_url="postgresql://u@h/db").resolved_database_url() == "postgresql+psycopg://u@h/db"
    assert Config().resolved_database_url() == f"sqlite:///{PROJECT_ROOT}/data/moderato.sqlite3"


def test_secret_key_is_generated_once_and_kept(tmp_path):
    first = Config(data_dir=str(tmp_path)).ensure_secret_key()
    second = Config(data_dir=str(tmp_path)).ensure_secret_key()
    assert first.secret_key and first.secret_key == second.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_readme_configuration_table_is_current():
    readme = (PROJECT_ROOT / "README.md").read_text()
    table = re.search(r"<!-- config-table -->\n(.*?)\n<!-- /config-table -->", readme, re.S)
    assert table, "README.md lacks the configuration table markers"
    assert table.group(1).strip() == markdown_table(), "regenerate it: python -m service config-table"


def test_data_dir_moves_the_default_sqlite_file(tmp_path):
    moved = Config.from_env({"DATA_DIR": str(tmp_path / "elsewhere")})
    assert moved.resolved_database_url() == f"sqlite:///{tmp_path}/elsewhere/moderato.sqlite3"
    # An explicit DATABASE_URL is left where it says.
    explicit = Config.from_env({"DATA_DIR": str(tmp_path), "DATABASE_URL": "sqlite:///db/other.sqlite3"})
    assert explicit.resolved_database_url() == f"sqlite:///{PROJECT_ROOT}/db/other.sqlite3"


def test_migrate_creates_the_sqlite_file_in_data_dir(tmp_path):
    from click.testing import CliRunner

    from service.__main__ import cli

    data_dir = tmp_path / "data-elsewhere"
    result = CliRunner().invoke(cli, ["migrate"], env={"DATA_DIR": str(data_dir), "DATABASE_URL": None})
    assert result.exit_code == 0, result.output
    assert (data_dir / "moderato.sqlite3").stat().st_size > 0
