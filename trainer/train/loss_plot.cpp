// loss_plot.cpp: metrics.jsonl -> loss.svg (see loss_plot.h). Layout: 800 x 560 px, two panels sharing the step
// axis, "nice" ticks (1, 2, 5 x 10^k), lines for series, dots for sparse validation points.
#include "loss_plot.h"

#include <algorithm>
#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "mapped_file.h"  // defines: write_file_atomic
#include "text_format.h"  // defines: strprintf

namespace golf::train {

namespace {

struct Series {
  const std::vector<LossPoint>* points;
  const char* color;
  const char* label;
  bool dots;
};

// About `target` round tick values covering [lo, hi].
std::vector<double> nice_ticks(double lo, double hi, int target) {
  std::vector<double> ticks;
  if (!(hi > lo)) hi = lo + 1;
  const double raw = (hi - lo) / target, mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  }
  for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push_back(t);
  return ticks;
}

// A tick value with as many decimals as the tick spacing needs (5.5, 6.0, 6.5; 0.25, 0.50).
std::string tick_label(double v, double spacing) {
  if (std::fabs(v) >= 10000 && spacing >= 1000) return strprintf("%.0fk", v / 1000);
  const int decimals = spacing >= 1 ? 0 : (int)std::ceil(-std::log10(spacing) - 1e-9);
  return strprintf("%.*f", decimals, v);
}

double tick_spacing(const std::vector<double>& ticks) { return ticks.size() > 1 ? ticks[1] - ticks[0] : 1.0; }

std::string escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '&') o += "&amp;";
    else o += c;
  }
  return o;
}

// One panel at (x0, y0) of size (w, h) with the shared step range [s0, s1].
std::string panel(double x0, double y0, double w, double h, double s0, double s1, const std::vector<Series>& series,
                  const char* y_label) {
  double lo = INFINITY, hi = -INFINITY;
  for (const Series& s : series) {
    for (const LossPoint& p : *s.points) {
      if (!std::isfinite(p.value)) continue;
      lo = std::min(lo, p.value), hi = std::max(hi, p.value);
    }
  }
  std::string out;
  out += strprintf("<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='none' stroke='#888'/>\n", x0, y0, w, h);
  out += strprintf("<text x='%.1f' y='%.1f' font-size='12' transform='rotate(-90 %.1f %.1f)' text-anchor='middle'>%s"
                   "</text>\n", x0 - 45, y0 + h / 2, x0 - 45, y0 + h / 2, y_label);
  if (!std::isfinite(lo)) {
    out += strprintf("<text x='%.1f' y='%.1f' font-size='12' text-anchor='middle' fill='#888'>no data</text>\n",
                     x0 + w / 2, y0 + h / 2);
    return out;
  }
  const double pad = (hi - lo) * 0.05 + 1e-6;
  lo -= pad, hi += pad;
  auto X = [&](double s) { return x0 + (s1 > s0 ? (s - s0) / (s1 - s0) : 0.5) * w; };
  auto Y = [&](double v) { return y0 + h - (v - lo) / (hi - lo) * h; };
  const std::vector<double> yt = nice_ticks(lo, hi, 6), xt = nice_ticks(s0, s1, 8);
  for (double t : yt) {
    out += strprintf("<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#eee'/>\n", x0, Y(t), x0 + w, Y(t));
    out += strprintf("<text x='%.1f' y='%.1f' font-size='11' text-anchor='end'>%s</text>\n", x0 - 5, Y(t) + 4,
                     tick_label(t, tick_spacing(yt)).c_str());
  }
  for (double t : xt) {
    out += strprintf("<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#eee'/>\n", X(t), y0, X(t), y0 + h);
    out += strprintf("<text x='%.1f' y='%.1f' font-size='11' text-anchor='middle'>%s</text>\n", X(t), y0 + h + 15,
                     tick_label(t, tick_spacing(xt)).c_str());
  }
  double legend_y = y0 + 16;
  for (const Series& s : series) {
    if (s.points->empty()) continue;
    std::string pts;
    for (const LossPoint& p : *s.points) {
      if (std::isfinite(p.value)) pts += strprintf("%.1f,%.1f ", X((double)p.step), Y(p.value));
    }
    out += strprintf("<polyline fill='none' stroke='%s' stroke-width='1.5' points='%s'/>\n", s.color, pts.c_str());
    if (s.dots) {
      for (const LossPoint& p : *s.points) {
        if (std::isfinite(p.value))
          out += strprintf("<circle cx='%.1f' cy='%.1f' r='3' fill='%s'/>\n", X((double)p.step), Y(p.value), s.color);
      }
    }
    const LossPoint& last = s.points->back();
    out += strprintf("<text x='%.1f' y='%.1f' font-size='12' text-anchor='end' fill='%s'>%s (last %.4f)</text>\n",
                     x0 + w - 8, legend_y, s.color, s.label, last.value);
    legend_y += 16;
  }
  return out;
}

}  // namespace

Status read_loss_curves(const std::string& metrics_path, LossCurves* out) {
  std::ifstream in(metrics_path);
  if (!in) return Status(StatusCode::io_error, metrics_path + ": cannot open");
  std::string line;
  auto number = [](const nlohmann::json& j, const char* key, double* v) {
    if (!j.contains(key) || !j[key].is_number()) return false;
    *v = j[key].get<double>();
    return true;
  };
  while (std::getline(in, line)) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("event") || !j["event"].is_string() || !j.contains("step") ||
        !j["step"].is_number_integer())
      continue;
    const std::string event = j["event"].get<std::string>();
    const int64_t step = j["step"].get<int64_t>();
    double v = 0;
    if (event == "train" && number(j, "train_loss", &v)) out->train_loss.push_back({step, v});
    if (event == "val" && number(j, "val_loss", &v)) out->val_loss.push_back({step, v});
    if (event == "val" && number(j, "val_bpb", &v)) out->val_bpb.push_back({step, v});
  }
  return Status::Ok();
}

std::string render_loss_svg(const LossCurves& c) {
  int64_t s0 = INT64_MAX, s1 = INT64_MIN;
  for (const auto* v : {&c.train_loss, &c.val_loss, &c.val_bpb}) {
    for (const LossPoint& p : *v) s0 = std::min(s0, p.step), s1 = std::max(s1, p.step);
  }
  if (s0 > s1) s0 = 0, s1 = 1;
  std::string svg =
      "<?xml version='1.0' encoding='UTF-8'?>\n"
      "<svg xmlns='http://www.w3.org/2000/svg' width='800' height='560' viewBox='0 0 800 560' "
      "font-family='sans-serif'>\n<rect width='800' height='560' fill='white'/>\n";
  svg += strprintf("<text x='400' y='22' font-size='14' text-anchor='middle'>%s</text>\n", escape(c.title).c_str());
  svg += panel(80, 40, 690, 230, (double)s0, (double)s1,
               {{&c.train_loss, "#1f77b4", "train loss", false}, {&c.val_loss, "#d62728", "val loss", true}},
               "loss (nats/token)");
  svg += panel(80, 300, 690, 220, (double)s0, (double)s1, {{&c.val_bpb, "#2ca02c", "val bpb", true}},
               "val bits per byte");
  svg += "<text x='425' y='552' font-size='12' text-anchor='middle'>step</text>\n</svg>\n";
  return svg;
}

Status write_loss_plot(const std::string& metrics_path, const std::string& svg_path, const std::string& title) {
  LossCurves curves;
  GOLF_RETURN_IF_ERROR(read_loss_curves(metrics_path, &curves));
  curves.title = title;
  const std::string svg = render_loss_svg(curves);
  return write_file_atomic(svg_path, svg.data(), svg.size());
}

}  // namespace golf::train
