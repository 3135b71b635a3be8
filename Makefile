# saddle: build, test, bench, demo, fuzz.
#   make               bin/saddle
#   make test          install missing packages (as root), build, run the suite
#   make test SAN=1    the same under -fsanitize=address,undefined
#   make bench         training and probe throughput on Fashion-MNIST
#   make demo          install missing packages (as root), build, train configs/fmnist-mlp.ini,
#                      then draw its loss surface and trajectory plane
#   make test-report   the tiny study's report.html alone in headless Chromium, offline: every
#                      image loads from the page itself and a screenshot is not blank
#   make fuzz          each libFuzzer target for FUZZ_SECONDS (default 60)
#   make install       bin/saddle, man pages, bash completion, example configs
#                      under PREFIX (default /usr/local) and DESTDIR; make uninstall
#   make dist          saddle-VERSION.tar.gz of the committed tree
#   make clean

SHELL   := /bin/bash
CC      ?= cc
SAN     ?= 0
MPI     ?= 0
FUZZ_SECONDS ?= 60

PKGS      = build-essential pkg-config libopenblas-dev libpng-dev zlib1g-dev libinih-dev libcjson-dev \
            libcairo2-dev fonts-dejavu-core
TEST_PKGS = poppler-utils libxml2-utils
DEMO_PKGS = dataset-fashion-mnist
FUZZ_PKGS = clang libclang-rt-14-dev
MPI_PKGS  = openmpi-bin libopenmpi-dev
REPORT_PKGS = chromium

CFLAGS_BASE = -std=c11 -D_GNU_SOURCE -O3 -march=native -fno-math-errno -g -Wall -Wextra -Wshadow \
              -Wno-unused-parameter -MMD -MP
CAIRO_CFLAGS := $(shell pkg-config --cflags cairo 2>/dev/null)
CAIRO_LIBS   := $(shell pkg-config --libs cairo 2>/dev/null || echo -lcairo)
CFLAGS_BASE += $(CAIRO_CFLAGS)
LIBS = -lopenblas -lpng -lz -linih -lcjson $(CAIRO_LIBS) -lm -lpthread

ifeq ($(SAN),1)
  BUILD = build/san
  CFLAGS_BASE += -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
  LDFLAGS_SAN = -fsanitize=address,undefined
else
  BUILD = build/rel
endif
ifeq ($(MPI),1)
  CC = mpicc
  CFLAGS_BASE += -DSADDLE_MPI=1
  BUILD := $(BUILD)-mpi
endif

CFLAGS  += $(CFLAGS_BASE)
LDFLAGS += $(LDFLAGS_SAN)

LIB_SRC  = $(wildcard datasets/*.c) $(wildcard nn/*.c) $(wildcard probes/*.c)
TOOL_SRC = $(wildcard tools/*.c)
TEST_SRC = $(wildcard tests/*.c)
FUZZ_SRC = $(wildcard tests/fuzz/fuzz_*.c)

LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o)
TOOL_OBJ = $(TOOL_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ = $(TEST_SRC:%.c=$(BUILD)/%.o)

# Only the plain build lands in bin/; sanitizer and MPI builds stay in build/.
ifeq ($(SAN)$(MPI),00)
  SADDLE = bin/saddle
  TESTBIN = bin/saddle-test
else
  SADDLE = $(BUILD)/saddle
  TESTBIN = $(BUILD)/saddle-test
endif

.PHONY: all test test-mpi test-report bench demo fuzz clean deps deps-test deps-demo deps-fuzz deps-mpi deps-report

all: $(SADDLE)

$(BUILD)/libsaddle.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(SADDLE): $(TOOL_OBJ) $(BUILD)/libsaddle.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(TOOL_OBJ) $(BUILD)/libsaddle.a $(LIBS)

$(TESTBIN): $(TEST_OBJ) $(BUILD)/libsaddle.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(TEST_OBJ) $(BUILD)/libsaddle.a $(LIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# Installs what is missing when root; otherwise prints the command and stops.
define need_pkgs
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing || exit 1; \
	  else \
	    echo "missing packages; install them with:"; \
	    echo "  sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi
endef

deps:
	$(call need_pkgs,$(PKGS))
deps-test:
	$(call need_pkgs,$(PKGS) $(TEST_PKGS))
deps-demo:
	$(call need_pkgs,$(PKGS) $(DEMO_PKGS))
deps-fuzz:
	$(call need_pkgs,$(PKGS) $(FUZZ_PKGS))
deps-mpi:
	$(call need_pkgs,$(PKGS) $(MPI_PKGS))
deps-report:
	$(call need_pkgs,$(PKGS) $(REPORT_PKGS))

test: deps-test
	$(MAKE) --no-print-directory $(TESTBIN) $(SADDLE)
	SADDLE_BIN=$(SADDLE) ./$(TESTBIN)

# A surface split across 2 MPI ranks must equal the single-process one byte
# for byte (tests/mpi.sh). Runs as root too (--allow-run-as-root).
test-mpi: deps-mpi
	$(MAKE) --no-print-directory bin/saddle
	$(MAKE) --no-print-directory MPI=1 build/rel-mpi/saddle
	bash tests/mpi.sh bin/saddle build/rel-mpi/saddle

# The tiny study's report.html alone in an empty directory, opened in headless
# Chromium with the network blocked: tests/report_check.sh fails unless every
# image loaded from the page itself, nothing was fetched, and a screenshot of
# it is not blank.
test-report: deps-report
	$(MAKE) --no-print-directory bin/saddle bin/saddle-test
	bash tests/report_check.sh bin/saddle bin/saddle-test

bench: deps-demo
	$(MAKE) --no-print-directory $(SADDLE)
	./$(SADDLE) bench

demo: deps-demo
	$(MAKE) --no-print-directory $(SADDLE)
	@# A second demo continues (or keeps) its own run instead of replacing it.
	if [ -f runs/fmnist-mlp/config.ini ]; then \
	  ./$(SADDLE) train configs/fmnist-mlp.ini --resume runs/fmnist-mlp; \
	else \
	  ./$(SADDLE) train configs/fmnist-mlp.ini --out runs/fmnist-mlp; \
	fi
	./$(SADDLE) eval runs/fmnist-mlp --data test
	./$(SADDLE) surface runs/fmnist-mlp --3d
	./$(SADDLE) pca runs/fmnist-mlp

# libFuzzer targets: the readers of outside input, built with clang. The
# library and the tools are compiled once (tools/saddle.c with its main
# renamed: libFuzzer brings its own) and every target links against them.
FUZZ_BUILD = build/fuzz
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -O1 -g -fsanitize=address,undefined \
              -fno-sanitize-recover=undefined $(CAIRO_CFLAGS)
FUZZ_OBJ = $(LIB_SRC:%.c=$(FUZZ_BUILD)/obj/%.o) $(TOOL_SRC:%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_BINS = $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_BUILD)/%)
# Kept between runs (make would delete them as intermediates and rebuild all).
.SECONDARY: $(FUZZ_OBJ)

$(FUZZ_BUILD)/obj/tools/saddle.o: FUZZ_DEFS = -Dmain=saddle_main
$(FUZZ_BUILD)/obj/tools/version.o: FUZZ_DEFS = -I$(BUILD)
$(FUZZ_BUILD)/obj/tools/version.o: $(BUILD)/saddle_version.h
$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_DEFS) -MMD -MP -c -o $@ $<

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_util.h $(FUZZ_OBJ)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(LIBS)

fuzz: deps-fuzz
	$(MAKE) --no-print-directory $(FUZZ_BINS)
	@set -e; for f in $(FUZZ_BINS); do \
	  name=$$(basename $$f); corpus=$(FUZZ_BUILD)/corpus-$$name; \
	  mkdir -p $$corpus; cp tests/fuzz/seeds/$$name/* $$corpus/ 2>/dev/null || true; \
	  echo "== $$name ($(FUZZ_SECONDS) s)"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 $$corpus 2>&1 | tail -4; \
	  test $${PIPESTATUS[0]} -eq 0; \
	done

# Version, man pages, install, dist. The version is `git describe` of this
# checkout (or the VERSION file a release tarball carries); only
# tools/version.o is rebuilt when it changes.
SADDLE_VERSION := $(shell bash tools/version.sh)
.PHONY: man install uninstall dist FORCE
PKGS += man-db

$(BUILD)/saddle_version.h: FORCE
	@mkdir -p $(dir $@)
	@v='#define SADDLE_VERSION_STRING "$(SADDLE_VERSION)"'; \
	  [ "$$(cat $@ 2>/dev/null)" = "$$v" ] || echo "$$v" > $@
$(BUILD)/tools/version.o: $(BUILD)/saddle_version.h
$(BUILD)/tools/version.o: CFLAGS += -I$(BUILD)
FORCE:

# Generated from each command's --help by the binary itself, so they cannot
# drift from it.
MAN_DIR = $(BUILD)/man
$(MAN_DIR)/.stamp: $(SADDLE) tools/man/mkman.sh
	bash tools/man/mkman.sh $(SADDLE) $(MAN_DIR) $(SADDLE_VERSION)
	@touch $@
man: $(MAN_DIR)/.stamp
all: man

PREFIX  ?= /usr/local
DESTDIR ?=
# tools/install.sh records what it installed, and uninstall removes exactly that.
install: $(SADDLE) man
	bash tools/install.sh install "$(DESTDIR)" "$(PREFIX)" $(SADDLE) $(MAN_DIR)
uninstall:
	bash tools/install.sh uninstall "$(DESTDIR)" "$(PREFIX)"

# The committed tree (uncommitted changes are not in it) and its version.
dist:
	@git diff --quiet HEAD 2>/dev/null || echo "dist: uncommitted changes are left out of the tarball"
	@set -e; v=$$(bash tools/version.sh --clean); tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	  echo "$$v" > "$$tmp/VERSION"; \
	  git archive --format=tar --prefix=saddle-$$v/ --add-file="$$tmp/VERSION" HEAD | gzip -9n > saddle-$$v.tar.gz.tmp; \
	  mv saddle-$$v.tar.gz.tmp saddle-$$v.tar.gz; echo "saddle-$$v.tar.gz"

clean:
	rm -rf build bin

-include $(LIB_OBJ:.o=.d) $(TOOL_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(wildcard $(FUZZ_BUILD)/obj/*/*.d)
