# lazykite — build, test, benchmark, install.
#
# Layout conventions (so that adding a file never needs a Makefile edit):
#   core/*.c                  -> build/libcore.a   (except core/lazykite*.c: the program and its commands)
#   sim/*/*.c                 -> build/libsim.a    (except the programs: sim/nix/nixsim*.c and the mains below)
#   tests/unit/test_*.c       -> build/tests/test_*       (cmocka, linked with both libs)
#   tests/tools/*.c           -> build/tools/*            (helper programs for tests/bench)
#   tests/fuzz/fuzz_*.c       -> build/fuzz/fuzz_*        (libFuzzer, clang)
#   tests/*/run               -> a test suite run by `make check` (sorted), after the unit tests
#                                (except tests/bench/run)
#   tests/bench/run           -> `make bench`
#   doc/NAME.N.scd            -> build/man/NAME.N (scdoc; `make man`), installed in man/manN
#   doc/completion/PROGRAM    -> bash completion, installed in share/bash-completion/completions

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/lazykite
LIBEXECDIR ?= $(PREFIX)/libexec/lazykite
MANDIR  ?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
DESTDIR ?=

CC      ?= cc
PKGS    := jansson yaml-0.1 libcrypto libcurl libmicrohttpd libpcre2-8
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# (--as-needed: a program links only the libraries it uses — nixsim, run by
# every step, does not load libcurl or libmicrohttpd)
PKG_LIBS   := -Wl,--as-needed $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

WARN    := -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE
OPT     ?= -O2 -g
CPPFLAGS_ALL := -Icore -Isim -DLAZYKITE_DATADIR='"$(DATADIR)"' -DLAZYKITE_LIBEXECDIR='"$(LIBEXECDIR)"'
CFLAGS_ALL = $(WARN) $(OPT) $(CPPFLAGS_ALL) $(PKG_CFLAGS) $(CFLAGS)
# Every sanitizer build stops at the first report (-fno-sanitize-recover).
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
# The sanitized programs (lazykite, nixsim, lazykite-sim) for tests/sanitize:
# a separate build directory, clang when installed (its UBSan also reports
# null + 0 and the like), else $(CC); `make san SAN_CC=gcc` works too.
SANB    := build-san
SAN_CC  ?= $(if $(shell command -v clang 2>/dev/null),clang,$(CC))

NIXSIM_SRC := $(sort $(wildcard sim/nix/nixsim*.c))
MAINS_SIM := $(NIXSIM_SRC) sim/harness/lazykite-sim.c sim/buildkite/buildkite-agent.c
LAZYKITE_SRC := $(sort $(wildcard core/lazykite*.c))
CORE_SRC  := $(filter-out $(LAZYKITE_SRC),$(sort $(wildcard core/*.c)))
SIM_SRC   := $(filter-out $(MAINS_SIM),$(sort $(wildcard sim/*/*.c)))
HDRS      := $(wildcard core/*.h sim/*/*.h tests/unit/*.h)
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
TOOL_SRC  := $(sort $(wildcard tests/tools/*.c))
FUZZ_SRC  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
SUITES    := $(sort $(filter-out tests/bench/run,$(wildcard tests/*/run)))
MAN_SRC   := $(sort $(wildcard doc/*.scd))
COMPLETIONS := $(sort $(wildcard doc/completion/*))

B := build
# An archive, possibly empty (ar refuses to create one with no members).
archive = $(if $(2),ar rcs $(1) $(2),printf '!<arch>\n' > $(1))
CORE_OBJ := $(CORE_SRC:%.c=$(B)/obj/%.o)
SIM_OBJ  := $(SIM_SRC:%.c=$(B)/obj/%.o)
CORE_SAN := $(CORE_SRC:%.c=$(B)/san/%.o)
SIM_SAN  := $(SIM_SRC:%.c=$(B)/san/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
UNIT_SANBIN := $(UNIT_SRC:tests/unit/%.c=$(B)/san/tests/%)
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(B)/tools/%)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%)
MAN_OUT  := $(MAN_SRC:doc/%.scd=$(B)/man/%)
PROGS    := $(if $(wildcard core/lazykite.c),$(B)/lazykite) $(if $(wildcard sim/nix/nixsim.c),$(B)/nixsim) \
            $(if $(wildcard sim/harness/lazykite-sim.c),$(B)/lazykite-sim) \
            $(if $(wildcard sim/buildkite/buildkite-agent.c),$(B)/buildkite-agent)

.PHONY: all check check-built unit unit-san san suites bench bench-built run run-built install uninstall clean fuzz tools deps man FORCE
all: $(PROGS) tools

deps:
	@./ci/deps.sh

tools: $(TOOL_BIN)

# The manual pages, roff from scdoc sources (not part of `all`: scdoc is
# needed only by `make man`, `make check` and `make install`).
man: $(MAN_OUT)
$(B)/man/%: doc/%.scd
	@mkdir -p $(dir $@)
	scdoc < $< > $@.tmp$$$$ && mv -f $@.tmp$$$$ $@ || { rm -f $@.tmp$$$$; exit 1; }

# The configured directories are compiled in: a change of PREFIX (or
# DATADIR, LIBEXECDIR) rewrites this file, and so rebuilds the objects.
PATHS_STAMP := $(B)/paths.stamp
$(PATHS_STAMP): FORCE
	@mkdir -p $(B); echo '$(DATADIR) $(LIBEXECDIR)' | cmp -s - $@ 2>/dev/null || echo '$(DATADIR) $(LIBEXECDIR)' > $@
FORCE:

$(B)/obj/%.o: %.c $(HDRS) $(PATHS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(B)/san/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(SAN) -c $< -o $@

$(B)/libcore.a: $(CORE_OBJ)
	@mkdir -p $(dir $@); rm -f $@
	$(call archive,$@,$^)
$(B)/libsim.a: $(SIM_OBJ)
	@mkdir -p $(dir $@); rm -f $@
	$(call archive,$@,$^)
$(B)/san/libcore.a: $(CORE_SAN)
	@mkdir -p $(dir $@); rm -f $@
	$(call archive,$@,$^)
$(B)/san/libsim.a: $(SIM_SAN)
	@mkdir -p $(dir $@); rm -f $@
	$(call archive,$@,$^)

LIBS := $(B)/libsim.a $(B)/libcore.a
SANLIBS := $(B)/san/libsim.a $(B)/san/libcore.a

# lazykite links libsim too: `upload --dry-run` shows the chunks interpolated
# by the simulation's pipeline loader (core/README.md).
$(B)/lazykite: $(LAZYKITE_SRC) $(LIBS) $(HDRS)
	$(CC) $(CFLAGS_ALL) $(LAZYKITE_SRC) $(LIBS) $(PKG_LIBS) -o $@.tmp$$$$ && mv -f $@.tmp$$$$ $@
$(B)/nixsim: $(NIXSIM_SRC) $(LIBS) $(HDRS)
	$(CC) $(CFLAGS_ALL) $(NIXSIM_SRC) $(LIBS) $(PKG_LIBS) -o $@.tmp$$$$ && mv -f $@.tmp$$$$ $@
$(B)/lazykite-sim: sim/harness/lazykite-sim.c $(LIBS) $(HDRS)
	$(CC) $(CFLAGS_ALL) $< $(LIBS) $(PKG_LIBS) -o $@.tmp$$$$ && mv -f $@.tmp$$$$ $@
$(B)/buildkite-agent: sim/buildkite/buildkite-agent.c $(LIBS) $(HDRS)
	$(CC) $(CFLAGS_ALL) $< $(LIBS) $(PKG_LIBS) -o $@.tmp$$$$ && mv -f $@.tmp$$$$ $@

$(B)/tests/%: tests/unit/%.c $(LIBS) $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $< $(LIBS) $(PKG_LIBS) $(CMOCKA_LIBS) -o $@
$(B)/san/tests/%: tests/unit/%.c $(SANLIBS) $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(SAN) $< $(SANLIBS) $(PKG_LIBS) $(CMOCKA_LIBS) -o $@
$(B)/tools/%: tests/tools/%.c $(LIBS) $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $< $(LIBS) $(PKG_LIBS) -o $@

# libFuzzer targets: clang, ASan+UBSan; the libraries are compiled once with
# coverage instrumentation (fuzzer-no-link) and linked into every target.
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := $(WARN) -O1 -g $(CPPFLAGS_ALL) $(PKG_CFLAGS)
FUZZ_OBJ := $(CORE_SRC:%.c=$(B)/fuzzobj/%.o) $(SIM_SRC:%.c=$(B)/fuzzobj/%.o)
$(B)/fuzzobj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c $< -o $@
$(B)/fuzzobj/libfuzzlibs.a: $(FUZZ_OBJ)
	@mkdir -p $(dir $@); rm -f $@
	$(call archive,$@,$^)
$(B)/fuzz/%: tests/fuzz/%.c $(B)/fuzzobj/libfuzzlibs.a $(HDRS)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer $< $(B)/fuzzobj/libfuzzlibs.a $(PKG_LIBS) -o $@

# The unit suites, plain and under AddressSanitizer + UndefinedBehaviorSanitizer.
# (the executor's tests run the simulated buildkite-agent built beside them)
unit: $(UNIT_BIN) $(B)/buildkite-agent
	@./tests/run-unit $(UNIT_BIN)
unit-san: $(UNIT_SANBIN) $(B)/buildkite-agent
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  ./tests/run-unit $(UNIT_SANBIN)

# lazykite, nixsim and lazykite-sim under AddressSanitizer +
# UndefinedBehaviorSanitizer, in $(SANB)/ (B=$(SANB): the same rules).
san:
	@$(MAKE) --no-print-directory B=$(SANB) CC=$(SAN_CC) OPT='-O1 -g $(SAN)' \
	  $(SANB)/lazykite $(SANB)/nixsim $(SANB)/lazykite-sim $(SANB)/buildkite-agent

# Every tests/*/run script, with the built tree on hand (LAZYKITE_BUILD, and
# LAZYKITE_SANBUILD for the sanitized programs; the manual pages in
# LAZYKITE_BUILD/man).
suites: all man san $(FUZZ_BIN)
	@LAZYKITE_ROOT=$(CURDIR) LAZYKITE_BUILD=$(CURDIR)/$(B) LAZYKITE_SANBUILD=$(CURDIR)/$(SANB) \
	  ./tests/run-suites $(SUITES)

# `make check` and `make run` first install missing dependencies (ci/deps.sh is
# quiet and instant when everything is present), then continue in a fresh make
# so that pkg-config sees the installed libraries.
check: deps
	@$(MAKE) --no-print-directory check-built
check-built: all man unit unit-san suites

fuzz: $(FUZZ_BIN)
	@LAZYKITE_BUILD=$(CURDIR)/$(B) FUZZ_SECONDS=$${FUZZ_SECONDS:-300} ./tests/fuzz/run

bench: deps
	@$(MAKE) --no-print-directory bench-built
bench-built: all
	@LAZYKITE_ROOT=$(CURDIR) LAZYKITE_BUILD=$(CURDIR)/$(B) ./tests/bench/run

run: deps
	@$(MAKE) --no-print-directory run-built
run-built: all
	@LAZYKITE_ROOT=$(CURDIR) LAZYKITE_BUILD=$(CURDIR)/$(B) ./ci/run-default

# What install writes, and uninstall removes (nothing else): the programs;
# nixsim and its three tool names under LIBEXECDIR, with lazykite and the
# simulated buildkite-agent beside it (what a simulated step runs);
# manifest.nix; lazykite-sim's data and the example depot (ci/example,
# without its source-tree script) in DATADIR, laid out as in the source tree;
# the manual pages in MANDIR/manN; the bash completions in COMPLETIONDIR.
INSTALL_DATA := ci/pipeline.yml core/nix/manifest.nix sim/harness/schemacheck.py \
                sim/harness/report.schema.json sim/harness/htmlreport.js sim/harness/htmlreport.css \
                fixtures/README.md $(sort $(wildcard fixtures/*.yaml)) \
                ci/example/default.nix ci/example/.gitignore
install: all man
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR) $(DESTDIR)$(LIBEXECDIR)/bin
	install -m 755 $(B)/lazykite $(B)/lazykite-sim $(DESTDIR)$(BINDIR)/
	install -m 755 $(B)/nixsim $(B)/lazykite $(B)/buildkite-agent $(DESTDIR)$(LIBEXECDIR)/
	for n in nix-instantiate nix-store nix-build; do ln -sf ../nixsim $(DESTDIR)$(LIBEXECDIR)/bin/$$n; done
	install -m 644 core/nix/manifest.nix $(DESTDIR)$(DATADIR)/
	for f in $(INSTALL_DATA); do install -D -m 644 $$f $(DESTDIR)$(DATADIR)/$$f; done
	install -D -m 755 sim/nix/post-build-hook $(DESTDIR)$(DATADIR)/sim/nix/post-build-hook
	for m in $(MAN_OUT); do install -D -m 644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/}; done
	for c in $(COMPLETIONS); do install -D -m 644 $$c $(DESTDIR)$(COMPLETIONDIR)/$${c##*/}; done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/lazykite $(DESTDIR)$(BINDIR)/lazykite-sim
	rm -f $(DESTDIR)$(LIBEXECDIR)/nixsim $(DESTDIR)$(LIBEXECDIR)/lazykite $(DESTDIR)$(LIBEXECDIR)/buildkite-agent
	for n in nix-instantiate nix-store nix-build; do rm -f $(DESTDIR)$(LIBEXECDIR)/bin/$$n; done
	rm -f $(DESTDIR)$(DATADIR)/manifest.nix
	for f in $(INSTALL_DATA) sim/nix/post-build-hook; do rm -f $(DESTDIR)$(DATADIR)/$$f; done
	for m in $(MAN_OUT); do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/}; done
	for c in $(COMPLETIONS); do rm -f $(DESTDIR)$(COMPLETIONDIR)/$${c##*/}; done
	for d in $(DESTDIR)$(LIBEXECDIR)/bin $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DATADIR)/ci/example $(DESTDIR)$(DATADIR)/ci \
	         $(DESTDIR)$(DATADIR)/core/nix $(DESTDIR)$(DATADIR)/core $(DESTDIR)$(DATADIR)/sim/harness \
	         $(DESTDIR)$(DATADIR)/sim/nix $(DESTDIR)$(DATADIR)/sim $(DESTDIR)$(DATADIR)/fixtures $(DESTDIR)$(DATADIR); do \
	    rmdir $$d 2>/dev/null || true; done

clean:
	rm -rf $(B) $(SANB)
