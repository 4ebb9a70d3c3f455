# tests/bench/attach.mk: the target bench-attach.sh stops with taskleak attach, gdb and eu-stack
# (docs/internals.md, Performance bars): 40 threads, one of which measures how long it was stopped.

ATT_BENCH := $(BUILD)/bench/att_ticker
BENCH_DEPS += $(ATT_BENCH) $(TLA_BIN)
FORMAT_SRCS += tests/bench/att_ticker.c

$(ATT_BENCH): tests/bench/att_ticker.c
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(ALL_LDFLAGS)
