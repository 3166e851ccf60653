# quizapp: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
export FLASK_APP := wsgi.py
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres

.PHONY: run test test-sqlite test-postgres install install-dev browser-deps campaign-deps campaign-render-deps proxy-deps translations migrate demo serve serve-stream clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Installs the runtime dependencies (re-run when requirements.txt changes).
$(VENV)/.installed: requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed translations
install-dev: $(VENV)/.installed-dev translations browser-deps campaign-deps proxy-deps

# Debian's Chromium (never `playwright install`), axe-core for the browser tests and eslint +
# eslint-plugin-compat (tests/browser/test_js_lint.py checks the JS against Chrome/WebView 80).
# Without root or apt, the browser tests are skipped with a message saying why.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing chromium with apt-get"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-core >/dev/null; \
	fi
	@if command -v npm >/dev/null && { [ ! -f tests/browser/node_modules/axe-core/axe.min.js ] || [ ! -x tests/browser/node_modules/.bin/eslint ]; }; then \
	  cd tests/browser && npm ci --no-audit --no-fund --silent; \
	fi

# poppler-utils (pdftotext, pdftoppm, pdfinfo): the campaign tests read the generated PDFs back.
campaign-deps:
	@if ! command -v pdftotext >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing poppler-utils with apt-get"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null; \
	fi

# Opt-in (large, ~500 MB): LibreOffice, so a test converts the .docx report to PDF.
# Without it that test is skipped with a loud message.
campaign-render-deps:
	@if ! command -v soffice >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libreoffice-writer-nogui >/dev/null; \
	fi

# nginx for tests/test_nginx_proxy.py and bench/storm.py --proxy nginx (the shipped recipe in deploy/).
# Without root or apt, that test is skipped with a message saying why.
proxy-deps:
	@if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing nginx with apt-get"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; \
	fi

# Compile the Vietnamese/English catalogs of every capability into one .mo.
translations: | $(BIN)/activate
	$(BIN)/python -m quizapp.core.i18n_build

migrate: install
	$(BIN)/flask db upgrade

demo: migrate
	$(BIN)/flask demo load

# 1) Install, migrate, load the demo data and serve on SQLite, with the job consumer
#    (exports, large imports, the every-minute finalisation) beside the web server.
run: demo
	@$(BIN)/flask jobs worker --workers 2 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask run --port $(PORT)

# 2) Install and run the whole test suite: SQLite, then PostgreSQL when a server answers.
test: install-dev
	$(BIN)/python -m pytest -q
	@if $(BIN)/python -c "import socket,sys; s=socket.socket(); s.settimeout(1); sys.exit(s.connect_ex(('127.0.0.1',5432)))"; then \
	  echo "== PostgreSQL leg: TEST_DATABASE_URL=$(PG_TEST_URL) =="; \
	  TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m pytest -q --ignore=tests/browser; \
	else \
	  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
	  echo "!! PostgreSQL leg SKIPPED: no server answers at 127.0.0.1:5432   !!"; \
	  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
	fi

test-sqlite: install-dev
	$(BIN)/python -m pytest -q

test-postgres: install-dev
	TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m pytest -q --ignore=tests/browser

# Production-style server (see README: run `flask db upgrade` first).
serve: install
	@$(BIN)/flask jobs worker --workers 2 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn --workers 2 --bind 127.0.0.1:$(PORT) --no-control-socket wsgi:app

# The live contest's event stream (SSE) on its own port, gevent worker (deploy/nginx.conf routes /live/stream/ to it).
serve-stream: install
	$(BIN)/gunicorn -c deploy/gunicorn-stream.conf.py wsgi:app

clean:
	rm -rf $(VENV) instance/*.sqlite3* .pytest_cache
