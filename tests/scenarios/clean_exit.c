/* The smallest correct threaded program: one thread created and joined. Reports nothing. */
#include <pthread.h>
#include <stdio.h>

static void *work(void *arg)
{
    return arg;
}

int main(int argc, char **argv)
{
    pthread_t t;
    if (pthread_create(&t, NULL, work, NULL) != 0 || pthread_join(t, NULL) != 0)
        return 1;
    puts("clean");
    return argc > 1 ? 3 : 0; /* any argument: exit 3, to show the program's status passes through */
}
