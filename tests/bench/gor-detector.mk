# tests/bench/gor-detector.mk: the programs bench-gor-detector.sh times with the detector on and
# off (gor ping-pong and gor spawn with creation stacks, docs/internals.md, Performance bars).

GD_BINS := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(wildcard tests/bench/gd_*.c))
BENCH_DEPS += $(GD_BINS)
FORMAT_SRCS += $(wildcard tests/bench/gd_*.c)

$(BUILD)/bench/gd_%: tests/bench/gd_%.c $(BUILD)/lib/libgor.so
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -Iruntime -o $@ $< -L$(BUILD)/lib -lgor \
	    -Wl,-rpath,$(abspath $(BUILD)/lib) $(ALL_LDFLAGS)
