"""Settings of the example: no database, sessions in the local-memory cache, Rupt from the env.

- `RUPT_SECRET`: the project secret (required; keep it on the server).
- `RUPT_DOMAIN` (optional): the API host, or a base URL such as `http://127.0.0.1:8007`.
- `RUPT_TIMEOUT` (optional): seconds a Rupt call may take, retries included (SDK default: 10).
- `DJANGO_SECRET_KEY`: Django's signing key (set it anywhere but on your machine);
  `DJANGO_DEBUG=1` turns on Django's debug pages.
"""

import os

SECRET_KEY = os.environ.get(
    "DJANGO_SECRET_KEY", "django-insecure-example-only-set-DJANGO_SECRET_KEY"
)
DEBUG = os.environ.get("DJANGO_DEBUG") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = ["rupt_login"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
ROOT_URLCONF = "rupt_example_site.urls"
WSGI_APPLICATION = "rupt_example_site.wsgi.application"

# No database: nothing here is stored in one. Sessions live in the cache (per process here; use
# Redis or the database in a real deployment).
DATABASES: dict[str, dict[str, str]] = {}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SESSION_ENGINE = "django.contrib.sessions.backends.cache"

USE_TZ = True

# Read by rupt_login.rupt_client.get_rupt(); an empty value falls back to the environment variable
# of the same name, then to the SDK's default.
RUPT_SECRET = os.environ.get("RUPT_SECRET", "")
RUPT_DOMAIN = os.environ.get("RUPT_DOMAIN", "")
RUPT_TIMEOUT = os.environ.get("RUPT_TIMEOUT", "")
