"""WSGI entry point: `gunicorn rupt_example_site.wsgi` (one RuptAPI per worker process)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rupt_example_site.settings")

application = get_wsgi_application()
