/* Linked -static (reliability case 50): LD_PRELOAD cannot enter it; the supervisor refuses it. */
#include <stdio.h>

int main(void)
{
    puts("static program ran");
    return 0;
}
