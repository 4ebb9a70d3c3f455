/* Watchdog scenario: a single-threaded program gets no watchdog thread.
 *
 * It idles past a few watchdog intervals, then prints how many threads it has and whether glibc
 * still believes it is single-threaded (its lock-free fast paths depend on that).
 */
#include <dirent.h>
#include <stdio.h>
#include <sys/single_threaded.h>
#include <unistd.h>

int main(void)
{
    usleep(300000); /* not for ordering: the idling is the case (a watchdog would be up by now) */
    int n = 0;
    DIR *d = opendir("/proc/self/task");
    for (struct dirent *e; d && (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    printf("threads %d single %d\n", n, (int)__libc_single_threaded);
    return 0;
}
