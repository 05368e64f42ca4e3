# certmesh — GNU Makefile. `make` builds build/certmesh; `make check` installs what is
# missing, builds, lints and runs every test; `make demo` starts a node with demo data.
# `make SAN=1 ...` builds and tests under ASan+UBSan in build-san/.

PKGS     := jansson sqlite3 libmicrohttpd libcurl libsodium gnutls libpcre2-8 icu-uc zlib libzstd
CC       ?= cc
WARN     := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wvla -Wno-format-nonliteral
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c17 -D_GNU_SOURCE $(WARN) -Isrc $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm

ifeq ($(SAN),1)
BUILD    := build-san
CFLAGS   += -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
else
BUILD    := build
endif
ifeq ($(WERROR),1)
CFLAGS   += -Werror
endif

LIB_SRC  := $(filter-out src/main.c,$(wildcard src/*/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
MAIN_OBJ := $(BUILD)/obj/src/main.o
UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/obj/%.o)
BENCH_SRC:= $(wildcard bench/*.c)
BENCH_BIN:= $(BENCH_SRC:bench/%.c=$(BUILD)/%)
FIXT_SRC := $(wildcard tests/fixtures/*.c)
FIXT_BIN := $(FIXT_SRC:tests/fixtures/%.c=$(BUILD)/%)

.PHONY: all deps check unit integration lint format demo fuzz fuzz-run bench clean
all: $(BUILD)/certmesh $(BENCH_BIN) $(FIXT_BIN)

deps:
	@./scripts/install-deps

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libcertmesh.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/certmesh: $(MAIN_OBJ) $(BUILD)/libcertmesh.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/unit_tests: $(UNIT_OBJ) $(BUILD)/libcertmesh.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%: $(BUILD)/obj/bench/%.o $(BUILD)/libcertmesh.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%: $(BUILD)/obj/tests/fixtures/%.o $(BUILD)/libcertmesh.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

unit: $(BUILD)/unit_tests
	./$(BUILD)/unit_tests

integration: $(BUILD)/certmesh $(BENCH_BIN) $(FIXT_BIN)
	CERTMESH=$(abspath $(BUILD)/certmesh) GEN=$(abspath $(BUILD)/gen_stix) GEN_LOGS=$(abspath $(BUILD)/gen_logs) \
	    TAXII_PLAIN=$(abspath $(BUILD)/taxii_plain) \
	    ./tests/integration/run.sh

lint:
	./scripts/lint

format:
	clang-format -i $(wildcard src/*.c src/*/*.c src/*/*.h tests/unit/*.c tests/unit/*.h tests/fixtures/*.c fuzz/*.c bench/*.c)

check: deps
	$(MAKE) all
	$(MAKE) lint
	$(MAKE) unit
	$(MAKE) integration

demo: deps
	$(MAKE) all
	./scripts/demo

FUZZ_SRC := $(wildcard fuzz/*.c)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=build-fuzz/%)
build-fuzz/%: fuzz/%.c $(LIB_SRC)
	@mkdir -p build-fuzz
	clang -std=c17 -D_GNU_SOURCE -g -O1 -Isrc $(shell pkg-config --cflags $(PKGS)) \
	    -fsanitize=fuzzer,address,undefined -o $@ $< $(LIB_SRC) $(LDLIBS)
fuzz: $(FUZZ_BIN)
fuzz-run: fuzz
	./scripts/fuzz-run $(FUZZ_SECONDS)

bench: all
	./bench/taxii

clean:
	rm -rf build build-san build-fuzz

-include $(LIB_OBJ:.o=.d) $(MAIN_OBJ:.o=.d) $(UNIT_OBJ:.o=.d)
