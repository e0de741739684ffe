# vdwiki: `make run` to try it, `make test` to test it. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run serve test install migrate fixtures demo-users demo-pages browser chromium nginx services lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements/base.txt requirements/dev.txt requirements/prod.txt
	$(BIN)/pip install --quiet -r requirements/dev.txt -r requirements/prod.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(BIN)/python manage.py migrate --noinput

fixtures: migrate
	$(BIN)/python manage.py import_dump fixtures/legacy --no-progress

demo-users: migrate
	@echo "Demo users (passwords are new on every run):"
	@$(BIN)/python manage.py create_demo_users

# About, Contact and the home page's introduction: site pages, which the legacy dump cannot hold.
demo-pages: demo-users
	@$(BIN)/python manage.py create_demo_pages

# The task worker runs the admin's imports and publishes scheduled posts; it stops with the server.
# Both keep the page cache in the local Redis, so what the worker publishes shows on cached pages.
run: export REDIS_URL ?= redis://127.0.0.1:6379/2
run: fixtures demo-pages services
	@echo "Serving on http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/), with the task worker"
	$(BIN)/python manage.py db_worker --no-reload --verbosity 0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# As production runs it: nginx (deploy/nginx/vdwiki.conf) in front of gunicorn, with the task worker.
serve: fixtures demo-pages services nginx
	$(BIN)/python -m deploy.serve --port $(PORT)

test: install chromium nginx services
	$(BIN)/python -m pytest

browser: install chromium nginx services
	$(BIN)/python -m pytest -m browser

# The suite talks to the local Redis (the page cache shared by app servers); start it if it is down.
services:
	@redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || { \
	  echo "Starting Redis on 127.0.0.1:6379"; \
	  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no; sleep 1; }

# The browser tests drive Debian's Chromium (Playwright's own browser download cannot work here).
chromium:
	@test -x /usr/bin/chromium || { \
	  echo "Installing Debian's chromium for the browser tests (needs root and apt)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The front the repository ships, and its njs module (deploy/nginx/vdwiki.js).
nginx:
	@test -x /usr/sbin/nginx -a -f /usr/lib/nginx/modules/ngx_http_js_module.so || { \
	  echo "Installing Debian's nginx and its njs module (needs root and apt)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx libnginx-mod-http-js >/dev/null; }

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python bench/import.py
	$(BIN)/python bench/serve.py
	$(BIN)/python bench/admin.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/render.py

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles .pytest_cache .serve
