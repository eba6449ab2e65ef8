# models-api: W&B Weave's "delete model" endpoint as a C FastCGI program.
#
#   make          build build/models-api and build/models-admin
#   make check    install missing Debian packages, build, run every test
#   make run      the dev stack: PostgreSQL + models-api + lighttpd
#   make bench    the benchmark report (tests/bench)
#   make faults   long forms of the race and fault tests
#   make failover PostgreSQL failover under load, long form (tests/failover)
#   make fuzz     every libFuzzer harness for FUZZ_SECONDS (default 300) each
#
# BUILD and SAN=1 select the sanitizer build (build/asan) that check uses.

BUILD	?= build
ifeq ($(origin CC),default)
CC	 = gcc
endif
PKGS	 = json-c libpq libcrypto

ifeq ($(SAN),1)
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all \
	   -fno-omit-frame-pointer
endif

# Recursively expanded, so pkg-config runs only after `make deps`.
CFLAGS	?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror $(CFLAGS) \
	   $(SANFLAGS) -Ilib -MMD -MP $(shell pkg-config --cflags $(PKGS))
LDLIBS	 = -lfcgi $(shell pkg-config --libs $(PKGS)) -lpthread

LIB_OBJ	 = $(patsubst lib/%.c,$(BUILD)/obj/%.o,$(wildcard lib/*.c)) \
	   $(BUILD)/obj/migrations.o
TEST_OBJ = $(patsubst tests/unit/%.c,$(BUILD)/obj/test-%.o,\
	   $(wildcard tests/unit/*.c))
MIGRATIONS = $(sort $(wildcard sql/[0-9]*.sql))

all: $(BUILD)/models-api $(BUILD)/models-admin

$(BUILD)/obj/%.o: lib/%.c | $(BUILD)/obj
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/obj/cgi-%.o: cgi/%.c | $(BUILD)/obj
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/obj/test-%.o: tests/unit/%.c | $(BUILD)/obj
	$(CC) $(ALL_CFLAGS) -Itests/unit -c -o $@ $<

$(BUILD)/migrations.c: tools/embed-sql.sh $(MIGRATIONS) | $(BUILD)/obj
	tools/embed-sql.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/migrations.o: $(BUILD)/migrations.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libmodels.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/models-api: $(BUILD)/obj/cgi-models-api.o $(BUILD)/libmodels.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/models-admin: $(BUILD)/obj/cgi-models-admin.o $(BUILD)/libmodels.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/unit-tests: $(TEST_OBJ) $(BUILD)/libmodels.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj:
	mkdir -p $@

deps:
	@tools/install-deps.sh

check: deps
	$(MAKE) --no-print-directory all $(BUILD)/unit-tests
	$(MAKE) --no-print-directory BUILD=build/asan SAN=1 all build/asan/unit-tests
	@tests/check.sh

bench:
	@tools/install-deps.sh wrk valgrind
	$(MAKE) --no-print-directory all
	@tests/bench/run.sh

# The long forms of the fault and fuzz tests (make check runs short ones).
faults: deps
	$(MAKE) --no-print-directory all
	@RACE_ROUNDS=$${RACE_ROUNDS:-30} tests/e2e/race.sh

# Primary + synchronous standby under 16 clients: kill -9, stalled standby,
# asynchronous control, switchover, 25 s of load each (make check runs a
# 5 s form); then the same load across a Patroni-managed failover.
failover: deps
	@tools/install-deps.sh patroni etcd-server
	$(MAKE) --no-print-directory all
	@FAILOVER_FORM=long tests/failover/run.sh; rc=$$?; \
	    tests/failover/patroni.sh && exit $$rc

fuzz: deps
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-300} tests/fuzz/run.sh

run: deps
	$(MAKE) --no-print-directory all
	@deploy/dev-stack.sh

clean:
	rm -rf build

.PHONY: all deps check bench faults failover fuzz run clean

-include $(wildcard $(BUILD)/obj/*.d)
