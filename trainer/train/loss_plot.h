// loss_plot.h: OUT/loss.svg, the run's loss curves drawn from OUT/metrics.jsonl (so a resumed run's plot covers
// the whole run): top panel train loss and validation loss (nats/token) against step, bottom panel validation
// bits per byte. Hand-written SVG, no dependencies; any browser shows it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "status.h"  // defines: Status

namespace golf::train {

struct LossPoint {
  int64_t step;
  double value;
};

struct LossCurves {
  std::vector<LossPoint> train_loss, val_loss, val_bpb;
  std::string title;
};

// Reads the "train" and "val" events of a metrics.jsonl (lines that do not parse are skipped).
Status read_loss_curves(const std::string& metrics_path, LossCurves* out);
// The SVG document of the curves.
std::string render_loss_svg(const LossCurves& curves);
// read + render + write (atomically).
Status write_loss_plot(const std::string& metrics_path, const std::string& svg_path, const std::string& title);

}  // namespace golf::train
