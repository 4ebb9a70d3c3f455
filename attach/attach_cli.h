/*
 * taskleak-attach's command line, as a function so tests can reach its parts:
 *
 *   taskleak-attach [--report DIR] [--format text|json] [--suppressions F] [--threshold MS]
 *                   [--verbose] [--hold] PID
 *
 * Returns the exit status: 76 a deadlock was found, 0 otherwise, 2 bad usage (also unreadable
 * suppressions, an unusable report directory: checked before the process is touched), 125 the
 * process cannot be examined (one line on stderr naming why).
 */
#ifndef TLA_ATTACH_CLI_H
#define TLA_ATTACH_CLI_H

int tla_cli_main(int argc, char **argv);

#endif
