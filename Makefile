# taskleak: one plain, non-recursive GNU Makefile.
#
# Each part of the tree (runtime/, common/, preload/, report/, tests/) keeps its rules in a fragment,
# <part>/build.mk, included below; fragments only append to the shared variables declared here,
# so every object lands in $(BUILD) and every dependency is known to this one make process.
#
#   make                 build everything into build/
#   make check           build and run every test (installs missing build dependencies as root)
#   make check SANITIZE=1  the same, everything built with ASan+UBSan (into build/san/)
#   make demo            run the detector on a bundled leaky program
#   make bench           the performance table of docs/internals.md (Performance bars)
#   make install         PREFIX=/usr/local DESTDIR= (LIBDIR=$(PREFIX)/lib/x86_64-linux-gnu: multiarch)
#   make deb             the Debian packages (debian/), into the parent directory
#   make format | clean | uninstall | lint | fuzz

PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR   ?= $(PREFIX)/bin
LIBDIR   ?= $(PREFIX)/lib
INCDIR   ?= $(PREFIX)/include
MANDIR   ?= $(PREFIX)/share/man
PCDIR    ?= $(LIBDIR)/pkgconfig
SANITIZE ?= 0
V        ?= 0
CC       ?= cc
PKG_CONFIG ?= pkg-config

ifeq ($(SANITIZE),1)
BUILD    ?= build/san
else
BUILD    ?= build
endif

ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-8s %s\n' $(1) $(2)
endif

WARN := -Wall -Wextra -Wshadow -Wundef -Wwrite-strings -Wstrict-prototypes -Wmissing-prototypes \
        -Wno-unused-parameter
ifeq ($(CI),true)
WARN += -Werror
endif

# Required flags come first; the user's CFLAGS are appended and cannot remove -fPIC or hidden
# visibility, because both are repeated after them.
REQ_CFLAGS := -std=gnu11 -O2 -g -fno-omit-frame-pointer -fPIC -fvisibility=hidden -pthread \
              -D_GNU_SOURCE $(WARN)
SAN_FLAGS  :=
ifeq ($(SANITIZE),1)
SAN_FLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=undefined -DTL_SANITIZE=1
endif
ALL_CFLAGS  = $(REQ_CFLAGS) $(SAN_FLAGS) $(CFLAGS) -fPIC -fvisibility=hidden -MMD -MP
ALL_LDFLAGS = -pthread $(SAN_FLAGS) $(LDFLAGS)

# Dependencies through pkg-config, evaluated lazily so that `make deps` can install them first.
pc_cflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pc_libs   = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)

# Shared lists the fragments append to.
LIBS_BUILT :=        # libraries and programs `make` builds
UNIT_OBJS  :=        # engine objects the unit-test runner links (never interposers)
UNIT_LIBS  :=        # extra link flags for the runner
UNIT_DEPS  :=        # files the runner depends on besides its objects
INSTALL_LIBS :=
INSTALL_STATIC :=
INSTALL_BINS :=
CHECK_DEPS :=        # programs and libraries the tests need built first
CHECK_SRCS :=        # Check suites: tests/<part>/check_<module>.c
BENCH_DEPS :=        # programs the benchmark script needs built
INSTALL_HOOKS :=     # extra install targets from fragments
FORMAT_SRCS :=       # sources for clang-format
CHECK_SCRIPTS :=     # extra test commands `make check` runs before the Check runner
FUZZ_TARGETS :=      # phony targets `make fuzz` runs (libFuzzer, clang)

.DEFAULT_GOAL := all

include runtime/build.mk
include common/build.mk
include preload/build.mk
include report/build.mk
include attach/build.mk
include scripts/build.mk
include tests/build.mk
# Extra fragments: tests/fuzz/*.mk, tests/bench/*.mk, ...
include $(sort $(wildcard tests/*/*.mk))

.PHONY: all deps check check-build demo bench install uninstall format clean lint fuzz deb
all: $(LIBS_BUILT)

# Everything the tests need, built without running them (after every fragment added its programs);
# then `CK_RUN_SUITE=<module> $(BUILD)/tests/check_all` runs one suite.
check-build: all $(RUNNER) $(CHECK_DEPS)

# The dependency step: probe, then install what is missing (as root) or name the apt-get line.
deps:
	$(Q)sh scripts/deps.sh

# Generic compile rule: every object under $(BUILD)/obj mirrors its source path. It also depends on
# the Makefile and on its part's build.mk, which set its flags: a flag change (say, an interposer
# taken out of ASan) rebuilds the objects it concerns in every build directory.
.SECONDEXPANSION:
OBJ_FLAG_DEPS = Makefile $$(wildcard $$(firstword $$(subst /, ,$$*))/build.mk)
$(BUILD)/obj/%.o: %.c $(OBJ_FLAG_DEPS)
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(OBJ_CFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: %.S $(OBJ_FLAG_DEPS)
	$(call say,AS,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

demo: deps all
	$(Q)sh scripts/demo.sh $(BUILD)

bench: deps all $(BENCH_DEPS)
	$(Q)sh scripts/bench.sh $(BUILD)

install: all $(INSTALL_HOOKS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCDIR) $(DESTDIR)$(PCDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man7 \
	    $(DESTDIR)$(PREFIX)/libexec/taskleak
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@BINDIR@|$(BINDIR)|g' \
	    -e 's|@LIBEXECDIR@|$(PREFIX)/libexec/taskleak|g' scripts/taskleak > $(DESTDIR)$(BINDIR)/taskleak
	chmod 0755 $(DESTDIR)$(BINDIR)/taskleak
	install -m 0644 runtime/gor.h preload/taskleak.h $(DESTDIR)$(INCDIR)/
	for f in $(INSTALL_LIBS); do install -m 0755 $$f $(DESTDIR)$(LIBDIR)/; done
	for f in $(INSTALL_STATIC); do install -m 0644 $$f $(DESTDIR)$(LIBDIR)/; done
	for f in $(INSTALL_BINS); do install -m 0755 $$f $(DESTDIR)$(BINDIR)/; done
	install -m 0755 $(SUP_BIN) $(DESTDIR)$(PREFIX)/libexec/taskleak/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@INCDIR@|$(INCDIR)|g' \
	    runtime/gor.pc.in > $(DESTDIR)$(PCDIR)/gor.pc
	install -m 0644 man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 man/*.3 $(DESTDIR)$(MANDIR)/man3/
	install -m 0644 man/*.7 $(DESTDIR)$(MANDIR)/man7/
	install -d $(DESTDIR)$(PREFIX)/share/cmake/Taskleak
	install -m 0644 cmake/TaskleakConfig.cmake $(DESTDIR)$(PREFIX)/share/cmake/Taskleak/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/taskleak $(DESTDIR)$(INCDIR)/gor.h $(DESTDIR)$(INCDIR)/taskleak.h \
	    $(DESTDIR)$(INCDIR)/gor_introspect.h
	rm -f $(foreach f,$(INSTALL_LIBS) $(INSTALL_STATIC),$(DESTDIR)$(LIBDIR)/$(notdir $(f)))
	rm -f $(DESTDIR)$(LIBDIR)/libgor.so $(DESTDIR)$(LIBDIR)/libgor.so.$(GOR_ABI)
	rm -f $(foreach f,$(INSTALL_BINS),$(DESTDIR)$(BINDIR)/$(notdir $(f)))
	rm -f $(DESTDIR)$(PREFIX)/libexec/taskleak/taskleak-supervise
	rm -f $(DESTDIR)$(PCDIR)/gor.pc
	rm -f $(DESTDIR)$(PREFIX)/share/cmake/Taskleak/TaskleakConfig.cmake
	rm -f $(foreach f,$(wildcard man/*.1),$(DESTDIR)$(MANDIR)/man1/$(notdir $(f)))
	rm -f $(foreach f,$(wildcard man/*.3),$(DESTDIR)$(MANDIR)/man3/$(notdir $(f)))
	rm -f $(foreach f,$(wildcard man/*.7),$(DESTDIR)$(MANDIR)/man7/$(notdir $(f)))

format:
	clang-format -i $(FORMAT_SRCS)

# Binary packages taskleak, libgor0, libgor-dev (and their -dbgsym) into the parent directory. The
# package build uses its own build directory (debian/build), so build/ is left alone; it runs
# `make check` unless DEB_BUILD_OPTIONS=nocheck.
deb:
	dpkg-buildpackage -b -us -uc

fuzz: $(FUZZ_TARGETS)

lint: $(TLR_PB_DIR)/profile.pb-c.h
	$(Q)sh scripts/lint.sh $(TLR_PB_DIR)

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
