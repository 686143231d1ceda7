# listclean build. `make` builds the program, `make test` runs every test,
# `make demo` cleans a shipped example. Objects go to build/.

CC ?= cc
PKGS := libuv libcares libssl libcrypto libzstd libidn2 libpsl libcurl jansson
WARN := -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes -Wshadow \
        -Wpointer-arith -Wcast-qual -Wvla
ifeq ($(CI),true)
WARN += -Werror
endif
ifdef WERROR
WARN += -Werror
endif
OPT ?= -O2 -g
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CPPFLAGS += -D_GNU_SOURCE -I. -DLC_VERSION='"$(VERSION)"'
CFLAGS += -std=c11 $(OPT) $(WARN) $(PKG_CFLAGS)
LDLIBS += $(PKG_LIBS) -lcsv -lm
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer \
       -fno-sanitize-recover=undefined
VERSION := 0.1.0
PREFIX ?= /usr/local

LIB_SRC := $(sort $(wildcard engine/*.c io/*.c))
CMD_SRC := $(sort $(wildcard cmd/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
SIM_SRC := $(sort $(wildcard bench/simworld/*.c))
HDRS := $(wildcard engine/*.h io/*.h cmd/*.h bench/simworld/*.h tests/unit/*.h)

# Objects of one build flavour: $(call objs,DIR,SOURCES)
objs = $(patsubst %.c,$(1)/%.o,$(2))

DATA_FILES := $(sort $(wildcard data/*.txt data/*.csv))
LIB_OBJ := $(call objs,build,$(LIB_SRC)) build/gen/data.o
CMD_OBJ := $(call objs,build,$(CMD_SRC))
SIM_OBJ := $(call objs,build,$(SIM_SRC))
UNIT_BIN := $(patsubst tests/unit/%.c,build/tests/%,$(UNIT_SRC))
ASAN_LIB_OBJ := $(call objs,build/asan,$(LIB_SRC)) build/asan/gen/data.o
ASAN_CMD_OBJ := $(call objs,build/asan,$(CMD_SRC))
ASAN_UNIT_BIN := $(patsubst tests/unit/%.c,build/asan/tests/%,$(UNIT_SRC))

.PHONY: all deps test demo check format asan units clean install bench fuzz \
  fuzz-build

all: build/listclean build/simworld

build/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

build/asan/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) -c -o $@ $<

build/gen/data.c: $(DATA_FILES) scripts/embed.sh
	@mkdir -p $(dir $@)
	sh scripts/embed.sh $(DATA_FILES) > $@.$$$$.tmp && mv $@.$$$$.tmp $@

build/gen/data.o: build/gen/data.c engine/data.h
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

build/asan/gen/data.o: build/gen/data.c engine/data.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) -c -o $@ $<

build/listclean: $(CMD_OBJ) $(LIB_OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

build/asan/listclean: $(ASAN_CMD_OBJ) $(ASAN_LIB_OBJ)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(LDLIBS)

build/simworld: $(SIM_OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

build/tests/%: build/tests/unit/%.o $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

build/asan/tests/%: build/asan/tests/unit/%.o $(ASAN_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(LDLIBS) -lcmocka

asan: build/asan/listclean $(ASAN_UNIT_BIN)

units: $(UNIT_BIN)

deps:
	@sh scripts/deps.sh

# Every test: style check, unit tests and end-to-end tests, on the normal
# and the sanitizer build. The last line is "N passed, N failed".
test: deps
	@$(MAKE) --no-print-directory all units asan
	@sh tests/run.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/demo.sh

check:
	@clang-format --dry-run -Werror $(sort $(wildcard cmd/*.[ch] \
	  engine/*.[ch] io/*.[ch] tests/unit/*.[ch] bench/simworld/*.[ch]))

format:
	clang-format -i $(wildcard cmd/*.[ch] engine/*.[ch] io/*.[ch] \
	  tests/unit/*.[ch] bench/simworld/*.[ch])

# Benchmarks against simulated mail worlds on loopback (bench/run.sh):
# one line per figure. BENCH_* variables set sizes, latency and scenarios.
bench: all
	@bash bench/run.sh

install: build/listclean
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 build/listclean $(DESTDIR)$(PREFIX)/bin/listclean
	install -m 644 docs/listclean.1 $(DESTDIR)$(PREFIX)/share/man/man1/

clean:
	rm -rf build

# Fuzz targets: tests/fuzz/fuzz_NAME.c becomes build/fuzz/fuzz_NAME, a
# libFuzzer program linked with every engine/ and io/ source compiled with
# the fuzzer and sanitizer flags into build/fuzz/obj. `make fuzz
# FUZZ_SECONDS=N` builds them and runs each for N seconds on its corpus
# (scripts/fuzz.sh).
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))
FUZZ_LIB_OBJ := $(call objs,build/fuzz/obj,$(LIB_SRC)) \
                build/fuzz/obj/gen/data.o

build/fuzz/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(CFLAGS) -O1 $(FUZZ_SAN) \
	  -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/obj/gen/data.o: build/gen/data.c engine/data.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(CFLAGS) -O1 $(FUZZ_SAN) \
	  -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/fuzz_%: build/fuzz/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

# The same targets with clang's source-based coverage instead of the
# sanitizers, for `sh scripts/fuzz.sh --coverage`.
FUZZ_COV := -fprofile-instr-generate -fcoverage-mapping
FUZZ_COV_LIB_OBJ := $(call objs,build/fuzz/cov/obj,$(LIB_SRC)) \
                    build/fuzz/cov/obj/gen/data.o

build/fuzz/cov/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(CFLAGS) -O1 $(FUZZ_COV) \
	  -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/cov/obj/gen/data.o: build/gen/data.c engine/data.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(CFLAGS) -O1 $(FUZZ_COV) \
	  -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/cov/fuzz_%: build/fuzz/cov/obj/tests/fuzz/fuzz_%.o \
                       $(FUZZ_COV_LIB_OBJ)
	$(FUZZ_CC) $(CFLAGS) $(FUZZ_COV) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

# Keep the objects between runs: make would delete them as intermediates.
.SECONDARY: $(FUZZ_LIB_OBJ) $(FUZZ_COV_LIB_OBJ) \
  $(patsubst tests/fuzz/%.c,build/fuzz/obj/tests/fuzz/%.o,$(FUZZ_SRC)) \
  $(patsubst tests/fuzz/%.c,build/fuzz/cov/obj/tests/fuzz/%.o,$(FUZZ_SRC))

fuzz-build: $(FUZZ_BIN)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@sh scripts/fuzz.sh $(FUZZ_SECONDS)
