# The detector's parser fuzzers (libFuzzer, clang) and their corpus replay in `make check`.
#
#   make fuzz-options [FUZZ_SECONDS=60]  fuzz tl_options_parse (TASKLEAK_OPTIONS)
#   make fuzz-supp    [FUZZ_SECONDS=60]  fuzz tl_supp_load (suppressions file + ignore= list)
#   make check                           replays tests/fuzz/corpus/{options,supp} through the same
#                                        targets built with the ordinary compiler
# New inputs found while fuzzing land in $(BUILD)/fuzz/<target>-corpus; copy the interesting
# ones into tests/fuzz/corpus/<target>/ to keep them.

FUZZ_SECONDS ?= 60
TLF_CLANG    := clang -g -O1 -D_GNU_SOURCE -std=gnu11 -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=undefined $(TL_INC)
TLF_OPT_SRCS := tests/fuzz/options_fuzz.c preload/base/tl_options.c preload/base/tl_options_doc.c \
                preload/base/tl_options_path.c preload/base/tl_log.c common/tl_json.c common/tl_input.c \
                common/tl_vec.c
TLF_SUP_SRCS := tests/fuzz/supp_fuzz.c common/tl_supp.c preload/output/tl_supp_json.c common/tl_json.c common/tl_jrep.c \
                common/tl_input.c common/tl_vec.c
TLF_OPT_REPLAY := $(BUILD)/tests/fuzz/options_replay
TLF_SUP_REPLAY := $(BUILD)/tests/fuzz/supp_replay

FUZZ_TARGETS  += fuzz-options fuzz-supp
CHECK_DEPS    += $(TLF_OPT_REPLAY) $(TLF_SUP_REPLAY)
CHECK_SCRIPTS += $(TLF_OPT_REPLAY) $(TLF_SUP_REPLAY)
FORMAT_SRCS   += tests/fuzz/options_fuzz.c tests/fuzz/supp_fuzz.c tests/fuzz/preload_replay.c

.PHONY: fuzz-options fuzz-supp

$(BUILD)/fuzz/options_fuzz: $(TLF_OPT_SRCS) $(wildcard preload/*/tl_*.h common/tl_*.h) preload/base/tl_options.inc
	$(call say,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(TLF_CLANG) -o $@ $(TLF_OPT_SRCS)

$(BUILD)/fuzz/supp_fuzz: $(TLF_SUP_SRCS) $(wildcard preload/*/tl_*.h common/tl_*.h)
	$(call say,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(TLF_CLANG) -o $@ $(TLF_SUP_SRCS)

# fuzz_run NAME MAXLEN: run $(BUILD)/fuzz/NAME_fuzz for FUZZ_SECONDS over its corpus.
define fuzz_run
	$(Q)mkdir -p $(BUILD)/fuzz/$(1)-corpus
	$(Q)$(BUILD)/fuzz/$(1)_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=$(2) -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 $(BUILD)/fuzz/$(1)-corpus tests/fuzz/corpus/$(1)
endef

fuzz-options: $(BUILD)/fuzz/options_fuzz
	$(call fuzz_run,options,16384)

fuzz-supp: $(BUILD)/fuzz/supp_fuzz
	$(call fuzz_run,supp,16384)

$(TLF_OPT_REPLAY): tests/fuzz/preload_replay.c tests/fuzz/options_fuzz.c \
                   $(BUILD)/obj/preload/base/tl_options.o $(BUILD)/obj/preload/base/tl_options_doc.o \
                   $(BUILD)/obj/preload/base/tl_options_path.o $(BUILD)/obj/preload/base/tl_log.o \
                   $(BUILD)/obj/common/tl_json.o $(BUILD)/obj/common/tl_input.o \
                   $(BUILD)/obj/common/tl_vec.o
	$(call say,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(TL_INC) -DREPLAY_DIR='"$(abspath tests/fuzz/corpus/options)"' \
	    -o $@ tests/fuzz/preload_replay.c tests/fuzz/options_fuzz.c $(filter %.o,$^) \
	    $(ALL_LDFLAGS)

$(TLF_SUP_REPLAY): tests/fuzz/preload_replay.c tests/fuzz/supp_fuzz.c \
                   $(BUILD)/obj/common/tl_supp.o $(BUILD)/obj/preload/output/tl_supp_json.o $(BUILD)/obj/common/tl_jrep.o \
                   $(BUILD)/obj/common/tl_json.o $(BUILD)/obj/common/tl_input.o \
                   $(BUILD)/obj/common/tl_vec.o
	$(call say,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(TL_INC) -DREPLAY_DIR='"$(abspath tests/fuzz/corpus/supp)"' \
	    -o $@ tests/fuzz/preload_replay.c tests/fuzz/supp_fuzz.c $(filter %.o,$^) \
	    $(ALL_LDFLAGS)
