# tests/: the Check runner every module's suite joins, the scenario harness, scenario programs.
#
# A suite is a file tests/<part>/check_<module>.c that defines `Suite *make_<module>_suite(void)`.
# The runner's list of suites is generated from the file names, so adding a suite is adding a file.
# Scenario programs tests/scenarios/<name>.c build to $(BUILD)/tests/scenarios/<name>; those named
# gor_*.c link libgor.so. Fragments may add programs with special needs to CHECK_DEPS.

CHECK_SRCS += $(sort $(wildcard tests/*/check_*.c))
TH_SRCS    := tests/harness/harness.c
TH_CFLAGS  := -DTH_BUILD_DIR='"$(abspath $(BUILD))"' -DTH_SRC_DIR='"$(abspath .)"' \
              -DTH_SANITIZE=$(SANITIZE) $(call pc_cflags,check jansson)
RUNNER     := $(BUILD)/tests/check_all
SCEN_SRCS  := $(sort $(wildcard tests/scenarios/*.c))
SCEN_BINS  := $(patsubst tests/scenarios/%.c,$(BUILD)/tests/scenarios/%,$(SCEN_SRCS))
CHECK_DEPS += $(SCEN_BINS)
FORMAT_SRCS += $(CHECK_SRCS) $(TH_SRCS) tests/harness/harness.h tests/check_main.c $(SCEN_SRCS)

$(BUILD)/tests/suites.h: $(CHECK_SRCS) tests/build.mk
	$(Q)mkdir -p $(@D)
	$(Q)for f in $(CHECK_SRCS); do n=$${f##*/check_}; echo "TH_SUITE($${n%.c})"; done > $@.tmp
	$(Q)mv $@.tmp $@

$(BUILD)/obj/tests/%.o: OBJ_CFLAGS = $(TH_CFLAGS) -Wno-missing-prototypes -Itests/harness -Iruntime $(TL_INC) -Ireport -Iattach \
                                     -I$(BUILD)/tests
$(BUILD)/obj/tests/check_main.o: $(BUILD)/tests/suites.h

RUNNER_OBJS = $(patsubst %.c,$(BUILD)/obj/%.o,tests/check_main.c $(TH_SRCS) $(CHECK_SRCS))

$(RUNNER): $(RUNNER_OBJS) $(UNIT_OBJS) $(UNIT_DEPS)
	$(call say,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(RUNNER_OBJS) $(UNIT_OBJS) $(UNIT_LIBS) \
	    $(call pc_libs,check jansson) -ldl -lm

$(BUILD)/tests/scenarios/gor_%: tests/scenarios/gor_%.c $(BUILD)/lib/libgor.so
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -Iruntime -Ipreload -o $@ $< -L$(BUILD)/lib -lgor \
	    -Wl,-rpath,$(abspath $(BUILD)/lib) $(ALL_LDFLAGS) -ldl

$(BUILD)/tests/scenarios/%: tests/scenarios/%.c
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -Ipreload -o $@ $< $(ALL_LDFLAGS) -ldl

# The runner uses Check's fork mode; CK_RUN_SUITE=<module> runs one suite, CK_VERBOSITY=verbose
# names every test.
#
# `make check` builds, then runs its jobs: the static checks, the CHECK_SCRIPTS commands (one job,
# in order), and the runner once per suite. Each job is a target of its own (check-job-<name>), so
# `make -j2 check` runs two at a time; the jobs share no file (every test makes its own temporary
# directory), each job's output is printed whole when it ends (--output-sync), -k runs them all,
# and the status fails if any failed.
CHECK_SUITES := $(patsubst check_%.c,%,$(notdir $(CHECK_SRCS)))
CHECK_JOBS   := static scripts $(CHECK_SUITES)

check: deps
	$(Q)$(MAKE) --no-print-directory check-build
	$(Q)$(MAKE) --no-print-directory -k --output-sync=target check-run || \
	    { echo "check: some checks failed (see above)" >&2; exit 1; }

.PHONY: check-run $(addprefix check-job-,$(CHECK_JOBS))
check-run: $(addprefix check-job-,$(CHECK_JOBS))

check-job-static:
	$(Q)sh scripts/check-static.sh $(BUILD) || { echo "check: FAILED: static" >&2; exit 1; }

# Recipes expand when they run, so this sees the scripts every later fragment added.
check-job-scripts:
	$(Q)rc=0; for c in $(CHECK_SCRIPTS); do $$c || { echo "check: FAILED: $$c" >&2; rc=1; }; done; \
	    exit $$rc

$(addprefix check-job-,$(CHECK_SUITES)): check-job-%:
	$(Q)CK_RUN_SUITE=$* $(RUNNER) || { echo "check: FAILED: suite $*" >&2; exit 1; }

# Programs that must be linked statically (the supervisor refuses them).
$(BUILD)/tests/scenarios/static_%: tests/scenarios/static_%.c
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -static -o $@ $<
