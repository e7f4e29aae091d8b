"""Django settings, read from the environment so one build runs anywhere.

See docs/operator-guide.md for every variable.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from opsdesk.common.logcontext import logging_config

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("OPSDESK_VAR_DIR", PROJECT_DIR / "var"))


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _env_bool("OPSDESK_DEBUG", False)
SECRET_KEY = os.environ.get("OPSDESK_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and os.environ.get("OPSDESK_ALLOW_INSECURE_KEY") != "1":
        # Demo and tests set OPSDESK_ALLOW_INSECURE_KEY; production must set a key.
        raise RuntimeError("OPSDESK_SECRET_KEY must be set (see docs/operator-guide.md)")
    SECRET_KEY = "insecure-dev-key-do-not-use-in-production"

ALLOWED_HOSTS = os.environ.get("OPSDESK_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("OPSDESK_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    # django-ninja's own static Swagger UI for /api/v1/docs (without it the page loads
    # scripts from a CDN, which the CSP and a closed network both refuse).
    "ninja",
    "opsdesk.access",
    "opsdesk.staff",
    "opsdesk.customers",
    "opsdesk.cases",
    "opsdesk.tasks",
    "opsdesk.comms",
    "opsdesk.runtime",
    "opsdesk.orders",
    "opsdesk.scheduling",
    "opsdesk.field",
    "opsdesk.billing",
    "opsdesk.feedback",
    "opsdesk.partners",
    "opsdesk.applications",
    "opsdesk.intake",
    "opsdesk.contacts",
    "opsdesk.chat",
    "opsdesk.privacy",
    "opsdesk.portal",
    "opsdesk.reports",
    "opsdesk.api",
    "opsdesk.web",
]

MIDDLEWARE = [
    # First: the request id reaches every log line, the metrics time everything.
    "opsdesk.runtime.middleware.RequestIdMiddleware",
    "opsdesk.runtime.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Outside the rate limit, so that its 429s carry the headers too.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "opsdesk.access.headers.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before sessions and views: a request over its limit writes nothing.
    "opsdesk.access.ratelimit.RateLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After authentication: the agent UI in the signed-in user's language.
    "opsdesk.web.language.AgentLanguageMiddleware",
]

ROOT_URLCONF = "opsdesk.urls"
WSGI_APPLICATION = "opsdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

if "DATABASE_URL" not in os.environ:
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # the default SQLite file lives here
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'opsdesk.sqlite3'}")
    )
}
# PostgreSQL connections: kept open by each process for OPSDESK_DB_CONN_MAX_AGE
# seconds, or, with OPSDESK_DB_POOL_SIZE > 0, taken from a psycopg pool of at most that
# many connections per process (Django's pool, which needs CONN_MAX_AGE 0).
OPSDESK_DB_CONN_MAX_AGE = int(os.environ.get("OPSDESK_DB_CONN_MAX_AGE", "60"))
OPSDESK_DB_POOL_SIZE = int(os.environ.get("OPSDESK_DB_POOL_SIZE", "0"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so web and worker queue for it
    # instead of failing with "database is locked" mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif OPSDESK_DB_POOL_SIZE > 0:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": OPSDESK_DB_POOL_SIZE,
        "timeout": 10,  # seconds a request waits for a free connection, then fails
    }
else:
    # dj_database_url sets CONN_MAX_AGE (to 0) itself, so assign, not setdefault.
    DATABASES["default"]["CONN_MAX_AGE"] = OPSDESK_DB_CONN_MAX_AGE
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    # A database host that drops packets (a failover, a cut link) would hang a connect
    # for minutes; fail in 5 s, answer 503 and try again. ?connect_timeout=N overrides.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
if _env_bool("OPSDESK_DB_TRANSACTION_POOLER", False):
    # Behind PgBouncer in transaction mode a cursor cannot outlive its transaction:
    # .iterator() reads through client-side cursors instead of server-side ones.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
# The agent UI's languages (opsdesk.web.language); customer texts have their own.
LANGUAGES = [("en", "English"), ("tr", "Türkçe")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Turkish dates, but numbers with a decimal point (opsdesk/formats/tr/formats.py).
FORMAT_MODULE_PATH = ["opsdesk.formats"]
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"

SESSION_COOKIE_HTTPONLY = True
if _env_bool("OPSDESK_HTTPS", False):
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy on every response (opsdesk.access.headers): only the site's
# own files; no inline script or style anywhere in the templates.
OPSDESK_CSP = {
    "default-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

# Rate limits on the public endpoints (opsdesk.access.ratelimit): requests per
# OPSDESK_RATE_LIMIT_WINDOW seconds, counted in the database so that every process
# and host shares them; 0 turns one off.
OPSDESK_RATE_LIMIT_WINDOW = int(os.environ.get("OPSDESK_RATE_LIMIT_WINDOW", "60"))
OPSDESK_RATE_LIMITS = {
    "customer_link": int(os.environ.get("OPSDESK_RATE_LIMIT_CUSTOMER_LINK", "60")),  # per IP
    "payment_page": int(os.environ.get("OPSDESK_RATE_LIMIT_PAYMENT_PAGE", "30")),  # per IP
    "form": int(os.environ.get("OPSDESK_RATE_LIMIT_FORM", "10")),  # POSTs per IP
    "signin": int(os.environ.get("OPSDESK_RATE_LIMIT_SIGNIN", "10")),  # POSTs per IP
    "webhook": int(os.environ.get("OPSDESK_RATE_LIMIT_WEBHOOK", "600")),  # per provider and IP
}
# Addresses (or networks, e.g. 10.0.0.0/8) of reverse proxies whose X-Forwarded-For
# names the client; from anyone else the header is ignored.
OPSDESK_TRUSTED_PROXIES = [
    p.strip() for p in os.environ.get("OPSDESK_TRUSTED_PROXIES", "").split(",") if p.strip()
]
# Sign-in lockout (opsdesk.access.signin): this many failed sign-ins for one username
# (or from one address, for any usernames) within the minutes lock it for the minutes.
OPSDESK_SIGNIN_MAX_FAILURES = int(os.environ.get("OPSDESK_SIGNIN_MAX_FAILURES", "5"))
OPSDESK_SIGNIN_MAX_FAILURES_PER_IP = int(os.environ.get("OPSDESK_SIGNIN_MAX_FAILURES_PER_IP", "20"))
OPSDESK_SIGNIN_LOCKOUT_MINUTES = int(os.environ.get("OPSDESK_SIGNIN_LOCKOUT_MINUTES", "15"))

# --- opsdesk ---------------------------------------------------------------
OPSDESK_PLAYBOOK_DIR = Path(os.environ.get("OPSDESK_PLAYBOOK_DIR", PROJECT_DIR / "playbooks"))
# Which adapter sends each channel: "dev" keeps messages in the database.
OPSDESK_CHANNEL_ADAPTERS = {
    "WHATSAPP": os.environ.get("OPSDESK_WHATSAPP_ADAPTER", "dev"),
    "SMS": os.environ.get("OPSDESK_SMS_ADAPTER", "dev"),
    "EMAIL": os.environ.get("OPSDESK_EMAIL_ADAPTER", "dev"),
    "VOICE": os.environ.get("OPSDESK_VOICE_ADAPTER", "dev"),
}
WHATSAPP_API_BASE = os.environ.get("OPSDESK_WHATSAPP_API_BASE", "https://graph.facebook.com/v21.0")
WHATSAPP_PHONE_NUMBER_ID = os.environ.get("OPSDESK_WHATSAPP_PHONE_NUMBER_ID", "")
WHATSAPP_ACCESS_TOKEN = os.environ.get("OPSDESK_WHATSAPP_ACCESS_TOKEN", "")
WHATSAPP_APP_SECRET = os.environ.get("OPSDESK_WHATSAPP_APP_SECRET", "")
WHATSAPP_VERIFY_TOKEN = os.environ.get("OPSDESK_WHATSAPP_VERIFY_TOKEN", "")
# Click-to-call from the agent's screen: "dev" (connects nobody) or "twilio".
OPSDESK_CLICK_TO_CALL = os.environ.get("OPSDESK_CLICK_TO_CALL", "dev")
TWILIO_API_BASE = os.environ.get("OPSDESK_TWILIO_API_BASE", "https://api.twilio.com")
TWILIO_ACCOUNT_SID = os.environ.get("OPSDESK_TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = os.environ.get("OPSDESK_TWILIO_AUTH_TOKEN", "")
TWILIO_FROM_NUMBER = os.environ.get("OPSDESK_TWILIO_FROM_NUMBER", "")
# Base URL providers call back, e.g. https://ops.example.com (required for twilio_voice).
OPSDESK_PUBLIC_URL = os.environ.get("OPSDESK_PUBLIC_URL", "")
# Shared secret the mail relay sends as X-Opsdesk-Inbound-Secret when it POSTs an
# inbound email to /api/v1/webhooks/email; empty refuses every inbound email.
OPSDESK_INBOUND_EMAIL_SECRET = os.environ.get("OPSDESK_INBOUND_EMAIL_SECRET", "")
# How long a customer link (order status, reschedule, cancel) stays valid.
OPSDESK_CUSTOMER_LINK_DAYS = int(os.environ.get("OPSDESK_CUSTOMER_LINK_DAYS", "30"))
# Route planning's default travel matrix: straight-line distance at this speed (km/h).
OPSDESK_TRAVEL_SPEED_KMH = float(os.environ.get("OPSDESK_TRAVEL_SPEED_KMH", "30"))
# Re-planning during the day (a worker job): the solver's time limit, and how late
# a technician may run against the plan before the rest of the day is re-planned.
# Cash a technician collects is recorded in this currency (ISO 4217).
OPSDESK_CURRENCY = os.environ.get("OPSDESK_CURRENCY", "TRY")
OPSDESK_REPLAN_SECONDS = float(os.environ.get("OPSDESK_REPLAN_SECONDS", "5"))
OPSDESK_REPLAN_SLACK_MINUTES = int(os.environ.get("OPSDESK_REPLAN_SLACK_MINUTES", "15"))
# Payments: the provider adapter for payment links (opsdesk.billing.providers; "test" is
# the built-in one, no real money) and the test provider's webhook signing secret: a
# known default only for the demo and tests; empty (every webhook refused) otherwise.
OPSDESK_PAYMENT_PROVIDER = os.environ.get("OPSDESK_PAYMENT_PROVIDER", "test")
OPSDESK_TEST_PAYMENT_SECRET = os.environ.get(
    "OPSDESK_TEST_PAYMENT_SECRET",
    "test-payment-secret" if DEBUG or os.environ.get("OPSDESK_ALLOW_INSECURE_KEY") == "1" else "",
)
# Retainers: the default discount (percent) by the customer's priority tier.
OPSDESK_RETAINER_DISCOUNTS = {"repeat": 10, "corporate": 15}
# Outbound email ("smtp" adapter). Django's own EMAIL_* names, so django.core.mail
# uses the same relay.
EMAIL_HOST = os.environ.get("OPSDESK_SMTP_HOST", "")
EMAIL_USE_SSL = _env_bool("OPSDESK_SMTP_SSL", False)  # implicit TLS, usually port 465
EMAIL_USE_TLS = _env_bool("OPSDESK_SMTP_STARTTLS", not EMAIL_USE_SSL)  # STARTTLS unless SSL
EMAIL_PORT = int(os.environ.get("OPSDESK_SMTP_PORT", "465" if EMAIL_USE_SSL else "587"))
EMAIL_HOST_USER = os.environ.get("OPSDESK_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("OPSDESK_SMTP_PASSWORD", "")
OPSDESK_EMAIL_FROM = os.environ.get("OPSDESK_EMAIL_FROM", "")  # "Ikamet <info@example.com>"
# Worker tuning.
OPSDESK_WORKER_BATCH = int(os.environ.get("OPSDESK_WORKER_BATCH", "50"))
# Days the personal-data audit log keeps views and exports (the worker prunes older
# ones daily); 0 keeps every entry. Data exports and erasures are kept for good.
OPSDESK_AUDIT_RETENTION_DAYS = int(os.environ.get("OPSDESK_AUDIT_RETENTION_DAYS", "0"))
if OPSDESK_AUDIT_RETENTION_DAYS < 0:
    raise RuntimeError("OPSDESK_AUDIT_RETENTION_DAYS must be 0 (keep every entry) or more")
OPSDESK_SEND_LEASE_SECONDS = int(os.environ.get("OPSDESK_SEND_LEASE_SECONDS", "120"))
OPSDESK_MAX_SEND_ATTEMPTS = int(os.environ.get("OPSDESK_MAX_SEND_ATTEMPTS", "8"))

# Operations. /metrics answers requests from loopback, or with this bearer token
# (empty: loopback only).
OPSDESK_METRICS_TOKEN = os.environ.get("OPSDESK_METRICS_TOKEN", "")
# "text" (default) or "json": one JSON object a line, with request_id and case_id.
OPSDESK_LOG_FORMAT = os.environ.get("OPSDESK_LOG_FORMAT", "text").strip().lower()

LOGGING = logging_config(OPSDESK_LOG_FORMAT, os.environ.get("OPSDESK_LOG_LEVEL", "INFO"))
