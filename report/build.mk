# report/: taskleak-report. Every report/*.c except main.c is a module the unit-test runner links.

TLR_SRCS    := $(sort $(wildcard report/*.c))
TLR_OBJS    := $(patsubst %.c,$(BUILD)/obj/%.o,$(TLR_SRCS))
TLR_BIN     := $(BUILD)/bin/taskleak-report
TLR_DEPS_PC := jansson libdw
ifneq ($(TLR_SRCS),)
LIBS_BUILT  += $(TLR_BIN)
INSTALL_BINS += $(TLR_BIN)
endif
UNIT_OBJS   += $(filter-out $(BUILD)/obj/report/main.o,$(TLR_OBJS))
UNIT_LIBS   += $(call pc_libs,$(TLR_DEPS_PC)) -lelf
FORMAT_SRCS += $(TLR_SRCS) $(wildcard report/*.h)

$(BUILD)/obj/report/%.o: OBJ_CFLAGS = -Ireport $(call pc_cflags,$(TLR_DEPS_PC))

$(TLR_BIN): $(TLR_OBJS)
	$(call say,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -o $@ $(TLR_OBJS) $(ALL_LDFLAGS) $(call pc_libs,$(TLR_DEPS_PC)) -lelf -lm
