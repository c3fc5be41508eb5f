#!/bin/sh
# The container image's entrypoint: one image, four roles (docs/deployment.md, "Containers").
#   web        gunicorn with equimentor/gunicorn_conf.py on WEB_BIND (0.0.0.0:8000 in the image)
#   worker     equimentor worker: runs background tasks (emails, periodic jobs); run one or more
#   scheduler  equimentor scheduler: enqueues periodic work; several may run, one leads
#   migrate    equimentor migrate: run once before starting a new version's web and workers
# Anything else is run as a command, e.g. `equimentor createsuperuser` or `sh`.
set -eu
role="${1:-web}"
case "$role" in
  web) shift $(($# > 0 ? 1 : 0)); exec python -m gunicorn -c python:equimentor.gunicorn_conf "$@" ;;
  worker) shift; exec python -m equimentor worker "$@" ;;
  scheduler) shift; exec python -m equimentor scheduler "$@" ;;
  migrate) shift; exec python -m equimentor migrate --noinput "$@" ;;
  *) exec "$@" ;;
esac
