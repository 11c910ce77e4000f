// svg_draw: the few pieces of SVG the timeline plot is made of: escaped
// text, "nice" tick values, a value-to-pixel axis and polyline points. All
// numbers go through snprintf with fixed formats, so output is byte-stable.
#pragma once

#include <string>
#include <vector>

namespace edgepipe::runtime::svg {

// Text safe inside an element or a double-quoted attribute.
std::string escape(const std::string& text);

// printf into a std::string (lines of SVG are short; longer ones still fit).
std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// A value printed for a tick label: "0.5", "20", "1000", "1e+04".
std::string number(double v);

// The step 1, 2 or 5 x 10^k that cuts `span` into about `target` parts.
double nice_step(double span, int target);
// The smallest nice multiple >= v (v > 0), for the top of a linear axis.
double nice_ceil(double v);

// The nearest of 1, 2 or 5 x 10^k below / above v (v > 0): the ends of a log axis.
double nice_floor_125(double v);
double nice_ceil_125(double v);

// Multiples of `step` in [lo, hi].
std::vector<double> ticks_between(double lo, double hi, double step);

// Maps values to a vertical pixel range: lo at `bottom`, hi at `top`.
// A log axis draws values <= 0 (a stalled link) on its bottom edge.
struct y_axis {
  double lo = 0, hi = 1;
  bool log = false;
  double top = 0, bottom = 100;
  double y(double v) const;
  // Tick values: nice linear steps, or 1-2-5 per decade on a log axis
  // (decades only when the range spans more than three).
  std::vector<double> ticks() const;
};

struct point {
  double x = 0, y = 0;
};

// "x1,y1 x2,y2 ..." with two decimals.
std::string points_attribute(const std::vector<point>& points);

// Ten colours that stay apart from each other on white.
const char* series_colour(int i);

} // namespace edgepipe::runtime::svg
