/* A small SVG writer for amzprof's plots: shapes and text with presentation attributes only
 * (no CSS, no scripts, no external fonts), so that browsers and the SVG renderers behind
 * terminal image viewers draw the same picture; and the axes and ticks of a plot. */
#ifndef AMZ_SVG_H
#define AMZ_SVG_H

#include <stdbool.h>
#include <stdio.h>

#define SVG_FONT       "DejaVu Sans, Helvetica, Arial, sans-serif"
#define SVG_INK	       "#222222"
#define SVG_MUTED      "#555555"
#define SVG_GRID       "#dddddd"
#define SVG_BLUE       "#3b6ea8"
#define SVG_LIGHT_BLUE "#a8c4e6"
#define SVG_RED	       "#c8312f"
#define SVG_ORANGE     "#e08a1e"
#define SVG_GREEN      "#2f8a3e"

struct svg {
	FILE *f;
	double width, height;
};

enum svg_anchor {
	SVG_START,
	SVG_MIDDLE,
	SVG_END
};

/* The document, with a white background (a transparent one is unreadable on a dark terminal)
 * and a <title> for the browser tab and screen readers. */
void svg_begin(struct svg *s, FILE *f, double width, double height, const char *title);
int svg_end(struct svg *s);

/* Text at (x, y) on its baseline; weight 700 for bold, rotate in degrees about (x, y). */
void svg_text(struct svg *s, double x, double y, double size, enum svg_anchor anchor,
	      const char *color, int weight, double rotate, const char *fmt, ...)
	__attribute__((format(printf, 9, 10)));

/* dash: NULL for a solid line, else an SVG dash array such as "6 4". */
void svg_line(struct svg *s, double x1, double y1, double x2, double y2, const char *color,
	      double width, const char *dash);
void svg_rect(struct svg *s, double x, double y, double w, double h, const char *fill,
	      const char *stroke);
void svg_circle(struct svg *s, double cx, double cy, double r, const char *fill,
		const char *stroke);

/* A polyline through n points, or a closed filled polygon when fill is given. */
void svg_path(struct svg *s, const double *x, const double *y, size_t n, const char *stroke,
	      double width, const char *fill);

/* Writes text with &, <, > and quotes escaped, as XML requires. */
void svg_escape(FILE *f, const char *text);

/* A plot area of (x, y, w, h) pixels showing [x0, x1] x [y0, y1] of the data. */
struct svg_plot {
	struct svg *s;
	double x, y, w, h;
	double x0, x1, y0, y1;
};

double svg_px(const struct svg_plot *p, double x);
double svg_py(const struct svg_plot *p, double y);

/* A step between ticks that is 1, 2 or 5 times a power of ten, giving about n ticks over
 * [lo, hi]. */
double svg_nice_step(double lo, double hi, int n);

/* The title above the area, the axes with their labels, and horizontal grid lines at every
 * y tick; x ticks are left to the caller (linear or per-bucket). fmt_y formats a y tick. */
void svg_plot_frame(struct svg_plot *p, const char *title, const char *subtitle,
		    const char *x_label, const char *y_label, double y_step,
		    void (*fmt_y)(char *buf, size_t len, double v));

/* An x tick with its label below the axis. */
void svg_plot_xtick(struct svg_plot *p, double x, const char *label);

/* A legend entry: a short line (or a dot when dot is true) of color and its text, from
 * (x, y); returns the x after it. */
double svg_legend(struct svg *s, double x, double y, const char *color, bool dot, const char *dash,
		  const char *text);

#endif
