# tests/bench/proof.mk: the programs bench-proof.sh runs (leak proofs, docs/internals.md,
# Performance bars): pf_scan links the detector's engine objects and times tl_reach over a heap of
# the given size; pf_idle is a gor service idling with 100k tasks blocked on a channel, run under
# the detector with proofs on and off.

PF_BENCH := $(BUILD)/bench/pf_scan $(BUILD)/bench/pf_idle
BENCH_DEPS += $(PF_BENCH)
FORMAT_SRCS += $(wildcard tests/bench/pf_*.c)

$(BUILD)/bench/pf_scan: tests/bench/pf_scan.c $(TL_ENGINE)
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(TL_INC) $(call pc_cflags,$(TL_DEPS_PC)) -o $@ $< $(TL_ENGINE) \
	    $(ALL_LDFLAGS) $(call pc_libs,$(TL_DEPS_PC)) -lelf -ldl

$(BUILD)/bench/pf_idle: tests/bench/pf_idle.c $(BUILD)/lib/libgor.so
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -Iruntime -o $@ $< -L$(BUILD)/lib -lgor \
	    -Wl,-rpath,$(abspath $(BUILD)/lib) $(ALL_LDFLAGS)
