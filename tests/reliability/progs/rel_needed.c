/* Links lib/rel_needed_lib.c as DT_NEEDED (reliability cases 12, 19); see that file. */
#include <stdio.h>

int rel_needed_runs(void);

int main(void)
{
    printf("constructor thread ran %d\n", rel_needed_runs());
    return 0;
}
