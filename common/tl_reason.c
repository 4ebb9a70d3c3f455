/* tl_reason: wait reasons in words (see tl_reason.h). */
#include "tl_reason.h"

#include <stddef.h>
#include <string.h>

const char *tl_reason_object_word(const char *reason)
{
    static const char *const words[][2] = {
        {"mutex lock", "mutex"},     {"rwlock read", "rwlock"},
        {"rwlock write", "rwlock"},  {"cond wait", "condition variable"},
        {"semaphore", "semaphore"},  {"barrier", "barrier"},
        {"futex", "futex"},          {"chan send", "channel"},
        {"chan receive", "channel"}, {"WaitGroup wait", "WaitGroup"},
    };
    for (size_t i = 0; reason != NULL && i < sizeof words / sizeof words[0]; i++)
        if (strcmp(reason, words[i][0]) == 0)
            return words[i][1];
    return NULL;
}
