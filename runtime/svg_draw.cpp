#include "runtime/svg_draw.hpp"

#include <cmath>
#include <cstdarg>
#include <cstdio>

namespace edgepipe::runtime::svg {

std::string escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&apos;";
      break;
    default:
      // Control characters are not allowed in XML 1.0; tabs and newlines are.
      if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n')
        out += ' ';
      else
        out += c;
    }
  }
  return out;
}

std::string format(const char* fmt, ...) {
  char buf[512];
  va_list args;
  va_start(args, fmt);
  int n = std::vsnprintf(buf, sizeof buf, fmt, args);
  va_end(args);
  if (n < 0) return "";
  if (static_cast<size_t>(n) < sizeof buf) return std::string(buf, n);
  std::string big(static_cast<size_t>(n) + 1, '\0');
  va_start(args, fmt);
  std::vsnprintf(big.data(), big.size(), fmt, args);
  va_end(args);
  big.resize(n);
  return big;
}

std::string number(double v) {
  if (std::fabs(v) < 1e-12) return "0";
  return format("%g", v);
}

double nice_step(double span, int target) {
  if (!(span > 0) || target < 1) return 1;
  double raw = span / target;
  double decade = std::pow(10.0, std::floor(std::log10(raw)));
  double f = raw / decade;
  double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return nice * decade;
}

double nice_ceil(double v) {
  if (!(v > 0)) return 1;
  double decade = std::pow(10.0, std::floor(std::log10(v)));
  for (double f : {1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0})
    if (f * decade >= v * (1 - 1e-12)) return f * decade;
  return 10 * decade;
}

double nice_floor_125(double v) {
  double decade = std::pow(10.0, std::floor(std::log10(v)));
  for (double f : {5.0, 2.0, 1.0})
    if (f * decade <= v * (1 + 1e-12)) return f * decade;
  return decade;
}

double nice_ceil_125(double v) {
  double decade = std::pow(10.0, std::floor(std::log10(v)));
  for (double f : {1.0, 2.0, 5.0, 10.0})
    if (f * decade >= v * (1 - 1e-12)) return f * decade;
  return 10 * decade;
}

std::vector<double> ticks_between(double lo, double hi, double step) {
  std::vector<double> out;
  if (!(step > 0) || !(hi >= lo)) return out;
  // Integer multiples, so 0.1 + 0.1 + 0.1 drift never adds or drops a tick.
  long first = static_cast<long>(std::ceil(lo / step - 1e-9));
  long last = static_cast<long>(std::floor(hi / step + 1e-9));
  for (long k = first; k <= last && out.size() < 1000; ++k) out.push_back(k * step);
  return out;
}

double y_axis::y(double v) const {
  double f;
  if (log) {
    double lv = v > lo ? std::log10(v) : std::log10(lo);
    f = (lv - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
  } else {
    f = (v - lo) / (hi - lo);
  }
  return bottom - f * (bottom - top);
}

std::vector<double> y_axis::ticks() const {
  if (!log) return ticks_between(lo, hi, nice_step(hi - lo, 4));
  std::vector<double> out;
  int d0 = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
  int d1 = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
  bool decades_only = d1 - d0 > 3;
  for (int d = d0; d <= d1; ++d)
    for (double m : {1.0, 2.0, 5.0}) {
      if (decades_only && m != 1.0) continue;
      double v = m * std::pow(10.0, d);
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push_back(v);
    }
  return out;
}

std::string points_attribute(const std::vector<point>& points) {
  std::string out;
  for (size_t i = 0; i < points.size(); ++i) {
    if (i > 0) out += ' ';
    out += format("%.2f,%.2f", points[i].x, points[i].y);
  }
  return out;
}

const char* series_colour(int i) {
  static const char* colours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  return colours[((i % 10) + 10) % 10];
}

} // namespace edgepipe::runtime::svg
