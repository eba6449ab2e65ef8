# models-api: W&B Weave's v2 Models resource as a C FastCGI program.
#
#   make          build build/models-api, build/models-admin and their man pages
#   make test     unit tests only (no root, network, database or daemons)
#   make install  binaries, man pages, systemd units, front-server snippets
#                 (PREFIX=/usr/local, DESTDIR for staging)
#   make check    install missing Debian packages, build, run every test
#   make deb      the Debian package (deploy/debian), into build/deb/
#   make run      the dev stack: PostgreSQL + models-api + lighttpd
#   make bench    the benchmark report (tests/bench)
#                 (BENCH_PIN=1: PostgreSQL on one core, the rest on the other)
#   make faults   long forms of the race and fault tests
#   make failover PostgreSQL failover under load, long form (tests/failover)
#   make fuzz     every libFuzzer harness for FUZZ_SECONDS (default 300) each
#
# BUILD and SAN=1 select the sanitizer build (build/asan) that check uses.
# CPPFLAGS, CFLAGS and LDFLAGS are honoured (dpkg-buildflags sets them in a
# package build); their defaults below harden a plain `make` the same way.

BUILD	?= build
ifeq ($(origin CC),default)
CC	 = gcc
endif
# Every library through pkg-config (Debian 12's libfcgi-dev ships fcgi.pc).
PKGS	 = fcgi json-c libpq libcrypto

# The version lives in one place, the top entry of the Debian changelog.
VERSION	:= $(shell sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' deploy/debian/changelog)

ifeq ($(SAN),1)
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all \
	   -fno-omit-frame-pointer
# ASan checks every access itself; fortified _chk variants would bypass
# some of its interceptors.
CPPFLAGS ?=
else
CPPFLAGS ?= -D_FORTIFY_SOURCE=2
endif
CFLAGS	?= -O2 -g -fstack-protector-strong -fstack-clash-protection \
	   -fcf-protection
LDFLAGS	?= -Wl,-z,relro -Wl,-z,now

# Recursively expanded, so pkg-config runs only after `make deps`.
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror $(CPPFLAGS) \
	   $(CFLAGS) $(SANFLAGS) -Ilib -MMD -MP $(shell pkg-config --cflags $(PKGS))
LDLIBS	 = $(shell pkg-config --libs $(PKGS)) -lpthread

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
DATADIR	?= $(PREFIX)/share/models-api
# Where systemd looks for units of this prefix: /usr/local/lib/systemd/system
# for a hand install; the package build passes /lib/systemd/system.
UNITDIR	?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d

LIB_OBJ	 = $(patsubst lib/%.c,$(BUILD)/obj/%.o,$(wildcard lib/*.c)) \
	   $(BUILD)/obj/migrations.o $(BUILD)/obj/openapi-doc.o
TEST_OBJ = $(patsubst tests/unit/%.c,$(BUILD)/obj/test-%.o,\
	   $(wildcard tests/unit/*.c)) $(BUILD)/obj/fake-fake_store.o
MIGRATIONS = $(sort $(wildcard sql/[0-9]*.sql))
MAN	 = $(BUILD)/models-api.8 $(BUILD)/models-admin.8
UNITS	 = models-api.socket models-api.service models-api-spawn.service \
	   models-api@.socket models-api@.service

all: $(BUILD)/models-api $(BUILD)/models-admin $(MAN)

$(BUILD)/obj/%.o: lib/%.c | $(BUILD)/obj
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Only the programs print the version: rebuilt when the changelog moves on.
$(BUILD)/obj/cgi-%.o: cgi/%.c deploy/debian/changelog | $(BUILD)/obj
	$(CC) $(ALL_CFLAGS) -DMODELS_API_VERSION='"$(VERSION)"' -c -o $@ $<

$(BUILD)/obj/test-%.o: tests/unit/%.c | $(BUILD)/obj
	$(CC) $(ALL_CFLAGS) -Itests/unit -Itests/fake -c -o $@ $<

# The fake data layer the unit tests and tests/fuzz/fuzz_app.c share.
$(BUILD)/obj/fake-%.o: tests/fake/%.c | $(BUILD)/obj
	$(CC) $(ALL_CFLAGS) -Itests/fake -c -o $@ $<

$(BUILD)/obj/dbtest-%.o: tests/db/%.c | $(BUILD)/obj
	$(CC) $(ALL_CFLAGS) -Itests/unit -c -o $@ $<

$(BUILD)/migrations.c: tools/embed-sql.sh $(MIGRATIONS) | $(BUILD)/obj
	tools/embed-sql.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/migrations.o: $(BUILD)/migrations.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The OpenAPI document that GET /openapi.json serves, as stored.
$(BUILD)/openapi-doc.c: tools/embed-file.sh lib/openapi.json lib/openapi.h | $(BUILD)/obj
	tools/embed-file.sh lib/openapi.json openapi_json openapi.h > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/openapi-doc.o: $(BUILD)/openapi-doc.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libmodels.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/models-api: $(BUILD)/obj/cgi-models-api.o $(BUILD)/libmodels.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/models-admin: $(BUILD)/obj/cgi-models-admin.o $(BUILD)/libmodels.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/unit-tests: $(TEST_OBJ) $(BUILD)/libmodels.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Man pages from scdoc sources, the version filled in.
$(BUILD)/%.8: deploy/man/%.8.scd deploy/debian/changelog | $(BUILD)/obj
	@command -v scdoc >/dev/null || \
	    { echo "scdoc is needed for the man pages (apt-get install scdoc)" >&2; exit 1; }
	sed 's/@VERSION@/$(VERSION)/g' $< | scdoc > $@.tmp && mv $@.tmp $@

# lib/db.c against a real PostgreSQL (tests/db/run.sh starts one).
$(BUILD)/db-tests: $(BUILD)/obj/dbtest-test_db.o $(BUILD)/libmodels.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj:
	mkdir -p $@

# Unit tests only: what a package build may run.
test: $(BUILD)/unit-tests
	$(BUILD)/unit-tests

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
	    $(DESTDIR)$(DATADIR)/lighttpd $(DESTDIR)$(DATADIR)/nginx \
	    $(DESTDIR)$(DATADIR)/apache2
	install -m 0755 $(BUILD)/models-api $(BUILD)/models-admin \
	    $(DESTDIR)$(SBINDIR)/
	install -m 0644 $(MAN) $(DESTDIR)$(MANDIR)/man8/
	for u in $(UNITS); do \
	    sed 's|/usr/sbin/|$(SBINDIR)/|g' deploy/systemd/$$u \
	        > $(DESTDIR)$(UNITDIR)/$$u && chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	install -m 0644 deploy/debian/models-api.sysusers \
	    $(DESTDIR)$(SYSUSERSDIR)/models-api.conf
	install -m 0644 deploy/lighttpd/50-models-api.conf \
	    $(DESTDIR)$(DATADIR)/lighttpd/
	install -m 0644 deploy/nginx/models-api.conf \
	    deploy/nginx/models-api-upstream.conf \
	    $(DESTDIR)$(DATADIR)/nginx/
	install -m 0644 deploy/apache/models-api.conf \
	    $(DESTDIR)$(DATADIR)/apache2/
	install -m 0755 deploy/front-snippets.sh $(DESTDIR)$(DATADIR)/front-snippets

deps:
	@tools/install-deps.sh

check: deps
	$(MAKE) --no-print-directory all $(BUILD)/unit-tests $(BUILD)/db-tests
	$(MAKE) --no-print-directory BUILD=build/asan SAN=1 all build/asan/unit-tests \
	    build/asan/db-tests
	@tests/check.sh

# The package: the tree copied to build/deb/src with deploy/debian as its
# debian/, built there with dpkg-buildpackage; the .deb lands in build/deb/.
deb:
	@tools/install-deps.sh --for deb
	@deploy/make-deb.sh

bench:
	@tools/install-deps.sh --for bench
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
	@tools/install-deps.sh --for check patroni etcd-server
	$(MAKE) --no-print-directory all
	@FAILOVER_FORM=long tests/failover/run.sh; rc=$$?; \
	    tests/failover/patroni.sh && exit $$rc

fuzz:
	@tools/install-deps.sh --for fuzz
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-300} tests/fuzz/run.sh

run:
	@tools/install-deps.sh --for run
	$(MAKE) --no-print-directory all
	@deploy/dev-stack.sh

clean:
	rm -rf build

.PHONY: all test install deps check deb bench faults failover fuzz run clean

-include $(wildcard $(BUILD)/obj/*.d)
