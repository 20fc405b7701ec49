"""The one configuration object, read from the environment once at start-up."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The default database: a SQLite file in DATA_DIR (data/ under the project unless DATA_DIR moves it).
DEFAULT_DATABASE_URL = "sqlite:///data/moderato.sqlite3"
SQLITE_FILE = "moderato.sqlite3"

# Each entry: (environment variable, attribute, default, meaning). The README's table is checked
# against this list by tests/service/test_config.py, so the two cannot drift apart.
ENVIRONMENT: tuple[tuple[str, str, str, str], ...] = (
    ("DATABASE_URL", "database_url", DEFAULT_DATABASE_URL,
     "SQLAlchemy URL; SQLite (WAL) by default, postgresql+psycopg://... in production"),
    ("SQLITE_SYNCHRONOUS", "sqlite_synchronous", "FULL",
     "SQLite fsync policy: FULL survives power loss after each 202; NORMAL is faster but may lose the last commits"),
    ("REDIS_URL", "redis_url", "", "Redis for captchas, the RQ queue and caches; empty starts an embedded Redis"),
    ("DATA_DIR", "data_dir", "data", "Folder for the SQLite file and the embedded Redis's append-only file"),
    ("SECRET_KEY", "secret_key", "", "Key for comment tokens and IP hashes; generated and kept in DATA_DIR if empty"),
    ("MODERATOR_TOKEN", "moderator_token", "",
     "Optional shared bearer token for the moderation API (console accounts' personal tokens replace it)"),
    ("QUEUE_NAME", "queue_name", "moderation", "RQ queue that receives moderation jobs"),
    ("MAX_COMMENT_LENGTH", "max_comment_length", "2000", "Longest comment text accepted, in characters"),
    ("MAX_AUTHOR_LENGTH", "max_author_length", "40", "Longest nickname accepted, in characters"),
    ("MAX_BODY_BYTES", "max_body_bytes", "65536", "Largest request body accepted, in bytes (413 beyond)"),
    ("CAPTCHA_TTL", "captcha_ttl", "300", "Seconds a captcha answer stays valid"),
    ("CAPTCHA_LENGTH", "captcha_length", "5", "Characters in a captcha answer"),
    ("MODERATION_BATCH_WINDOW_MS", "moderation_batch_window_ms", "500",
     "Milliseconds a web process gathers accepted comments into one moderation job; 0 enqueues each at once"),
    ("MODERATION_BATCH_SIZE", "moderation_batch_size", "200", "Most comments in one moderation job"),
    ("RECONCILE_AFTER", "reconcile_after", "60",
     "Seconds a comment may stay pending before the reconciler re-enqueues it"),
    ("RECONCILE_INTERVAL", "reconcile_interval", "60", "Seconds between scheduled reconciler runs"),
    ("THREAD_CACHE_TTL", "thread_cache_ttl", "30", "Seconds a thread's approved comments stay cached in Redis"),
    ("WORD_LIST", "word_list", "", "Comma-separated extra words that hold a comment (besides the filters' lists)"),
    ("FILTERS", "filters", "length,repetition,links,wordlist,contact,flood,classifier",
     "Filters the pipeline runs, in order, by registry name"),
    ("MAX_LINKS", "max_links", "2", "Links a comment may carry before it is held"),
    ("TESTING_HOOKS", "testing_hooks", "0", "1 exposes test-only hooks (captcha answers); never set in production"),
    ("DEMO", "demo", "1", "1 serves the demo articles at / (with a demo sign-in); set 0 in production"),
    ("HOST", "host", "127.0.0.1",
     "Address the web server of `python -m service run` listens on; 0.0.0.0 for every interface"),
    ("PORT", "port", "8000", "Port of the web server started by `python -m service run`"),
    ("WORKERS", "workers", "2", "RQ worker processes started by `python -m service run`"),
    ("WEB_PROCESSES", "web_processes", "2", "Web server (granian) processes started by `python -m service run`"),
    ("WEB_THREADS", "web_threads", "4", "Threads per web process that run the app (bodies are read before, without one)"),
    ("ACCEPT_ON_EVENT_LOOP", "accept_on_event_loop", "1",
     "PostgreSQL: store new comments from the web server's event loop, not an app thread (0 with a Redis across a network)"),
    ("BODY_READ_TIMEOUT", "body_read_timeout", "10",
     "Seconds a client has to send a request's whole body (408 after that; headers: 10 s, granian's)"),
    ("CLIENT_BODY_READS", "client_body_reads", "8",
     "Request bodies one address may have been sending for over a second at once, per web process (429 beyond); 0: no limit"),
    ("TRUSTED_PROXIES", "trusted_proxies", "0",
     "Reverse proxies in front of the web server whose X-Forwarded-For is trusted"),
    ("DEFAULT_SITE_ORIGINS", "default_site_origins", "",
     "Comma-separated origins (https://news.example.com) whose pages may embed the default site's widget"),
    ("REPORTS_PER_HOUR", "reports_per_hour", "20", "Reports one reader (hashed IP) may send per hour"),
    ("RATE_LIMITS", "rate_limits", "1",
     "1 limits comments and captchas per address, network, author, thread, site and API key (429); 0 for load tests"),
    ("AUDIO_CAPTCHAS_PER_SECOND", "audio_captchas_per_second", "1",
     "Audio captchas made per second for all clients together (each costs about half a core-second); 0: no cap"),
    ("AUDIO_CAPTCHAS_PER_CLIENT", "audio_captchas_per_client", "6",
     "Audio captchas one address may fetch per minute; 0: no limit"),
    ("SESSION_COOKIE_SECURE", "session_cookie_secure", "1",
     "1 marks the console's session cookie Secure (HTTPS only); 0 for plain-HTTP development"),
    ("LOGIN_MAX_FAILURES", "login_max_failures", "5",
     "Failed console logins per username or per IP before further attempts are locked out"),
    ("LOGIN_LOCKOUT_SECONDS", "login_lockout_seconds", "900", "Seconds a console login lock-out lasts"),
    ("CONSOLE_LANGUAGE", "console_language", "en", "Default language of the moderator console: en or zh-CN"),
    ("HELD_QUEUE_ALERT", "held_queue_alert", "50",
     "Held comments on a site that trigger a notification to moderators; 0 turns it off"),
    ("NOTIFY_WEBHOOK_URL", "notify_webhook_url", "",
     "URL that receives notifications as signed JSON POSTs; empty turns the webhook off"),
    ("NOTIFY_WEBHOOK_SECRET", "notify_webhook_secret", "",
     "Key of the webhook's X-Moderato-Signature HMAC-SHA256 header (SECRET_KEY when empty)"),
    ("SMTP_HOST", "smtp_host", "", "Mail server for notification emails to moderators; empty turns email off"),
    ("SMTP_PORT", "smtp_port", "25", "Port of the mail server"),
    ("SMTP_FROM", "smtp_from", "moderato@localhost", "Sender address of notification emails"),
    ("PUBLIC_URL", "public_url", "",
     "The service's address as readers reach it (https://comments.example.com), for links in readers' mails"),
    ("NOTIFY_EMAILS", "notify_emails", "",
     "Comma-separated extra addresses for notifications, besides the console accounts' emails"),
)


def markdown_table() -> str:
    """Return the README's configuration table, generated from ENVIRONMENT."""
    lines = ["| Variable | Default | Meaning |", "|---|---|---|"]
    for var, _attr, default, meaning in ENVIRONMENT:
        shown = f"`{default}`" if default else "(empty)"
        lines.append(f"| `{var}` | {shown} | {meaning} |")
    return "\n".join(lines)


def _int(value: str) -> int:
    return int(value.strip())


@dataclass(frozen=True)
class Config:
    """Settings of one deployment; tests build it directly, the service reads it from the environment."""

    database_url: str = DEFAULT_DATABASE_URL
    sqlite_synchronous: str = "FULL"
    redis_url: str = ""
    data_dir: str = "data"
    secret_key: str = ""
    moderator_token: str = ""
    queue_name: str = "moderation"
    max_comment_length: int = 2000
    max_author_length: int = 40
    max_body_bytes: int = 65536
    captcha_ttl: int = 300
    captcha_length: int = 5
    moderation_batch_window_ms: int = 500
    moderation_batch_size: int = 200
    reconcile_after: int = 60
    reconcile_interval: int = 60
    thread_cache_ttl: int = 30
    word_list: tuple[str, ...] = ()
    filters: tuple[str, ...] = ("length", "repetition", "links", "wordlist", "contact", "flood", "classifier")
    max_links: int = 2
    testing_hooks: bool = False
    demo: bool = True
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 2
    web_processes: int = 2
    web_threads: int = 4
    accept_on_event_loop: bool = True
    body_read_timeout: int = 10
    client_body_reads: int = 8
    trusted_proxies: int = 0
    default_site_origins: tuple[str, ...] = ()
    reports_per_hour: int = 20
    rate_limits: bool = True
    audio_captchas_per_second: int = 1
    audio_captchas_per_client: int = 6
    session_cookie_secure: bool = True
    login_max_failures: int = 5
    login_lockout_seconds: int = 900
    console_language: str = "en"
    held_queue_alert: int = 50
    notify_webhook_url: str = ""
    notify_webhook_secret: str = ""
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = "moderato@localhost"
    notify_emails: tuple[str, ...] = ()
    public_url: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Config:
        """Build the configuration from environment variables, with the documented defaults."""
        env = os.environ if environ is None else environ
        types = {f.name: f.type for f in fields(cls)}
        values: dict[str, object] = {}
        for var, attr, default, _meaning in ENVIRONMENT:
            raw = env.get(var, default)
            kind = types[attr]
            if kind == "int":
                values[attr] = _int(raw)
            elif kind == "bool":
                values[attr] = raw.strip().lower() in ("1", "true", "yes", "on")
            elif kind.startswith("tuple"):
                values[attr] = tuple(p.strip() for p in raw.split(",") if p.strip())
            else:
                values[attr] = raw
        return cls(**values)

    @property
    def data_path(self) -> Path:
        """Return the data folder as an absolute path (relative paths are under the project)."""
        path = Path(self.data_dir)
        return path if path.is_absolute() else PROJECT_ROOT / path

    def resolved_database_url(self) -> str:
        """Return the database URL: the default SQLite file in the data folder, other relative SQLite paths
        under the project folder, and postgresql:// with the psycopg 3 driver."""
        prefix = "sqlite:///"
        url = self.database_url
        if url == DEFAULT_DATABASE_URL:
            # DATA_DIR promises to hold the SQLite file: with the default URL it does, wherever it points.
            return prefix + str(self.data_path / SQLITE_FILE)
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str(PROJECT_ROOT / url[len(prefix):])
        if url.startswith("postgresql://"):
            # psycopg 3 is the driver we ship; plain postgresql:// URLs would ask for psycopg2.
            return "postgresql+psycopg://" + url[len("postgresql://"):]
        return url

    def ensure_secret_key(self) -> Config:
        """Return a config whose secret key is set, creating and keeping one in the data folder."""
        if self.secret_key:
            return self
        path = self.data_path / "secret_key"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            # O_EXCL: two processes starting together must not write two different keys.
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as handle:
                    handle.write(secrets.token_urlsafe(32))
            except FileExistsError:
                pass
        key = path.read_text().strip()
        return _replace(self, secret_key=key)


def _replace(config: Config, **changes: object) -> Config:
    from dataclasses import replace

    return replace(config, **changes)
