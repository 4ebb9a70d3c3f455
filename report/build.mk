# report/: taskleak-report. Every report/*.c except main.c is a module the unit-test runner links.
# Suppressions are parsed and matched by tl_supp (libc only), input files are opened and read by
# tl_input, wait objects are put in words by tl_reason and the text report's lines are written by
# tl_fmt: the shared modules of common/ (common/build.mk), which the detector builds from too, so
# both tools share one implementation. The report tool includes nothing from preload/.
# --format pprof writes the profile.proto messages protoc-c generates from report/pprof/profile.proto
# into $(BUILD)/gen (libprotobuf-c packs them, zlib gzips them).

TLR_SRCS    := $(sort $(wildcard report/*.c))
TLR_PB_DIR  := $(BUILD)/gen/report/pprof
TLR_PB_OBJ  := $(BUILD)/obj/gen/report/pprof/profile.pb-c.o
TLR_OBJS    := $(patsubst %.c,$(BUILD)/obj/%.o,$(TLR_SRCS)) $(TLR_PB_OBJ)
TLR_SHARED  := $(COMMON_OBJS)
TLR_BIN     := $(BUILD)/bin/taskleak-report
TLR_DEPS_PC := jansson libdw libprotobuf-c zlib
ifneq ($(TLR_SRCS),)
LIBS_BUILT  += $(TLR_BIN)
INSTALL_BINS += $(TLR_BIN)
endif
UNIT_OBJS   += $(filter-out $(BUILD)/obj/report/main.o,$(TLR_OBJS))
UNIT_LIBS   += $(call pc_libs,$(TLR_DEPS_PC)) -lelf
FORMAT_SRCS += $(TLR_SRCS) $(wildcard report/*.h)

$(BUILD)/obj/report/%.o: OBJ_CFLAGS = -Ireport $(COMMON_INC) -I$(TLR_PB_DIR) $(call pc_cflags,$(TLR_DEPS_PC))

$(TLR_PB_DIR)/profile.pb-c.c: report/pprof/profile.proto report/build.mk
	$(call say,PROTOC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)protoc-c --proto_path=report/pprof --c_out=$(@D) $<
$(TLR_PB_DIR)/profile.pb-c.h: $(TLR_PB_DIR)/profile.pb-c.c
$(BUILD)/obj/report/render_pprof.o $(BUILD)/obj/report/pprof_table.o: $(TLR_PB_DIR)/profile.pb-c.h

$(TLR_PB_OBJ): $(TLR_PB_DIR)/profile.pb-c.c
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(call pc_cflags,libprotobuf-c) -c $< -o $@

$(TLR_BIN): $(TLR_OBJS) $(TLR_SHARED)
	$(call say,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -o $@ $(TLR_OBJS) $(TLR_SHARED) $(ALL_LDFLAGS) $(call pc_libs,$(TLR_DEPS_PC)) -lelf -lm
