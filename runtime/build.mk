# runtime/: gor. Every runtime/*.c and runtime/*.S is part of libgor.so and libgor.a; the
# library exports only what GOR_EXPORT marks (hidden visibility otherwise).

GOR_SRCS    := $(sort $(wildcard runtime/*.c) $(wildcard runtime/*.S))
GOR_OBJS    := $(patsubst %,$(BUILD)/obj/%.o,$(basename $(GOR_SRCS)))
GOR_SO      := $(BUILD)/lib/libgor.so
GOR_A       := $(BUILD)/lib/libgor.a
ifneq ($(GOR_SRCS),)
LIBS_BUILT  += $(GOR_SO) $(GOR_A)
INSTALL_LIBS   += $(GOR_SO)
INSTALL_STATIC += $(GOR_A)
endif
FORMAT_SRCS += $(filter %.c,$(GOR_SRCS)) $(wildcard runtime/*.h)
# Unit tests link the static library: the runtime's public API is what they test.
ifneq ($(GOR_SRCS),)
UNIT_DEPS   += $(GOR_A)
UNIT_LIBS   += $(GOR_A)
endif

$(BUILD)/obj/runtime/%.o: OBJ_CFLAGS = -Iruntime -DGOR_BUILDING=1

$(GOR_SO): $(GOR_OBJS)
	$(call say,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -shared -Wl,-soname,libgor.so -o $@ $(GOR_OBJS) $(ALL_LDFLAGS) -ldl

$(GOR_A): $(GOR_OBJS)
	$(call say,AR,$@)
	$(Q)mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $(GOR_OBJS)

# gor_introspect.h is public too (tools such as the detector build against it); the top-level
# install rule copies gor.h, this hook adds it.
INSTALL_HOOKS += install-gor-introspect
.PHONY: install-gor-introspect
install-gor-introspect:
	install -d $(DESTDIR)$(INCDIR)
	install -m 0644 runtime/gor_introspect.h $(DESTDIR)$(INCDIR)/
