/*
 * A small shared object for tl_bypass's unit tests (built four ways by rel_runtime.mk):
 * st_entry is exported and called from inside the object by st_caller; st_alone is exported and
 * never called inside. Built plainly the inside call goes through the PLT; -Bsymbolic or
 * -fno-semantic-interposition make it a direct call; RELST_HIDDEN calls a hidden alias.
 */
#define ST_API __attribute__((visibility("default")))

ST_API int st_entry(int x);
ST_API int st_caller(int x);
ST_API int st_alone(int x);

#if RELST_HIDDEN
__attribute__((noinline, visibility("hidden"))) int st_entry_impl(int x)
{
    return x * 3 + 1;
}
extern __typeof(st_entry_impl) st_entry
    __attribute__((alias("st_entry_impl"), visibility("default")));
#define ST_CALL st_entry_impl
#else
__attribute__((noinline)) int st_entry(int x)
{
    return x * 3 + 1;
}
#define ST_CALL st_entry
#endif

int st_caller(int x)
{
    return ST_CALL(x) + 1; /* not a tail call: a `call`, whatever the build */
}

int st_alone(int x)
{
    return x - 1;
}
