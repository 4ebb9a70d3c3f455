/*
 * Loads a gor plugin with RTLD_LOCAL and runs it (reliability case 1; see
 * tests/reliability/lib/rel_gor_plugin.c). Usage: rel_gorplug <path to librelgorplugin.so>.
 * Prints "plugin sum N" (28 with the plugin's 8 workers), or a reason and status 1.
 */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: rel_gorplug PLUGIN\n");
        return 1;
    }
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    int (*run)(void) = h != NULL ? (int (*)(void))dlsym(h, "gor_plugin_run") : NULL;
    if (run == NULL) {
        fprintf(stderr, "rel_gorplug: %s\n", dlerror());
        return 1;
    }
    printf("plugin sum %d\n", run());
    return 0;
}
