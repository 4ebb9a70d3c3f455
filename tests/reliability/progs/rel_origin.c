/*
 * dlopen through the detector keeps the caller's identity (reliability case 53's "catch"): this
 * program's DT_RUNPATH is $ORIGIN/origin, and it dlopens "librelorigin.so" by bare name. glibc
 * searches the CALLER's run path, which it finds from dlopen's return address: a wrapper that
 * called the real dlopen (instead of jumping to it) would make libtaskleak.so the caller, and the
 * load would fail. Prints "origin plugin returned 1" (the plugin's thread ran) and exits 0.
 */
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    void *h = dlopen("librelorigin.so", RTLD_NOW);
    if (h == NULL) {
        printf("dlopen failed: %s\n", dlerror());
        return 1;
    }
    int (*run)(void) = (int (*)(void))dlsym(h, "origin_plugin_run");
    printf("origin plugin returned %d\n", run ? run() : -1);
    return 0;
}
