# synthscene: two commands on a fresh machine.
#   make demo   create .venv if missing, install, render the embedded default scene
#   make test   same install, run the test suite
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.synthscene-installed
PIP    := $(BIN)/python -m pip
DEMO_OUT ?= out/demo

.PHONY: install demo test test-slow clean

install: $(STAMP)

# Kubric is installed without its dependency list (TensorFlow, TFDS, apache-beam, google-cloud);
# pyproject.toml lists what its scene model, simulator and our code really use.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --disable-pip-version-check -c constraints.txt -e '.[test,torch,refiner,ray]'
	$(PIP) install -q --disable-pip-version-check --no-deps kubric-nightly==2023.12.27
	$(BIN)/python -c "import kubric, renderer, bpy; print('installed: bpy', bpy.app.version_string, '/ kubric', kubric.__version__)"
	# headless Chromium for the report screenshot test (Debian package; the test skips without it)
	command -v chromium >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  echo "chromium not installed: the report screenshot test will be skipped"
	touch $(STAMP)

demo: install
	$(BIN)/synthscene demo --out $(DEMO_OUT)

# lint (ruff: pyflakes + pycodestyle errors), formatting, then the suite in two processes, one
# test module per process at a time (which includes the
# import-layer contract, tests/test_import_layers.py)
test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

test-slow: install
	$(BIN)/python -m pytest -q -m slow

clean:
	rm -rf $(VENV) out .pytest_cache
