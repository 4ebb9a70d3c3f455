# attach/: taskleak-attach, `taskleak attach PID`: one look at a running process started without
# the detector (ptrace + elfutils libdwfl). Every attach/*.c except main.c is a module the unit-test
# runner links. It shares with the report tool its loader, gate and text renderer (report/*.o but
# main.o), and with the detector the wait-for cycle search (tl_wfgraph), input escaping, reason
# words and suppressions: the shared modules of common/, which the report tool links too.

TLA_SRCS    := $(sort $(wildcard attach/*.c))
TLA_OBJS    := $(patsubst %.c,$(BUILD)/obj/%.o,$(TLA_SRCS))
TLA_SHARED  := $(filter-out $(BUILD)/obj/report/main.o,$(TLR_OBJS)) $(TLR_SHARED)
TLA_BIN     := $(BUILD)/bin/taskleak-attach
ifneq ($(TLA_SRCS),)
LIBS_BUILT  += $(TLA_BIN)
INSTALL_BINS += $(TLA_BIN)
endif
UNIT_OBJS   += $(filter-out $(BUILD)/obj/attach/main.o,$(TLA_OBJS))
FORMAT_SRCS += $(TLA_SRCS) $(wildcard attach/*.h)

$(BUILD)/obj/attach/%.o: OBJ_CFLAGS = -Iattach -Ireport $(COMMON_INC) -I$(TLR_PB_DIR) $(call pc_cflags,$(TLR_DEPS_PC))

$(TLA_BIN): $(TLA_OBJS) $(TLA_SHARED)
	$(call say,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -o $@ $(TLA_OBJS) $(TLA_SHARED) $(ALL_LDFLAGS) $(call pc_libs,$(TLR_DEPS_PC)) -lelf -lm
