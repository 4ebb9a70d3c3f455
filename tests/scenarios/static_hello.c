/* A statically linked program: LD_PRELOAD cannot enter it, and `taskleak run` must say so. */
#include <stdio.h>

int main(void)
{
    puts("hello from a static program");
    return 0;
}
