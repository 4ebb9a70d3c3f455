# tests/bench/watchdog.mk: the programs bench-watchdog.sh runs (docs/internals.md, Performance bars; issue 6):
# wd_scan links the detector's engine objects and times one watchdog scan over 1M units; wd_idle
# runs under the detector and measures the watchdog thread's CPU share with 10k idle threads;
# wd_tasks (gor) blocks 300k tasks, idles, wakes them: total CPU with and without the detector;
# wd_churn (engine objects too) creates and joins 1M threads and reports registry and stack sizes;
# wd_look (engine objects and libgor) times the watchdog's look over 1M blocked gor tasks.

WD_BENCH := $(BUILD)/bench/wd_scan $(BUILD)/bench/wd_churn $(BUILD)/bench/wd_idle \
    $(BUILD)/bench/wd_tasks $(BUILD)/bench/wd_look
BENCH_DEPS += $(WD_BENCH)
FORMAT_SRCS += $(wildcard tests/bench/wd_*.c)

$(BUILD)/bench/wd_scan $(BUILD)/bench/wd_churn: $(BUILD)/bench/wd_%: tests/bench/wd_%.c $(TL_ENGINE)
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(TL_INC) $(call pc_cflags,$(TL_DEPS_PC)) -o $@ $< $(TL_ENGINE) \
	    $(ALL_LDFLAGS) $(call pc_libs,$(TL_DEPS_PC)) -lelf -ldl

$(BUILD)/bench/wd_idle: tests/bench/wd_idle.c
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(ALL_LDFLAGS)

$(BUILD)/bench/wd_tasks: tests/bench/wd_tasks.c $(BUILD)/lib/libgor.so
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -Iruntime -o $@ $< -L$(BUILD)/lib -lgor \
	    -Wl,-rpath,$(abspath $(BUILD)/lib) $(ALL_LDFLAGS)

$(BUILD)/bench/wd_look: tests/bench/wd_look.c $(TL_ENGINE) $(BUILD)/lib/libgor.so
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(TL_INC) -Iruntime $(call pc_cflags,$(TL_DEPS_PC)) -o $@ $< \
	    $(TL_ENGINE) -L$(BUILD)/lib -lgor -Wl,-rpath,$(abspath $(BUILD)/lib) $(ALL_LDFLAGS) \
	    $(call pc_libs,$(TL_DEPS_PC)) -lelf -ldl
