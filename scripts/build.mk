# scripts/: the taskleak command (a shell script, installed by the Makefile's install rule) and
# taskleak-supervise, the small C program `taskleak run` execs to run and supervise the program
# (signal forwarding needs sigwaitinfo and siginfo, which a shell cannot give). Installed under
# libexec/taskleak/ (the same layout under build/); the script finds it in the build directory when run from a checkout.

SUP_BIN := $(BUILD)/libexec/taskleak/taskleak-supervise
LIBS_BUILT += $(SUP_BIN)
FORMAT_SRCS += scripts/supervise.c

$(SUP_BIN): $(BUILD)/obj/scripts/supervise.o
	$(call say,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -o $@ $< $(ALL_LDFLAGS)
