# The report loader's fuzzer (libFuzzer, clang) and its corpus replay in `make check`.
#
#   make fuzz-report [FUZZ_SECONDS=60]   fuzz tlr_load_buffer; new inputs land in
#                                        $(BUILD)/fuzz/report-corpus, seeds in tests/fuzz/report_corpus
#   make check                           replays tests/fuzz/report_corpus and the report fixtures
#                                        through the loader with the ordinary compiler

FUZZ_SECONDS ?= 60
TLR_FUZZ_SRCS := tests/fuzz/report_fuzz.c report/load.c report/load_bulk.c report/load_units.c \
                 report/jscan.c report/model.c report/load_inversions.c common/tl_input.c \
                 common/tl_vec.c
TLR_FUZZ_BIN  := $(BUILD)/fuzz/report_fuzz
TLR_REPLAY    := $(BUILD)/tests/fuzz/report_replay

FUZZ_TARGETS  += fuzz-report
CHECK_DEPS    += $(TLR_REPLAY)
CHECK_SCRIPTS += $(TLR_REPLAY)
FORMAT_SRCS   += tests/fuzz/report_fuzz.c tests/fuzz/report_replay.c

.PHONY: fuzz-report
$(TLR_FUZZ_BIN): $(TLR_FUZZ_SRCS) $(wildcard report/*.h)
	$(call say,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)clang -g -O1 -D_GNU_SOURCE -std=gnu11 -fsanitize=fuzzer,address,undefined -Ireport $(COMMON_INC) \
	    $(call pc_cflags,jansson) -o $@ $(TLR_FUZZ_SRCS) $(call pc_libs,jansson)

fuzz-report: $(TLR_FUZZ_BIN)
	$(Q)mkdir -p $(BUILD)/fuzz/report-corpus
	$(Q)$(TLR_FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
	    -rss_limit_mb=2048 $(BUILD)/fuzz/report-corpus tests/fuzz/report_corpus

$(TLR_REPLAY): tests/fuzz/report_replay.c tests/fuzz/report_fuzz.c $(BUILD)/obj/report/load.o \
               $(BUILD)/obj/report/load_bulk.o $(BUILD)/obj/report/load_units.o \
               $(BUILD)/obj/report/jscan.o $(BUILD)/obj/report/model.o \
               $(BUILD)/obj/report/load_inversions.o $(BUILD)/obj/common/tl_input.o \
               $(BUILD)/obj/common/tl_vec.o
	$(call say,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -Ireport $(COMMON_INC) $(call pc_cflags,jansson) \
	    -DREPLAY_DIRS='"$(abspath tests/fuzz/report_corpus)", "$(abspath tests/report/fixtures)", "$(abspath tests/report/fixtures/bad)"' \
	    -o $@ tests/fuzz/report_replay.c tests/fuzz/report_fuzz.c $(filter %.o,$^) \
	    $(ALL_LDFLAGS) $(call pc_libs,jansson)
