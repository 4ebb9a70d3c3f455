# preload/: the detector, libtaskleak.so, in layer folders (preload/README.md): base/, record/,
# analysis/, output/ and interpose/, plus the shared code in common/ (common/build.mk). Files named
# ipose_*.c hold interposers (and the constructor); every other .c is an engine module that the
# unit-test runner links too. Sources left at preload/ top level still build (the include-graph
# check in make check names them until they are filed into a layer).
# Exports are chosen by visibility and checked against preload/exports.txt. The version script
# preload/exports.map only declares glibc's two condition-variable versions (see the file: every
# other wrapper must stay unversioned, or the dynamic linker would bypass it for versioned callers).

TL_LAYERS   := base record analysis output interpose
TL_DIRS     := preload $(addprefix preload/,$(TL_LAYERS))
TL_INC      := $(addprefix -I,$(TL_DIRS)) $(COMMON_INC)
TL_SRCS     := $(sort $(wildcard $(addsuffix /*.c,$(TL_DIRS))))
TL_ASM      := $(sort $(wildcard $(addsuffix /*.S,$(TL_DIRS)))) # interposer stubs that must be exact
TL_OBJS     := $(patsubst %.c,$(BUILD)/obj/%.o,$(TL_SRCS)) $(patsubst %.S,$(BUILD)/obj/%.o,$(TL_ASM))
TL_IPOSE    := $(foreach o,$(TL_OBJS),$(if $(filter ipose_%,$(notdir $(o))),$(o)))
TL_ENGINE   := $(filter-out $(TL_IPOSE),$(TL_OBJS)) $(COMMON_OBJS)
TL_SO       := $(BUILD)/lib/libtaskleak.so
TL_DEPS_PC  := libunwind libdw
ifneq ($(TL_SRCS),)
LIBS_BUILT  += $(TL_SO)
INSTALL_LIBS += $(TL_SO)
endif
UNIT_OBJS   += $(TL_ENGINE)
UNIT_LIBS   += $(call pc_libs,$(TL_DEPS_PC)) -lelf
FORMAT_SRCS += $(TL_SRCS) $(wildcard $(addsuffix /*.h,$(TL_DIRS)))

$(BUILD)/obj/preload/%.o: OBJ_CFLAGS = $(TL_INC) $(call pc_cflags,$(TL_DEPS_PC)) -ftls-model=initial-exec
# Interposer frames may be unwound by thread cancellation (a longjmp through the wrapper of
# pthread_cond_wait, read, ...): under ASan their stack redzones would stay poisoned and trip false
# reports later, so interposers are never address-instrumented (UBSan stays on).
$(TL_IPOSE): OBJ_CFLAGS = $(TL_INC) $(call pc_cflags,$(TL_DEPS_PC)) -ftls-model=initial-exec \
                          -fno-sanitize=address

$(TL_SO): $(TL_OBJS) $(COMMON_OBJS) preload/exports.map
	$(call say,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -shared -Wl,-soname,libtaskleak.so -Wl,--version-script=preload/exports.map -Wl,-z,defs \
	    -Wl,-z,nodelete -o $@ $(TL_OBJS) $(COMMON_OBJS) $(ALL_LDFLAGS) $(call pc_libs,$(TL_DEPS_PC)) -lelf -ldl
