/*
 * Negative control of the unwind-info check (reliability case 33): reliability.mk builds this
 * library with -fno-asynchronous-unwind-tables -fno-unwind-tables, so none of its exported
 * functions has an FDE, and `scripts/check-static.sh --unwind` must name every one of them.
 */
int rel_nocfi_triple(int x);
int rel_nocfi_next(int x);

int rel_nocfi_triple(int x)
{
    return x * 3;
}

int rel_nocfi_next(int x)
{
    return rel_nocfi_triple(x) + 1;
}
