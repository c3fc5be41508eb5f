"""WSGI entry point: gunicorn serves it with equimentor/gunicorn_conf.py (docs/deployment.md)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "equimentor.settings")
application = get_wsgi_application()
