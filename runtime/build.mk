# runtime/: gor. Every runtime/*.c and runtime/*.S is part of libgor.so and libgor.a; the
# library exports only what GOR_EXPORT marks (hidden visibility otherwise).

GOR_SRCS    := $(sort $(wildcard runtime/*.c) $(wildcard runtime/*.S))
# `make GOR_PORTABLE_SWITCH=1` builds the portable ucontext switch (runtime/switch.c) instead of
# switch_x86_64.S, as other architectures do automatically. Use a private build directory so
# build/ keeps the assembly switch, then run every gor suite against it:
#   make BUILD=/tmp/port GOR_PORTABLE_SWITCH=1 /tmp/port/tests/check_all
#   for s in sched chan select sync timer ctx fd death; do
#       CK_RUN_SUITE=gor_$s /tmp/port/tests/check_all; done
GOR_SWITCH_FLAGS :=
ifeq ($(GOR_PORTABLE_SWITCH),1)
GOR_SRCS    := $(filter-out %.S,$(GOR_SRCS))
GOR_SWITCH_FLAGS := -DGOR_PORTABLE_SWITCH=1
endif
GOR_OBJS    := $(patsubst %,$(BUILD)/obj/%.o,$(basename $(GOR_SRCS)))
# The shared library is versioned: the file libgor.so.$(GOR_VERSION), SONAME libgor.so.$(GOR_ABI)
# (raise GOR_ABI on any incompatible change of gor.h), and the two links programs are built
# and run against: libgor.so (the link-time name, -lgor) and libgor.so.$(GOR_ABI) (the run-time name).
GOR_ABI     := 0
GOR_VERSION := $(GOR_ABI).1.0
GOR_REAL    := $(BUILD)/lib/libgor.so.$(GOR_VERSION)
GOR_SONAME  := $(BUILD)/lib/libgor.so.$(GOR_ABI)
GOR_SO      := $(BUILD)/lib/libgor.so
GOR_A       := $(BUILD)/lib/libgor.a
ifneq ($(GOR_SRCS),)
LIBS_BUILT  += $(GOR_SO) $(GOR_A)
INSTALL_LIBS   += $(GOR_REAL)
INSTALL_STATIC += $(GOR_A)
INSTALL_HOOKS  += install-gor-links
endif
FORMAT_SRCS += $(filter %.c,$(GOR_SRCS)) $(wildcard runtime/*.h)
# Unit tests link the static library: the runtime's public API is what they test.
ifneq ($(GOR_SRCS),)
UNIT_DEPS   += $(GOR_A)
UNIT_LIBS   += $(GOR_A)
endif

$(BUILD)/obj/runtime/%.o: OBJ_CFLAGS = -Iruntime -DGOR_BUILDING=1 $(GOR_SWITCH_FLAGS)

$(GOR_REAL): $(GOR_OBJS)
	$(call say,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -shared -Wl,-soname,libgor.so.$(GOR_ABI) -o $@ $(GOR_OBJS) $(ALL_LDFLAGS) -ldl

$(GOR_SONAME): $(GOR_REAL)
	$(Q)ln -sf $(notdir $<) $@

$(GOR_SO): $(GOR_SONAME)
	$(Q)ln -sf $(notdir $<) $@

$(GOR_A): $(GOR_OBJS)
	$(call say,AR,$@)
	$(Q)mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $(GOR_OBJS)

# gor_introspect.h is public too (tools such as the detector build against it); the top-level
# install rule copies gor.h, this hook adds it.
INSTALL_HOOKS += install-gor-introspect
.PHONY: install-gor-introspect install-gor-links
install-gor-introspect:
	install -d $(DESTDIR)$(INCDIR)
	install -m 0644 runtime/gor_introspect.h $(DESTDIR)$(INCDIR)/

# The install rule copies the versioned file; the two names are links to it, as in the build tree.
install-gor-links:
	install -d $(DESTDIR)$(LIBDIR)
	ln -sf libgor.so.$(GOR_VERSION) $(DESTDIR)$(LIBDIR)/libgor.so.$(GOR_ABI)
	ln -sf libgor.so.$(GOR_ABI) $(DESTDIR)$(LIBDIR)/libgor.so
