/*
 * HTML rendering: one self-contained page (inline CSS and script, no network resources) with a
 * summary table, the merged groups ordered by severity as <details> blocks, open from the start
 * so every group's stacks (file:line) are in view without a click, each with the text report's
 * wait line (the object by name, who holds it), a growing site's growth (live units now and a
 * window ago, rate, site), creator and suppression hint; a filter by verdict
 * and reason; each deadlock cycle drawn as an inline SVG graph (units on a circle, an arrow from
 * each waiter to the holder, labelled with the object's name or address), then the lock-order
 * inversions in the text output's words. Every string from a
 * report goes through esc(): reports are input, and a hostile function name must not become
 * markup.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inversion.h"
#include "render.h"
#include "symbolize.h"

static void esc(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '&':
            fputs("&amp;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&#39;", out);
            break;
        default:
            fputc(*s, out);
        }
    }
}

static const char css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}"
    "h1{font-size:1.4em}table.sum td,table.sum th{padding:2px 10px;text-align:right}"
    "details.group{border:1px solid #ccc;border-left:6px solid #999;margin:.5em 0;padding:.3em "
    ".6em}"
    "details.sev-0{border-left-color:#8b0000}details.sev-1{border-left-color:#d9534f}"
    "details.sev-2{border-left-color:#f0ad4e}summary{cursor:pointer;font-weight:600}"
    ".verdict{text-transform:uppercase;font-size:.8em;padding:1px 5px;border-radius:3px;"
    "background:#eee}.tag{font-size:.8em;color:#555;margin-left:.5em}"
    "ol.stack{font-family:monospace;margin:.2em 0 .5em}.loc{color:#666}.inl{color:#888}"
    ".units{font-family:monospace;color:#444}#filters{margin:1em 0}"
    ".wait{font-family:monospace}.hint{color:#555}.growth{font-family:monospace;color:#8a4b00}"
    "svg text{font:11px monospace}";

static const char script[] =
    "(function(){var v=document.getElementById('f-verdict'),r=document.getElementById('f-reason'),"
    "s=document.getElementById('shown'),g=document.querySelectorAll('details.group');"
    "function apply(){var n=0;g.forEach(function(e){var ok=(!v.value||e.dataset.verdict===v.value)"
    "&&(!r.value||e.dataset.reason===r.value);e.hidden=!ok;if(ok)n++;});"
    "s.textContent=n+' of '+g.length+' groups shown';}"
    "v.addEventListener('change',apply);r.addEventListener('change',apply);apply();})();";

static void frame_items(FILE *out, const struct tlr_proc *p, const struct tlr_stack *s)
{
    char buf[256];
    fputs("<ol class=\"stack\" start=\"0\">", out);
    for (size_t i = 0; s && i < s->nframes; i++) {
        const struct tlr_frame *f = &s->frames[i];
        for (size_t k = 0; k + 1 < f->nlocs; k++) {
            fputs("<li class=\"inl\">", out);
            esc(out, f->locs[k].function ? f->locs[k].function : "??");
            fprintf(out, " <span class=\"loc\">");
            esc(out, f->locs[k].file);
            fprintf(out, ":%d</span> (inlined)</li>", f->locs[k].line);
        }
        fputs("<li>", out);
        esc(out, tlr_frame_display(p, f, buf, sizeof buf));
        const struct tlr_loc *l = f->nlocs ? &f->locs[f->nlocs - 1] : NULL;
        fputs(" <span class=\"loc\">", out);
        if (l && l->file) {
            esc(out, l->file);
            fprintf(out, ":%d", l->line);
        } else if (tlr_frame_module(p, f) || !f->function) { /* else a call frame: name only */
            const char *mod = tlr_frame_module(p, f);
            esc(out, mod ? (strrchr(mod, '/') ? strrchr(mod, '/') + 1 : mod) : "?");
            fprintf(out, "+0x%llx", (unsigned long long)f->offset);
        }
        fputs("</span></li>", out);
    }
    fputs("</ol>\n", out);
}

/* One line of the text report (tl_fmt's words), as a <div class=CLS>, when it has one. */
static void text_line(FILE *out, const char *cls, const struct tlr_mgroup *g,
                      void (*line)(FILE *, const struct tlr_mgroup *))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (mem == NULL)
        return;
    line(mem, g);
    if (fclose(mem) == 0 && len > 0) {
        buf[strcspn(buf, "\n")] = '\0';
        fprintf(out, "<div class=\"%s\">", cls);
        esc(out, buf + strspn(buf, " "));
        fputs("</div>", out);
    }
    free(buf);
}

/* A growing site's growth: its live units now and a window ago, the rise and its rate, the site id
 * (as the text report's growing line; the numbers also as data- attributes). */
static void growth_html(FILE *out, const struct tlr_group *f)
{
    if (!f->growth_site)
        return;
    char win[32];
    tlr_fmt_duration(f->growth_window_ms, win, sizeof win);
    double rate = f->growth_window_ms > 0 ? (double)(f->growth_count - f->growth_before) * 1000.0 /
                                                (double)f->growth_window_ms
                                          : 0;
    fprintf(out, "<div class=\"growth\" data-rate=\"%.3f\" data-count=\"%lld\"", rate,
            f->growth_count);
    fprintf(out, " data-count-before=\"%lld\" data-window-ms=\"%lld\">", f->growth_before,
            f->growth_window_ms);
    fprintf(out, "growing: %lld live now, %lld a window ago (+%lld in %s, %.1f/s); site <code>",
            f->growth_count, f->growth_before, f->growth_count - f->growth_before, win, rate);
    esc(out, f->growth_site);
    fputs("</code></div>", out);
}

static void group_html(FILE *out, const struct tlr_mgroup *g, const struct tlr_render_opts *o)
{
    const struct tlr_group *f = g->first;
    const char *reason = f->reason ? f->reason : "running";
    char dur[32] = "";
    tlr_fmt_duration(g->wait_max, dur, sizeof dur);
    fprintf(out, "<details class=\"group sev-%d\" open data-verdict=\"", g->severity);
    esc(out, f->verdict ? f->verdict : "");
    fputs("\" data-reason=\"", out);
    esc(out, reason);
    fprintf(out, "\"><summary>%lld %s [", g->count, tlr_kind_word(f->kind, g->count));
    esc(out, reason);
    fprintf(out, "%s%s] <span class=\"verdict\">", g->wait_max >= 0 ? ", " : "",
            g->wait_max >= 0 ? dur : "");
    esc(out, f->verdict ? f->verdict : "");
    fputs("</span>", out);
    if (g->suppressed_by) {
        fputs("<span class=\"tag\">suppressed by ", out);
        esc(out, g->suppressed_by);
        fputs("</span>", out);
    } else if (o->have_baseline) {
        fprintf(out, "<span class=\"tag\">%s</span>", g->known ? "known" : "new");
    }
    fprintf(out, "<span class=\"tag\">%zu process%s</span></summary>\n", g->nocc,
            g->nocc == 1 ? "" : "es");
    const struct tlr_unit *u = f->nunits ? tlr_proc_unit(g->proc, f->units[0]) : NULL;
    growth_html(out, f);
    text_line(out, "wait", g, tlr_wait_line);
    if (f->blocked) {
        fputs("<div>blocked in ", out);
        esc(out, u && u->has_wait && u->wait.call ? u->wait.call : "?");
        fputs(":</div>", out);
        frame_items(out, g->proc, f->blocked);
    }
    bool main = !(u && u->created_by) && tlr_unit_is_main(u) && !f->created;
    if (main) {
        fputs("<div>created by: main thread</div>", out);
    } else {
        fputs("<div>created by ", out);
        esc(out, u && u->created_by ? u->created_by : "?");
        if (u && u->start) {
            fputs(", start ", out);
            esc(out, u->start);
        }
        fputs(":</div>", out);
        frame_items(out, g->proc, f->created);
    }
    fputs("<div class=\"units\">", out);
    for (size_t i = 0; i < f->nunits && i < 20; i++) {
        esc(out, f->units[i]);
        fputc(' ', out);
    }
    if (g->count > 20)
        fprintf(out, "(+%lld more)", g->count - (long long)(f->nunits < 20 ? f->nunits : 20));
    fputs("</div>", out);
    if (f->hint) {
        fputs("<div class=\"hint\">to silence: suppressions line <code>", out);
        esc(out, f->hint);
        fputs("</code></div>", out);
    }
    fputs("</details>\n", out);
}

/* Adds s to the list of distinct strings (at most max); returns the new count. */
static size_t add_distinct(const char **v, size_t n, size_t max, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i], s))
            return n;
    if (n < max)
        v[n++] = s;
    return n;
}

static void filter_select(FILE *out, const char *id, const char *label, const char **v, size_t n)
{
    fprintf(out, "<label>%s <select id=\"%s\"><option value=\"\">all</option>", label, id);
    for (size_t i = 0; i < n; i++) {
        fputs("<option value=\"", out);
        esc(out, v[i]);
        fputs("\">", out);
        esc(out, v[i]);
        fputs("</option>", out);
    }
    fputs("</select></label> ", out);
}

static void filters(FILE *out, const struct tlr_merged *m)
{
    enum { MAX = 64 };
    const char *verdicts[MAX], *reasons[MAX];
    size_t nv = 0, nr = 0;
    for (size_t i = 0; i < m->ngroups; i++) {
        const struct tlr_group *f = m->groups[i]->first;
        nv = add_distinct(verdicts, nv, MAX, f->verdict ? f->verdict : "");
        nr = add_distinct(reasons, nr, MAX, f->reason ? f->reason : "running");
    }
    fputs("<div id=\"filters\">", out);
    filter_select(out, "f-verdict", "Verdict", verdicts, nv);
    filter_select(out, "f-reason", "Reason", reasons, nr);
    fputs("<span id=\"shown\"></span></div>\n", out);
}

static void summary_table(FILE *out, const struct tlr_merged *m, const struct tlr_render_opts *o)
{
    struct tlr_counts c;
    char fresh[32] = "-";
    tlr_count(m, o, &c);
    if (o->have_baseline)
        snprintf(fresh, sizeof fresh, "%zu", c.fresh);
    fprintf(out,
            "<table class=\"sum\" id=\"summary\"><tr><th>processes</th><th>groups</th>"
            "<th>deadlocked</th><th>leaked</th><th>blocked</th><th>unjoined</th><th>suppressed</th>"
            "<th>new</th><th>failing</th></tr><tr><td>%zu</td><td>%zu</td><td>%lld</td>"
            "<td>%lld</td><td>%lld</td><td>%lld</td><td>%zu</td><td>%s</td><td>%zu</td></tr>"
            "</table>\n",
            m->nprocs, c.groups - c.suppressed, c.deadlocked, c.leaked, c.blocked, c.unjoined,
            c.suppressed, fresh, c.failing);
}

/* One edge of a cycle: a curve from waiter to holder, bent outwards so that the two edges of
 * a two-unit cycle do not overlap, labelled with the object waited for. */
static void svg_edge(FILE *out, double x0, double y0, double x1, double y1, const char *label)
{
    double dx = x1 - x0, dy = y1 - y0, len = sqrt(dx * dx + dy * dy) + 1e-9;
    double nx = dy / len, ny = -dx / len; /* unit normal, to the left of the direction */
    double mx = (x0 + x1) / 2 + nx * 45, my = (y0 + y1) / 2 + ny * 45;
    double sx = x0 + dx * 36 / len + nx * 12, sy = y0 + dy * 36 / len + ny * 12;
    double ex = x1 - dx * 36 / len + nx * 12, ey = y1 - dy * 36 / len + ny * 12;
    fprintf(out,
            "<path d=\"M%.0f,%.0f Q%.0f,%.0f %.0f,%.0f\" fill=\"none\" stroke=\"#8b0000\" "
            "marker-end=\"url(#arr)\"/><text x=\"%.0f\" y=\"%.0f\" "
            "text-anchor=\"middle\">",
            sx, sy, mx, my, ex, ey, (sx + 2 * mx + ex) / 4 + nx * 10,
            (sy + 2 * my + ey) / 4 + ny * 10);
    esc(out, label);
    fputs("</text>\n", out);
}

/* What edge i of a cycle is labelled with: the object's name when the waiting unit's wait names
 * it ("account_a"), else its address. */
static const char *object_label(const struct tlr_proc *p, const struct tlr_deadlock *d, size_t i)
{
    const char *obj = i < d->nobjects ? d->objects[i] : NULL;
    const struct tlr_unit *u = tlr_proc_unit(p, d->units[i]);
    if (u && u->wait.object_name && u->wait.object && (!obj || !strcmp(obj, u->wait.object)))
        return u->wait.object_name;
    return obj ? obj : "";
}

static void deadlock_svg(FILE *out, const struct tlr_proc *p, const struct tlr_deadlock *d)
{
    size_t n = d->nunits;
    double rad = n > 2 ? 110 + 8.0 * (double)n : (n == 2 ? 120 : 0);
    double w = 2 * rad + 200, h = n == 2 ? 240 : 2 * rad + 120, cx = w / 2, cy = h / 2;
    fprintf(out,
            "<figure class=\"deadlock\"><figcaption>pid %lld: a cycle of %zu units; each "
            "arrow goes from a waiting unit to the holder of what it waits for</figcaption>"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
            "role=\"img\"><defs><marker id=\"arr\" viewBox=\"0 0 10 10\" refX=\"10\" "
            "refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto\"><path "
            "d=\"M0,0L10,5L0,10z\" fill=\"#8b0000\"/></marker></defs>\n",
            p->pid, n, w, h);
    for (size_t i = 0; i < n && n > 1; i++) {
        double a0 = M_PI + 2 * M_PI * (double)i / (double)n;
        double a1 = M_PI + 2 * M_PI * (double)(i + 1) / (double)n;
        svg_edge(out, cx + rad * cos(a0), cy + rad * sin(a0), cx + rad * cos(a1),
                 cy + rad * sin(a1), object_label(p, d, i));
    }
    for (size_t i = 0; i < n; i++) {
        double a = M_PI + 2 * M_PI * (double)i / (double)(n ? n : 1);
        double x = cx + rad * cos(a), y = cy + rad * sin(a);
        fprintf(out,
                "<circle cx=\"%.0f\" cy=\"%.0f\" r=\"34\" fill=\"#fde\" "
                "stroke=\"#8b0000\"/><text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">",
                x, y, x, y + 4);
        esc(out, d->units[i]);
        fputs("</text>\n", out);
    }
    fputs("</svg></figure>\n", out);
}

/* The unsuppressed lock-order inversions, as the text output words them, in one section. */
static void inversions_html(FILE *out, const struct tlr_merged *m)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = tlr_inv_count(m) > 0 ? open_memstream(&buf, &len) : NULL;
    if (mem == NULL)
        return;
    tlr_inv_text(mem, m, false);
    if (fclose(mem) == 0) {
        fputs("<section id=\"inversions\"><h2>Lock-order inversions (potential deadlocks)</h2>"
              "<pre>",
              out);
        esc(out, buf);
        fputs("</pre></section>\n", out);
    }
    free(buf);
}

int tlr_render_html(FILE *out, const struct tlr_merged *m, const struct tlr_render_opts *o)
{
    fprintf(out,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>taskleak report</title><style>%s</style></head><body>\n"
            "<h1>taskleak report</h1>\n",
            css);
    summary_table(out, m, o);
    filters(out, m);
    fputs("<section id=\"groups\">\n", out);
    for (size_t i = 0; i < m->ngroups; i++)
        group_html(out, m->groups[i], o);
    fputs("</section>\n<section id=\"deadlocks\">", out);
    bool titled = false;
    for (size_t i = 0; i < m->nprocs; i++)
        for (size_t j = 0; j < m->procs[i].ndeadlocks; j++) {
            if (!titled)
                fputs("<h2>Deadlocks</h2>\n", out);
            titled = true;
            deadlock_svg(out, &m->procs[i], &m->procs[i].deadlocks[j]);
        }
    fputs("</section>\n", out);
    inversions_html(out, m);
    fprintf(out, "<script>%s</script>\n</body></html>\n", script);
    return ferror(out) ? -1 : 0;
}
