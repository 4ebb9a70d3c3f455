# tests/bench/detector.mk: the programs bench-detector.sh times with the detector on and off, and
# their ThreadSanitizer builds for the side-by-side rows (docs/internals.md, Performance bars).

DET_BINS := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(wildcard tests/bench/det_*.c))
DET_TSAN := $(addsuffix _tsan,$(DET_BINS))
BENCH_DEPS += $(DET_BINS) $(DET_TSAN) $(BUILD)/bench/libfwd_floor.so
FORMAT_SRCS += $(wildcard tests/bench/det_*.c) tests/bench/fwd_floor.c

# Plain programs: the detector is added at run time with LD_PRELOAD.
$(BUILD)/bench/det_%: tests/bench/det_%.c
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -std=gnu11 -O2 -g -pthread -D_GNU_SOURCE -o $@ $< -pthread

$(BUILD)/bench/det_%_tsan: tests/bench/det_%.c
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -std=gnu11 -O2 -g -pthread -D_GNU_SOURCE -fsanitize=thread -o $@ $< -pthread

# The interposition floor: a wrapper of the mutex pair that only forwards (fwd_floor.c).
$(BUILD)/bench/libfwd_floor.so: tests/bench/fwd_floor.c
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -std=gnu11 -O2 -g -fPIC -shared -o $@ $< -ldl
