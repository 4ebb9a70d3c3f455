# tests/bench/gor.mk: the gor side of `make bench` (bench-gor.sh builds the Go peer itself).
GOR_BENCH := $(BUILD)/bench/gor_bench
BENCH_DEPS += $(GOR_BENCH)
FORMAT_SRCS += tests/bench/gor_bench.c

$(GOR_BENCH): tests/bench/gor_bench.c $(BUILD)/lib/libgor.so
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -Iruntime -o $@ $< -L$(BUILD)/lib -lgor \
	    -Wl,-rpath,$(abspath $(BUILD)/lib) $(ALL_LDFLAGS)
