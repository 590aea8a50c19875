# streamkit - see README.md.  `make demo` and `make check` install what is
# missing first (scripts/deps.sh), so a fresh Debian 12 clone needs nothing
# else.

# The version is written once, in lib/streamkit.h (SK_VERSION_MAJOR, _MINOR,
# _PATCH); debian/changelog is held to it by tests/symbols-check.  SOMAJOR
# is the ABI's number, raised with every incompatible change: the soname
# libstreamkit.so.$(SOMAJOR) and the Debian package libstreamkit$(SOMAJOR).
VERSION   := $(shell sed -n 's/^.define SK_VERSION_\(MAJOR\|MINOR\|PATCH\) *\([0-9]*\)$$/\2/p' \
                 lib/streamkit.h | paste -sd. -)
SOMAJOR   := 1
BUILD     ?= build
CC        ?= cc
CFLAGS    ?= -O2 -g
WARN      := -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
             -Wmissing-prototypes -Wformat=2 -Wvla -Wwrite-strings
ifeq ($(CI),true)
WARN      += -Werror
endif
ifdef SAN
CFLAGS    := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
             -fno-sanitize-recover=all
LDFLAGS   += -fsanitize=address,undefined
endif
ifdef FUZZ
CFLAGS    := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
             -fno-sanitize-recover=all
LDFLAGS   += -fsanitize=address,undefined
endif
ifdef TSAN
CFLAGS    := -O1 -g -fsanitize=thread
LDFLAGS   += -fsanitize=thread
endif
CPPFLAGS  += -D_GNU_SOURCE -Ilib
ALLCFLAGS := $(WARN) $(CFLAGS) -fPIC -fvisibility=hidden -MMD -MP
LDLIBS    += -lpthread
# The compressors (lib/compress*.c) and the tar producer's libarchive.
COMPRESS_LIBS := -ldeflate -lz -lbz2 -llzma -llz4 -lzstd

LIBSRC  := $(wildcard lib/*.c)
LIBOBJ  := $(LIBSRC:lib/%.c=$(BUILD)/obj/lib/%.o)
PROGS   := substream spoolbuf pump tarstream
BINS    := $(PROGS:%=$(BUILD)/bin/%)
UNITSRC := $(wildcard tests/unit/test_*.c)
FUZZSRC := $(wildcard tests/fuzz/fuzz_*.c)
# Each fuzz harness also builds as a unit test that replays its seed
# corpus and its regressions (tests/fuzz/driver.c), with any compiler.
UNITS   := $(UNITSRC:tests/unit/%.c=$(BUILD)/tests/%) \
           $(FUZZSRC:tests/fuzz/fuzz_%.c=$(BUILD)/tests/test_fuzz_%)
FAULTSO := $(BUILD)/tests/faultinj.so
STATIC  := $(BUILD)/lib/libstreamkit.a
SHARED  := $(BUILD)/lib/libstreamkit.so.$(VERSION)

# Where `make install` puts things; DESTDIR stages the whole tree.
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
LIBDIR      ?= $(PREFIX)/lib
INCLUDEDIR  ?= $(PREFIX)/include
MANDIR      ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
INSTALL     ?= install

.PHONY: all deps demo check check-unit check-cli check-man check-install check-fault check-valgrind check-sanitize \
        check-tsan install uninstall deb fuzz bench soak format clean
all: $(BINS) $(STATIC) $(SHARED) $(BUILD)/lib/libstreamkit.so $(BUILD)/bench/skcompress

deps:
	@scripts/deps.sh build test

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALLCFLAGS) -c -o $@ $<

$(STATIC): $(LIBOBJ)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

$(SHARED): $(LIBOBJ)
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,libstreamkit.so.$(SOMAJOR) $(LDFLAGS) -o $@ $^ $(LDLIBS) -larchive $(COMPRESS_LIBS) -lcrypto

$(BUILD)/lib/libstreamkit.so: $(SHARED)
	ln -sf libstreamkit.so.$(VERSION) $(BUILD)/lib/libstreamkit.so.$(SOMAJOR)
	ln -sf libstreamkit.so.$(VERSION) $@

# Programs link the static library, each with only the system libraries
# it needs: substream, spoolbuf and pump never load libarchive, the
# compression libraries or libcrypto (the manifest's hasher).
LIBS_tarstream := -larchive $(COMPRESS_LIBS) -lcrypto
# pump's and tarstream's other parts, and the progress drawer they share.
PUMPOBJ := $(patsubst %.c,$(BUILD)/obj/%.o,cmd/progress.c $(wildcard cmd/pump_*.c))
$(BUILD)/bin/pump: $(PUMPOBJ)
TAROBJ := $(patsubst %.c,$(BUILD)/obj/%.o,cmd/progress.c $(wildcard cmd/tarstream_*.c))
$(BUILD)/bin/tarstream: $(TAROBJ)
$(BUILD)/bin/%: $(BUILD)/obj/cmd/%.o $(BUILD)/obj/cmd/util.o $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(LDLIBS) $(LIBS_$*)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/obj/tests/unit/t.o $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -larchive $(COMPRESS_LIBS) -lcrypto

# The compressors from stdin to stdout, for bench/compress.sh (not installed).
$(BUILD)/bench/skcompress: $(BUILD)/obj/bench/skcompress.o $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(COMPRESS_LIBS)

# The io_uring probe of issue 11 (bench/probe_readfiles.md; not installed),
# only where liburing is: `make build/bench/probe_readfiles`.  No other
# target needs it or liburing.
ifeq ($(shell pkg-config --exists liburing && echo yes),yes)
$(BUILD)/bench/probe_readfiles: $(BUILD)/obj/bench/probe_readfiles.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs liburing)
endif

$(BUILD)/obj/tests/fuzz/driver_%.o: tests/fuzz/driver.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALLCFLAGS) -DFUZZ_CORPUS='"$(CURDIR)/tests/fuzz/corpus/$*"' \
	    -DFUZZ_REGRESS='"$(CURDIR)/tests/fuzz/regress/$*"' -c -o $@ $<

$(BUILD)/tests/test_fuzz_%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(BUILD)/obj/tests/fuzz/driver_%.o \
                            $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -larchive $(COMPRESS_LIBS)

# libFuzzer builds of the harnesses (make fuzz, with clang).
$(BUILD)/fuzz_%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(STATIC)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS) -larchive $(COMPRESS_LIBS)

# The fault-injection preload library (tests/fault/faultinj.c).
$(FAULTSO): tests/fault/faultinj.c
	@mkdir -p $(@D)
	$(CC) $(WARN) -Wno-missing-prototypes -Wno-pedantic $(CFLAGS) -fPIC -shared -o $@ $< -ldl

# deps runs first, alone: the build needs what it installs.
demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh $(BUILD)/bin

# Every suite prints TAP; tests/run-suites counts it and fails on any "not ok".
check: deps
	@$(MAKE) --no-print-directory all $(UNITS) $(FAULTSO)
	@tests/run-suites $(BUILD)

check-unit: $(UNITS)
	@tests/run-suites $(BUILD) unit
check-cli: $(BINS)
	@tests/run-suites $(BUILD) cli
check-man:
	@tests/run-suites $(BUILD) man
check-install: all
	@tests/run-suites $(BUILD) install
check-fault: $(BINS) $(FAULTSO)
	@tests/run-suites $(BUILD) fault

# The CLI suite again with every program under valgrind's memcheck.
check-valgrind: deps
	@scripts/deps.sh valgrind
	@$(MAKE) --no-print-directory all
	@tests/run-suites $(BUILD) valgrind

# The whole suite again on an ASan+UBSan build, in its own build tree.
check-sanitize: deps
	@$(MAKE) --no-print-directory BUILD=build/san SAN=1 all $(UNITS:$(BUILD)/%=build/san/%)
	@SK_SANITIZED=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	 tests/run-suites build/san unit cli
	@$(MAKE) --no-print-directory check-tsan

# The threaded parts (the pump, the producer, the tar stream, the
# compressors) under ThreadSanitizer.
check-tsan:
	@$(MAKE) --no-print-directory BUILD=build/tsan TSAN=1 build/tsan/tests/test_pump build/tsan/tests/test_pump_config \
	    build/tsan/tests/test_tar build/tsan/tests/test_tar_walk build/tsan/tests/test_compress
	@SK_TSAN=1 TSAN_OPTIONS=halt_on_error=1 tests/run-suites build/tsan unit

# Each libFuzzer harness for FUZZ_SECONDS, from the seed corpus in
# tests/fuzz/corpus (new inputs go to build/fuzz/corpus, crashes to
# build/fuzz/crashes: copy one into tests/fuzz/regress/NAME to keep it).
FUZZ_SECONDS ?= 60
fuzz:
	@scripts/deps.sh build fuzz
	@$(MAKE) --no-print-directory BUILD=build/fuzz FUZZ=1 CC=clang \
	    $(FUZZSRC:tests/fuzz/fuzz_%.c=build/fuzz/fuzz_%)
	@tests/fuzz/run-fuzz build/fuzz $(FUZZ_SECONDS)

# Every bench/*.sh side by side with its peers, then bench/report.py:
# bench/results.md, a chart per program (bench/*.png) and the README's
# summary.  SIZE_MIB and BENCH_RUNS scale a run down.
bench: deps
	@scripts/deps.sh build bench
	@$(MAKE) --no-print-directory all
	@rm -f $(BUILD)/bench.tsv
	@for b in $(filter-out bench/lib.sh bench/soak.sh,$(wildcard bench/*.sh)); do \
	    BENCH_DATA=$(abspath $(BUILD))/bench.tsv BIN=$(BUILD)/bin $$b || exit 1; \
	done | tee $(BUILD)/bench.md
	@python3 bench/report.py $(BUILD)/bench.tsv $(BUILD)/bench.md bench README.md
	@echo "bench: wrote bench/results.md, bench/*.png and the README's summary"

# The programs, the library (shared, with its soname links, and static),
# the header, streamkit.pc, the man pages and each shell's completions.
install: all
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) \
	    $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
	    $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	$(INSTALL) -m 755 $(BINS) $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 644 $(SHARED) $(STATIC) $(DESTDIR)$(LIBDIR)/
	ln -sf libstreamkit.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libstreamkit.so.$(SOMAJOR)
	ln -sf libstreamkit.so.$(SOMAJOR) $(DESTDIR)$(LIBDIR)/libstreamkit.so
	$(INSTALL) -m 644 lib/streamkit.h $(DESTDIR)$(INCLUDEDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	    streamkit.pc.in >$(DESTDIR)$(PKGCONFIGDIR)/streamkit.pc
	$(INSTALL) -m 644 $(PROGS:%=man/%.1) $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 644 man/streamkit.3 $(DESTDIR)$(MANDIR)/man3/
	$(INSTALL) -m 644 $(PROGS:%=completions/bash/%) $(DESTDIR)$(BASHCOMPDIR)/
	$(INSTALL) -m 644 $(PROGS:%=completions/zsh/_%) $(DESTDIR)$(ZSHCOMPDIR)/
	$(INSTALL) -m 644 $(PROGS:%=completions/fish/%.fish) $(DESTDIR)$(FISHCOMPDIR)/
	@# A real install (no DESTDIR) refreshes the loader's cache when it can.
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" -eq 0 ] && command -v ldconfig >/dev/null; then \
	    ldconfig || true; fi

# Removes exactly the files install put there; directories stay, as they
# may be shared (bash-completion's, pkgconfig).
uninstall:
	rm -f $(PROGS:%=$(DESTDIR)$(BINDIR)/%)
	rm -f $(DESTDIR)$(LIBDIR)/libstreamkit.so.$(VERSION) \
	    $(DESTDIR)$(LIBDIR)/libstreamkit.so.$(SOMAJOR) $(DESTDIR)$(LIBDIR)/libstreamkit.so \
	    $(DESTDIR)$(LIBDIR)/libstreamkit.a
	rm -f $(DESTDIR)$(INCLUDEDIR)/streamkit.h $(DESTDIR)$(PKGCONFIGDIR)/streamkit.pc
	rm -f $(PROGS:%=$(DESTDIR)$(MANDIR)/man1/%.1) $(DESTDIR)$(MANDIR)/man3/streamkit.3
	rm -f $(PROGS:%=$(DESTDIR)$(BASHCOMPDIR)/%) $(PROGS:%=$(DESTDIR)$(ZSHCOMPDIR)/_%) \
	    $(PROGS:%=$(DESTDIR)$(FISHCOMPDIR)/%.fish)

# A Debian package, built by dpkg-buildpackage from a copy of the tree in
# $(BUILD)/deb (the .debs land there), then checked by lintian.
deb:
	@scripts/deps.sh build deb
	rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/streamkit-$(VERSION)
	tar -c --exclude=./build --exclude=./.git . | tar -x -C $(BUILD)/deb/streamkit-$(VERSION)
	cd $(BUILD)/deb/streamkit-$(VERSION) && dpkg-buildpackage -us -uc -b
	lintian --fail-on error,warning $(BUILD)/deb/*.changes
	@ls $(BUILD)/deb/*.deb

# Tens of GiB through pump, spoolbuf and substream, memory sampled over
# time (bench/soak.sh): bench/soak.md and bench/soak.png.
soak: deps
	@scripts/deps.sh build bench
	@$(MAKE) --no-print-directory all
	@BIN=$(BUILD)/bin bench/soak.sh | tee bench/soak.md

format:
	clang-format -i lib/*.c lib/*.h cmd/*.c cmd/*.h tests/unit/*.c tests/unit/*.h \
	    tests/fuzz/*.c tests/fuzz/*.h tests/fault/*.c examples/*.c

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# Keep the objects of pattern-built tests and fuzzers; the dependency
# files are made by the compiler, never by a rule (make's built-in
# "%: %.o" would otherwise try to link one).
.SECONDARY:
.SUFFIXES:
%.d: ;
