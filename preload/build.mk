# preload/: the detector, libtaskleak.so. Files named preload/ipose_*.c hold interposers (and the
# constructor); every other preload/*.c is an engine module that the unit-test runner links too.
# Exports are chosen by visibility and checked against preload/exports.txt. The version script
# preload/exports.map only declares glibc's two condition-variable versions (see the file: every
# other wrapper must stay unversioned, or the dynamic linker would bypass it for versioned callers).

TL_SRCS     := $(sort $(wildcard preload/*.c))
TL_ASM      := $(sort $(wildcard preload/*.S)) # interposer stubs that must be exact (ipose_*.S)
TL_OBJS     := $(patsubst %.c,$(BUILD)/obj/%.o,$(TL_SRCS)) $(patsubst %.S,$(BUILD)/obj/%.o,$(TL_ASM))
TL_ENGINE   := $(filter-out $(BUILD)/obj/preload/ipose_%,$(TL_OBJS))
TL_SO       := $(BUILD)/lib/libtaskleak.so
TL_DEPS_PC  := libunwind libdw
ifneq ($(TL_SRCS),)
LIBS_BUILT  += $(TL_SO)
INSTALL_LIBS += $(TL_SO)
endif
UNIT_OBJS   += $(TL_ENGINE)
UNIT_LIBS   += $(call pc_libs,$(TL_DEPS_PC)) -lelf
FORMAT_SRCS += $(TL_SRCS) $(wildcard preload/*.h)

$(BUILD)/obj/preload/%.o: OBJ_CFLAGS = -Ipreload $(call pc_cflags,$(TL_DEPS_PC)) -ftls-model=initial-exec
# Interposer frames may be unwound by thread cancellation (a longjmp through the wrapper of
# pthread_cond_wait, read, ...): under ASan their stack redzones would stay poisoned and trip false
# reports later, so interposers are never address-instrumented (UBSan stays on).
$(BUILD)/obj/preload/ipose_%.o: OBJ_CFLAGS = -Ipreload $(call pc_cflags,$(TL_DEPS_PC)) \
                                          -ftls-model=initial-exec -fno-sanitize=address

$(TL_SO): $(TL_OBJS) preload/exports.map
	$(call say,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -shared -Wl,-soname,libtaskleak.so -Wl,--version-script=preload/exports.map -Wl,-z,defs \
	    -Wl,-z,nodelete -o $@ $(TL_OBJS) $(ALL_LDFLAGS) $(call pc_libs,$(TL_DEPS_PC)) -lelf -ldl
