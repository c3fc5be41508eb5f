"""Settings for the test suite: the real settings with test-only secrets and fast hashing."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
os.environ.setdefault("CSRF_COOKIE_SECURE", "0")
os.environ["EQUIMENTOR_TESTING"] = "1"

from equimentor.settings import *  # noqa: E402,F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# The SQLite run builds each worker's test database from the models (Django's TEST["MIGRATE"]):
# applying the migrations costs about 10 s of CPU a worker, nearly all of it Django re-rendering
# model states. Every data migration only transforms rows that exist, so an empty database comes
# out the same either way. The migrations stay tested: the PostgreSQL run applies all of them,
# tests/test_deploy_files.py applies them to a fresh SQLite file, and CI's `makemigrations --check`
# fails if the models and migrations disagree.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"].setdefault("TEST", {})["MIGRATE"] = False  # noqa: F405
