# Dosmotr — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml setup.py deploy/no-deps.txt | sha256sum | cut -c1-12)

.PHONY: run test install chromium lint bench clean

$(STAMP): pyproject.toml setup.py deploy/no-deps.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	# The same list the Dockerfile installs (the OCR; why --no-deps: see the file)
	$(BIN)/python -m pip install --quiet --no-deps -r deploy/no-deps.txt
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

run: install
	$(BIN)/dosmotr run

test: install chromium
	$(BIN)/python -m pytest

# Browser tests drive Debian's Chromium (never a downloaded browser build); the proxy test
# runs deploy/Caddyfile in Debian's Caddy.
chromium:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/caddy ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core caddy; \
	    systemctl disable --now caddy 2>/dev/null || true; \
	  else \
	    echo "Tests need Debian's chromium and caddy: sudo apt-get install chromium caddy" >&2; exit 1; \
	  fi; \
	fi

lint: install
	$(BIN)/python -m pip install --quiet ruff mypy
	$(BIN)/ruff check backend media_pipeline tests bench
	$(BIN)/mypy backend media_pipeline

bench: install
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var
