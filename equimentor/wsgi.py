"""WSGI entry point: gunicorn serves it with equimentor/gunicorn_conf.py (docs/deployment.md)."""

import os

from django.core.cache import caches
from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "equimentor.settings")
application = get_wsgi_application()

# Import every view now (the URLconf imports them all), not on a web process's first request:
# gunicorn loads this module once in its master (preload_app), so each worker it starts, and
# each that replaces one after max_requests, answers at once instead of spending seconds on
# imports while its requests wait (about 3 s on a busy 2-core machine, #17).
get_resolver().url_patterns  # noqa: B018
# Likewise the shared cache's client (importing redis and django-redis: about 0.12 s of a new
# worker's first request, measured apart); it connects only when first used, in each worker.
caches["default"]  # noqa: B018
