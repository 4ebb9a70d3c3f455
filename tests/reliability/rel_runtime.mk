# tests/reliability/rel_runtime.mk: the gor runtime built in other modes (hostile case 52 (docs/hostile-hosts.md)).
#
# Each variant is a libgor.so (soname libgor.so) built from the same runtime sources into
# $(RELRT_DIR)/<variant>/; the suite check_rel_runtime.c runs programs linked against libgor
# WITHOUT a run path, pointing LD_LIBRARY_PATH at one variant's directory:
#   ref           the project's own libgor.so (copied): the reference reports
#   bsym          gcc, linked -Bsymbolic (DT_SYMBOLIC / DF_SYMBOLIC)
#   clang         clang's defaults (calls inside a unit bind locally)
#   nosi          gcc -fno-semantic-interposition
#   calls_plt     the runtime plus relrt_calls.c, a file that calls wrapped entry points from
#                 inside the library through their public names (the PLT: wrappers see them)
#   calls_bsym    the same, linked -Bsymbolic (the calls bind inside the library)
#   calls_hidden  the same, calling the hidden gor_i_* implementations (hidden aliases)
# The programs are a few gor leak scenarios and relrt_prog.c (which calls relrt_calls.c).

RELRT_DIR      := $(BUILD)/tests/reliability/relrt
RELRT_SRCS      = $(GOR_SRCS) $(wildcard runtime/*.h)
RELRT_C         = $(filter-out %.h,$(RELRT_SRCS))
# Test builds of someone else's code: its warnings are the runtime build's business (-w).
RELRT_CFLAGS   := -std=gnu11 -O2 -g -fno-omit-frame-pointer -fPIC -fvisibility=hidden -pthread \
                  -D_GNU_SOURCE -Iruntime -DGOR_BUILDING=1 $(GOR_SWITCH_FLAGS) -w
RELRT_LDFLAGS  := -shared -Wl,-soname,libgor.so -pthread -ldl
RELRT_CLANG    := $(shell command -v clang 2>/dev/null)
RELRT_SCENS    := gor_leak_range_unclosed gor_leak_three_deep gor_leak_ctx_not_passed \
                  gor_timed_select gor_leak_wg_error_path
RELRT_VARIANTS := ref bsym nosi calls_plt calls_bsym calls_hidden $(if $(RELRT_CLANG),clang)
RELRT_BINS     := $(addprefix $(RELRT_DIR)/bin/,$(RELRT_SCENS) relrt_prog) \
                  $(foreach v,$(RELRT_VARIANTS),$(RELRT_DIR)/$(v)/libgor.so)
CHECK_DEPS     += $(RELRT_BINS)

$(RELRT_DIR)/ref/libgor.so: $(GOR_SO)
	$(call say,CP,$@)
	$(Q)mkdir -p $(@D)
	$(Q)cp $< $@

$(RELRT_DIR)/bsym/libgor.so: $(RELRT_SRCS)
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(RELRT_CFLAGS) -o $@ $(RELRT_C) $(RELRT_LDFLAGS) -Wl,-Bsymbolic

$(RELRT_DIR)/nosi/libgor.so: $(RELRT_SRCS)
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(RELRT_CFLAGS) -fno-semantic-interposition -o $@ $(RELRT_C) $(RELRT_LDFLAGS)

$(RELRT_DIR)/clang/libgor.so: $(RELRT_SRCS)
	$(call say,CLANG,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(RELRT_CLANG) $(RELRT_CFLAGS) -o $@ $(RELRT_C) $(RELRT_LDFLAGS)

$(RELRT_DIR)/calls_plt/libgor.so: $(RELRT_SRCS) tests/reliability/relrt_calls.c
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(RELRT_CFLAGS) -o $@ $(RELRT_C) tests/reliability/relrt_calls.c $(RELRT_LDFLAGS)

$(RELRT_DIR)/calls_bsym/libgor.so: $(RELRT_SRCS) tests/reliability/relrt_calls.c
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(RELRT_CFLAGS) -o $@ $(RELRT_C) tests/reliability/relrt_calls.c $(RELRT_LDFLAGS) \
	    -Wl,-Bsymbolic

$(RELRT_DIR)/calls_hidden/libgor.so: $(RELRT_SRCS) tests/reliability/relrt_calls.c
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(RELRT_CFLAGS) -DRELRT_HIDDEN=1 -o $@ $(RELRT_C) tests/reliability/relrt_calls.c \
	    $(RELRT_LDFLAGS)

# Programs: linked against the calls_plt build (a superset of every variant's exports), with no
# run path, so that LD_LIBRARY_PATH chooses the variant.
$(RELRT_DIR)/bin/gor_%: tests/scenarios/gor_%.c $(RELRT_DIR)/calls_plt/libgor.so
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -Iruntime -o $@ $< -L$(RELRT_DIR)/calls_plt -lgor $(ALL_LDFLAGS)

$(RELRT_DIR)/bin/relrt_prog: tests/reliability/relrt_prog.c $(RELRT_DIR)/calls_plt/libgor.so
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -Iruntime -o $@ $< -L$(RELRT_DIR)/calls_plt -lgor $(ALL_LDFLAGS)

# Small objects for tl_bypass's unit tests (tests/preload/check_tl_bypass.c).
RELST_LIBS := $(addprefix $(RELRT_DIR)/,libst_plain.so libst_bsym.so libst_nosi.so libst_hidden.so)
CHECK_DEPS += $(RELST_LIBS)
RELST_CFLAGS := -O2 -fPIC -shared -w

$(RELRT_DIR)/libst_plain.so: tests/reliability/relrt_st_lib.c
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(RELST_CFLAGS) -o $@ $<

$(RELRT_DIR)/libst_bsym.so: tests/reliability/relrt_st_lib.c
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(RELST_CFLAGS) -Wl,-Bsymbolic -o $@ $<

$(RELRT_DIR)/libst_nosi.so: tests/reliability/relrt_st_lib.c
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(RELST_CFLAGS) -fno-semantic-interposition -o $@ $<

$(RELRT_DIR)/libst_hidden.so: tests/reliability/relrt_st_lib.c
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(RELST_CFLAGS) -DRELST_HIDDEN=1 -o $@ $<
