/* Writing SVG elements and plot frames. Coordinates are printed with one decimal: a tenth of
 * a pixel is finer than any screen shows, and keeps the files small. */
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "svg.h"

/* The length of the valid UTF-8 sequence at s, or 0: bytes that are not UTF-8 (a task name
 * may hold any) would make the whole document unreadable. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	n = (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
	if (n == 2 && s[0] < 0xc2)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	}
	return n;
}

void svg_escape(FILE *f, const char *text)
{
	const unsigned char *p = (const unsigned char *)text;

	while (*p) {
		size_t n = utf8_len(p);

		if (*p == '&')
			fputs("&amp;", f);
		else if (*p == '<')
			fputs("&lt;", f);
		else if (*p == '>')
			fputs("&gt;", f);
		else if (*p == '"')
			fputs("&quot;", f);
		else if (*p == '\'')
			fputs("&apos;", f);
		else if (n == 0 || (*p < 0x20 && *p != '\t' && *p != '\n'))
			fputc('?', f); /* XML 1.0 allows no other control characters */
		else
			fwrite(p, 1, n, f);
		p += n ? n : 1;
	}
}

void svg_begin(struct svg *s, FILE *f, double width, double height, const char *title)
{
	s->f = f;
	s->width = width;
	s->height = height;
	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" "
		"height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"%s\">\n<title>",
		width, height, width, height, SVG_FONT);
	svg_escape(f, title);
	fputs("</title>\n", f);
	svg_rect(s, 0, 0, width, height, "#ffffff", NULL);
}

int svg_end(struct svg *s)
{
	fputs("</svg>\n", s->f);
	return ferror(s->f) ? -1 : 0;
}

void svg_text(struct svg *s, double x, double y, double size, enum svg_anchor anchor,
	      const char *color, int weight, double rotate, const char *fmt, ...)
{
	static const char *const anchors[] = {"start", "middle", "end"};
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);

	fprintf(s->f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.0f\" fill=\"%s\"", x, y, size,
		color);
	if (anchor != SVG_START)
		fprintf(s->f, " text-anchor=\"%s\"", anchors[anchor]);
	if (weight != 400)
		fprintf(s->f, " font-weight=\"%d\"", weight);
	if (rotate != 0)
		fprintf(s->f, " transform=\"rotate(%.0f %.1f %.1f)\"", rotate, x, y);
	fputc('>', s->f);
	svg_escape(s->f, buf);
	fputs("</text>\n", s->f);
}

void svg_line(struct svg *s, double x1, double y1, double x2, double y2, const char *color,
	      double width, const char *dash)
{
	fprintf(s->f,
		"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
		"stroke-width=\"%.1f\"",
		x1, y1, x2, y2, color, width);
	if (dash)
		fprintf(s->f, " stroke-dasharray=\"%s\"", dash);
	fputs("/>\n", s->f);
}

void svg_rect(struct svg *s, double x, double y, double w, double h, const char *fill,
	      const char *stroke)
{
	fprintf(s->f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"", x,
		y, w > 0 ? w : 0, h > 0 ? h : 0, fill ? fill : "none");
	if (stroke)
		fprintf(s->f, " stroke=\"%s\"", stroke);
	fputs("/>\n", s->f);
}

void svg_circle(struct svg *s, double cx, double cy, double r, const char *fill, const char *stroke)
{
	fprintf(s->f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\"", cx, cy, r,
		fill ? fill : "none");
	if (stroke)
		fprintf(s->f, " stroke=\"%s\" stroke-width=\"2\"", stroke);
	fputs("/>\n", s->f);
}

void svg_path(struct svg *s, const double *x, const double *y, size_t n, const char *stroke,
	      double width, const char *fill)
{
	size_t i;

	if (!n)
		return;
	fputs("<path d=\"", s->f);
	for (i = 0; i < n; i++)
		fprintf(s->f, "%s%.1f %.1f", i ? " L" : "M", x[i], y[i]);
	fprintf(s->f,
		"%s\" fill=\"%s\" stroke=\"%s\" stroke-width=\"%.1f\" "
		"stroke-linejoin=\"round\"/>\n",
		fill ? " Z" : "", fill ? fill : "none", stroke ? stroke : "none", width);
}

double svg_px(const struct svg_plot *p, double x)
{
	double span = p->x1 - p->x0;

	return p->x + (span > 0 ? (x - p->x0) / span : 0) * p->w;
}

double svg_py(const struct svg_plot *p, double y)
{
	double span = p->y1 - p->y0;

	return p->y + p->h - (span > 0 ? (y - p->y0) / span : 0) * p->h;
}

double svg_nice_step(double lo, double hi, int n)
{
	double raw = (hi - lo) / (n > 0 ? n : 1), mag, f;

	if (!(raw > 0) || !isfinite(raw))
		return 1;
	mag = pow(10, floor(log10(raw)));
	f = raw / mag;
	return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

void svg_plot_frame(struct svg_plot *p, const char *title, const char *subtitle,
		    const char *x_label, const char *y_label, double y_step,
		    void (*fmt_y)(char *buf, size_t len, double v))
{
	struct svg *s = p->s;
	char buf[64];
	double v;

	svg_text(s, p->x, p->y - (subtitle ? 30 : 12), 16, SVG_START, SVG_INK, 700, 0, "%s", title);
	if (subtitle)
		svg_text(s, p->x, p->y - 12, 13, SVG_START, SVG_MUTED, 400, 0, "%s", subtitle);

	/* Grid lines and y ticks first, so that the data is drawn over them. */
	for (v = p->y0; y_step > 0 && v <= p->y1 + y_step * 1e-9; v += y_step) {
		double y = svg_py(p, v);

		svg_line(s, p->x, y, p->x + p->w, y, SVG_GRID, 1, NULL);
		fmt_y(buf, sizeof(buf), v);
		svg_text(s, p->x - 8, y + 4, 12, SVG_END, SVG_INK, 400, 0, "%s", buf);
	}
	svg_line(s, p->x, p->y + p->h, p->x + p->w, p->y + p->h, SVG_INK, 1.2, NULL);
	svg_line(s, p->x, p->y, p->x, p->y + p->h, SVG_INK, 1.2, NULL);

	svg_text(s, p->x + p->w / 2, p->y + p->h + 40, 13, SVG_MIDDLE, SVG_INK, 400, 0, "%s",
		 x_label);
	svg_text(s, p->x - 52, p->y + p->h / 2, 13, SVG_MIDDLE, SVG_INK, 400, -90, "%s", y_label);
}

void svg_plot_xtick(struct svg_plot *p, double x, const char *label)
{
	double px = svg_px(p, x), base = p->y + p->h;

	svg_line(p->s, px, base, px, base + 5, SVG_INK, 1, NULL);
	svg_text(p->s, px, base + 19, 12, SVG_MIDDLE, SVG_INK, 400, 0, "%s", label);
}

double svg_legend(struct svg *s, double x, double y, const char *color, bool dot, const char *dash,
		  const char *text)
{
	if (dot)
		svg_circle(s, x + 9, y - 4, 5, color, NULL);
	else
		svg_line(s, x, y - 4, x + 18, y - 4, color, 2.5, dash);
	svg_text(s, x + 24, y, 12, SVG_START, SVG_INK, 400, 0, "%s", text);
	/* About 6.5 px per character at 12 px in the fonts above. */
	return x + 24 + 6.8 * (double)strlen(text) + 18;
}
