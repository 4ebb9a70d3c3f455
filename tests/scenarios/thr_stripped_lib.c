/* A program whose leaked thread belongs to a stripped library (lib/strip_workers_lib.c). */
int libfoo_start_workers(void);

int main(void)
{
    return libfoo_start_workers() == 0 ? 0 : 1;
}
