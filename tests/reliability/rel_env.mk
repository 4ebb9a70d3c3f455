# tests/reliability/rel_env.mk: preloads of the environment cases of the reliability matrix
# (hostile cases 1 and 37, docs/hostile-hosts.md), used by tests/reliability/check_rel_env.c.
#   librelallocshim.so  interposes malloc/calloc/realloc/free (and dlerror, for the glibc <= 2.33
#                       simulation), takes a mutex in each and counts
#   librelclockshim.so  makes CLOCK_REALTIME (clock_gettime, gettimeofday, time) jump partway
#                       through a run, as libfaketime or an NTP step would
# The program tests/reliability/progs/rel_clock.c is built by reliability.mk's pattern rule.

REL_ENV_DIR  := $(BUILD)/tests/reliability
REL_ENV_LIBS := $(REL_ENV_DIR)/librelallocshim.so $(REL_ENV_DIR)/librelclockshim.so
CHECK_DEPS   += $(REL_ENV_LIBS)
# (reliability.mk is included after this file: its REL_DIR and REL_CFLAGS are not set yet)
REL_ENV_CFLAGS = $(ALL_CFLAGS) -O1 -g

$(REL_ENV_DIR)/librelallocshim.so: tests/reliability/lib/rel_alloc_shim.c
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(REL_ENV_CFLAGS) -fvisibility=default -shared -o $@ $< $(ALL_LDFLAGS) -ldl

$(REL_ENV_DIR)/librelclockshim.so: tests/reliability/lib/rel_clock_shim.c
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(REL_ENV_CFLAGS) -fvisibility=default -shared -o $@ $< $(ALL_LDFLAGS) -ldl

# A gor plugin loaded RTLD_LOCAL by rel_gorplug: the detector's lookups of gor's symbols miss.
REL_ENV_LIBS += $(REL_ENV_DIR)/librelgorplugin.so
CHECK_DEPS   += $(REL_ENV_DIR)/librelgorplugin.so

$(REL_ENV_DIR)/librelgorplugin.so: tests/reliability/lib/rel_gor_plugin.c $(BUILD)/lib/libgor.so
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(REL_ENV_CFLAGS) -Iruntime -fvisibility=default -shared -o $@ $< -L$(BUILD)/lib -lgor \
	    -Wl,-rpath,$(abspath $(BUILD)/lib) $(ALL_LDFLAGS)
