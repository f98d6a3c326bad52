# The two commands: `make run` (demo on 127.0.0.1:8000) and `make test` (the whole suite).
# Both call `make setup`, which installs what is missing and changes nothing otherwise.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := .cache

.PHONY: setup run test test-sqlite test-postgres services lock messages clean-var

setup: $(STAMP)/apt.done $(VENV)/.installed $(STAMP)/messages.done $(STAMP)/es.done
	@$(PY) manage.py migrate --noinput -v0

$(STAMP)/apt.done: scripts/setup-apt.sh
	@mkdir -p $(STAMP)
	@bash scripts/setup-apt.sh
	@touch $@

# Elasticsearch's test distribution from Maven Central (for tests and benchmarks; the app runs without it).
$(STAMP)/es.done: scripts/es-install.sh
	@mkdir -p $(STAMP)
	@bash scripts/es-install.sh
	@touch $@

$(VENV)/.installed: requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -r requirements.lock
	@touch $@

$(STAMP)/messages.done: $(wildcard locale/*/LC_MESSAGES/django.po */locale/*/LC_MESSAGES/django.po)
	@mkdir -p $(STAMP)
	@$(PY) manage.py compilemessages -v0 --ignore=.venv --ignore=var --ignore=.cache
	@touch $@

run: setup
	@$(PY) manage.py load_demo
	@$(PY) manage.py import_handbook handbook/fixtures/handbook-legacy-zh.txt --publish --as admin > /dev/null
	@echo "登录 / sign in: http://127.0.0.1:8000/admin/  (any user above, password demo-pass-2026)"
	@trap 'kill $$worker $$watcher 2>/dev/null' EXIT; \
	$(PY) manage.py run_worker & worker=$$!; \
	$(PY) manage.py watch_intake & watcher=$$!; \
	$(PY) manage.py runserver 127.0.0.1:8000 --noreload

services:
	@bash scripts/pg-start.sh
	@bash scripts/s3-install.sh
	@bash scripts/s3-start.sh
	@bash scripts/es-start.sh >/dev/null

# The suite runs twice: on the embedded default (SQLite) and on PostgreSQL, both with the S3 server.
test: setup services
	@bash scripts/test.sh

lock:
	$(PY) -m pip freeze --exclude-editable | sort > requirements.lock

messages:
	$(PY) manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=var --ignore=.cache
