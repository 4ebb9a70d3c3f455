/* A program whose DT_NEEDED library starts a thread in its constructor (lib/thr_ctor_lib.c).
 * Expected: 1 leaked thread, start ctor_worker, reason "cond wait", start_at_load in the creation
 * stack. Any argument: the library's stop function is called first (the correct twin). */
#include <stdio.h>

void ctor_lib_stop(void);

int main(int argc, char **argv)
{
    if (argc > 1)
        ctor_lib_stop();
    printf("main done\n");
    return 0;
}
