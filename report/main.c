/*
 * taskleak-report: everything lives in cli.c so the unit tests can run it in-process.
 */
#include "cli.h"

int main(int argc, char **argv)
{
    return tlr_cli_main(argc, argv);
}
