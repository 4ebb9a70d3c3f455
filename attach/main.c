/* taskleak-attach: the program; everything is in cli.c so the tests link the same code. */
#include "attach_cli.h"

int main(int argc, char **argv)
{
    return tla_cli_main(argc, argv);
}
