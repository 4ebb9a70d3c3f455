# report/: taskleak-report. Every report/*.c except main.c is a module the unit-test runner links.
# Suppressions are parsed and matched by tl_supp (libc only), input files are opened and read by
# tl_input, and wait objects are put in words by tl_reason: the shared modules of common/
# (common/build.mk), which the detector builds from too, so both tools share one implementation.
# The report tool includes nothing from preload/.

TLR_SRCS    := $(sort $(wildcard report/*.c))
TLR_OBJS    := $(patsubst %.c,$(BUILD)/obj/%.o,$(TLR_SRCS))
TLR_SHARED  := $(COMMON_OBJS)
TLR_BIN     := $(BUILD)/bin/taskleak-report
TLR_DEPS_PC := jansson libdw
ifneq ($(TLR_SRCS),)
LIBS_BUILT  += $(TLR_BIN)
INSTALL_BINS += $(TLR_BIN)
endif
UNIT_OBJS   += $(filter-out $(BUILD)/obj/report/main.o,$(TLR_OBJS))
UNIT_LIBS   += $(call pc_libs,$(TLR_DEPS_PC)) -lelf
FORMAT_SRCS += $(TLR_SRCS) $(wildcard report/*.h)

$(BUILD)/obj/report/%.o: OBJ_CFLAGS = -Ireport $(COMMON_INC) $(call pc_cflags,$(TLR_DEPS_PC))

$(TLR_BIN): $(TLR_OBJS) $(TLR_SHARED)
	$(call say,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -o $@ $(TLR_OBJS) $(TLR_SHARED) $(ALL_LDFLAGS) $(call pc_libs,$(TLR_DEPS_PC)) -lelf -lm
