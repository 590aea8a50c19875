# streamkit - see README.md.  `make demo` and `make check` install what is
# missing first (scripts/deps.sh), so a fresh Debian 12 clone needs nothing
# else.

VERSION   := 0.1.0
SOMAJOR   := 0
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
ifdef TSAN
CFLAGS    := -O1 -g -fsanitize=thread
LDFLAGS   += -fsanitize=thread
endif
CPPFLAGS  += -D_GNU_SOURCE -Ilib
ALLCFLAGS := $(WARN) $(CFLAGS) -fPIC -fvisibility=hidden -MMD -MP
LDLIBS    += -lpthread

LIBSRC  := $(wildcard lib/*.c)
LIBOBJ  := $(LIBSRC:lib/%.c=$(BUILD)/obj/lib/%.o)
PROGS   := substream spoolbuf pump tarstream
BINS    := $(PROGS:%=$(BUILD)/bin/%)
UNITSRC := $(wildcard tests/unit/test_*.c)
UNITS   := $(UNITSRC:tests/unit/%.c=$(BUILD)/tests/%)
STATIC  := $(BUILD)/lib/libstreamkit.a
SHARED  := $(BUILD)/lib/libstreamkit.so.$(VERSION)

.PHONY: all deps demo check check-unit check-cli check-man check-sanitize check-tsan \
        bench format clean
all: $(BINS) $(STATIC) $(SHARED) $(BUILD)/lib/libstreamkit.so

deps:
	@scripts/deps.sh build test

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -DSK_PROG_VERSION='"$(VERSION)"' $(ALLCFLAGS) -c -o $@ $<

$(STATIC): $(LIBOBJ)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

$(SHARED): $(LIBOBJ)
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,libstreamkit.so.$(SOMAJOR) $(LDFLAGS) -o $@ $^ $(LDLIBS) -larchive -lzstd

$(BUILD)/lib/libstreamkit.so: $(SHARED)
	ln -sf libstreamkit.so.$(VERSION) $(BUILD)/lib/libstreamkit.so.$(SOMAJOR)
	ln -sf libstreamkit.so.$(VERSION) $@

# Programs link the static library, each with only the system libraries
# it needs: substream, spoolbuf and pump never load libarchive.
LIBS_tarstream := -larchive -lzstd
$(BUILD)/bin/%: $(BUILD)/obj/cmd/%.o $(BUILD)/obj/cmd/util.o $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(LIBS_$*)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/obj/tests/unit/t.o $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -larchive -lzstd

# deps runs first, alone: the build needs what it installs.
demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh $(BUILD)/bin

# Every suite prints TAP; tests/run-suites counts it and fails on any "not ok".
check: deps
	@$(MAKE) --no-print-directory all $(UNITS)
	@tests/run-suites $(BUILD)

check-unit: $(UNITS)
	@tests/run-suites $(BUILD) unit
check-cli: $(BINS)
	@tests/run-suites $(BUILD) cli
check-man:
	@tests/run-suites $(BUILD) man

# The whole suite again on an ASan+UBSan build, in its own build tree.
check-sanitize: deps
	@$(MAKE) --no-print-directory BUILD=build/san SAN=1 all $(UNITS:$(BUILD)/%=build/san/%)
	@SK_SANITIZED=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	 tests/run-suites build/san unit cli
	@$(MAKE) --no-print-directory check-tsan

# The threaded parts (the pump, the producer, the tar stream) under
# ThreadSanitizer.
check-tsan:
	@$(MAKE) --no-print-directory BUILD=build/tsan TSAN=1 build/tsan/tests/test_pump \
	    build/tsan/tests/test_tar
	@TSAN_OPTIONS=halt_on_error=1 tests/run-suites build/tsan unit

# Every bench/*.sh side by side with its peers; the tables also go to
# bench/results.md.
bench: deps
	@scripts/deps.sh build bench
	@$(MAKE) --no-print-directory all
	@for b in $(filter-out bench/lib.sh,$(wildcard bench/*.sh)); do BIN=$(BUILD)/bin $$b || exit 1; done | tee bench/results.md

format:
	clang-format -i lib/*.c lib/*.h cmd/*.c cmd/*.h tests/unit/*.c tests/unit/*.h

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
