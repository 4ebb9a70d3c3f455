/* Leaves with _exit(0): no exit handler runs, so no exit report is written. The supervisor must
 * notice that nothing was checked instead of passing. */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    printf("leaving without exit handlers\n");
    fflush(stdout);
    _exit(0);
}
