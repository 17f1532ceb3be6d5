# Petrel's commands. The two that matter: `make run` and `make test` (see README.md).
# Each installs what it needs first (Debian/Ubuntu packages with apt, npm packages with npm ci).

SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c

# One build cache for every checkout on this machine (and for CI on it).
CARGO_TARGET_DIR ?= $(HOME)/.cache/petrel/target
export CARGO_TARGET_DIR
# Private folder of the test mail servers (tests/servers/mailservers.sh).
PETREL_TESTKIT_DIR ?= /tmp/petrel-mail
export PETREL_TESTKIT_DIR

# The Tauri CLI (a devDependency of ui/), run from the repository root.
TAURI ?= ui/node_modules/.bin/tauri
# In CI, Cargo.lock must already be up to date.
CARGO_FLAGS ?= $(if $(CI),--locked,)

APP := $(CARGO_TARGET_DIR)/debug/petrel-app
SERVERS := tests/servers/mailservers.sh

.PHONY: help run dev test e2e app ui ui-deps bindings demo bench deps deps-test \
	start-servers stop-servers clean-servers

help:
	@echo "make run            build and start Petrel (installs build dependencies first)"
	@echo "make test           every check: fmt, clippy, bindings, UI checks, Rust tests against"
	@echo "                    real mail servers, the app build, end-to-end tests in a real window"
	@echo "make demo           start local mail servers with a filled demo mailbox and open Petrel on it"
	@echo "make bench          run the benchmarks (bench/)"
	@echo "make e2e            only the end-to-end tests (builds the app if needed)"
	@echo "make bindings       regenerate the TypeScript types in ui/src/lib/bindings from Rust"
	@echo "make dev            the Tauri CLI's dev mode (UI hot reload)"
	@echo "make stop-servers   stop the test mail servers; clean-servers also deletes their files"

# --- building and running -----------------------------------------------------------------------

deps:
	scripts/deps-build.sh

deps-test:
	scripts/deps-test.sh

ui-deps:
	scripts/npm-ci.sh ui

ui: ui-deps
	npm --prefix ui run build

# The app with the UI embedded (the custom-protocol feature); without it the window stays blank.
app: ui
	cargo build $(CARGO_FLAGS) --features custom-protocol --bin petrel-app

run: deps ui
	cargo run $(CARGO_FLAGS) --features custom-protocol --bin petrel-app

dev: deps ui-deps
	$(TAURI) dev

# --- checks -------------------------------------------------------------------------------------

test:
	scripts/test.sh

e2e: app
	scripts/npm-ci.sh tests/e2e --ignore-scripts
	tests/e2e/run.sh $(APP)

bindings:
	cargo test $(CARGO_FLAGS) -p petrel-engine --lib export_bindings

# --- demo and benchmarks ------------------------------------------------------------------------

demo:
	scripts/demo.sh

# The IMAP sync benchmark (issue 4), then the POP3 download benchmark (issue 5).
bench:
	bench/run.sh
	bench/pop3.sh

# --- test mail servers --------------------------------------------------------------------------

start-servers:
	tests/servers/install.sh
	$(SERVERS) start

stop-servers:
	@if [ -x $(SERVERS) ]; then $(SERVERS) stop; fi

# Stops them and deletes their folder: all test mail, users and logs.
clean-servers:
	$(SERVERS) reset
