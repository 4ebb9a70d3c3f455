/*
 * taskleak-report's command line, as a function so tests can run it in-process:
 *
 *   taskleak-report [--format text|json|html|folded|pprof|sarif] [-o OUT] [--baseline FILE]
 *                   [--fail-on any|new|none] [--suppressions FILE] [--stack blocked|created]
 *                   [--verbose] [--no-symbolize] PATH...
 *
 * Returns the exit status: 0 nothing failing, 1 failing findings, 2 bad usage or unreadable
 * input (one line on stderr naming the file and the problem). Output goes to stdout, or with
 * -o to a temporary file in OUT's directory renamed over OUT once complete.
 */
#ifndef TLR_CLI_H
#define TLR_CLI_H

enum { TLR_EXIT_OK = 0, TLR_EXIT_FAILING = 1, TLR_EXIT_USAGE = 2 };

int tlr_cli_main(int argc, char **argv);

#endif
