// allocate.cpp: measure_alloc_tensors and choose_under_budget (allocate.h).
#include "allocate.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "export.h"       // defines: make_gptq_record
#include "golf_writer.h"  // defines: GolfWriter, TensorRecord
#include "quant.h"
#include "recipe.h"       // defines: parse_tensor_spec, make_tensor_record

namespace golf::train_export {

namespace {

// Each tensor's choice at multiplier λ: argmin dloss + λ·bytes (ties: fewer bytes).
AllocChoice pick_at(const std::vector<AllocTensor>& tensors, double lambda) {
  AllocChoice c;
  for (const AllocTensor& t : tensors) {
    int best = 0;
    for (int i = 1; i < (int)t.options.size(); i++) {
      const AllocOption& o = t.options[i];
      const AllocOption& b = t.options[best];
      const double vo = o.dloss + lambda * (double)o.bytes, vb = b.dloss + lambda * (double)b.bytes;
      if (vo < vb || (vo == vb && o.bytes < b.bytes)) best = i;
    }
    c.option.push_back(best);
    c.bytes += t.options[best].bytes;
    c.predicted_dloss += t.options[best].dloss;
  }
  return c;
}

}  // namespace

// Measured increases are noisy on a small calibration set: a narrower option can measure below a wider one, or
// below 0. The choice uses a cleaned copy: clamped at 0 and made monotone (an option never counts as better than
// any option with more bytes), so noise cannot make a narrow width look free.
std::vector<AllocTensor> cleaned(const std::vector<AllocTensor>& tensors) {
  std::vector<AllocTensor> out = tensors;
  for (AllocTensor& t : out) {
    std::vector<int> order(t.options.size());
    for (size_t i = 0; i < order.size(); i++) order[i] = (int)i;
    std::sort(order.begin(), order.end(), [&](int a, int b) { return t.options[a].bytes > t.options[b].bytes; });
    double floor = 0;
    for (int i : order) {  // widest first
      t.options[i].dloss = std::max(t.options[i].dloss, floor);
      floor = t.options[i].dloss;
    }
  }
  return out;
}

Status choose_under_budget(const std::vector<AllocTensor>& measured, uint64_t budget, AllocChoice* out) {
  const std::vector<AllocTensor> tensors = cleaned(measured);
  AllocChoice smallest;
  for (const AllocTensor& t : tensors) {
    if (t.options.empty()) return Status(StatusCode::invalid_argument, "allocate: tensor " + t.name + " has no options");
    int best = 0;
    for (int i = 1; i < (int)t.options.size(); i++)
      if (t.options[i].bytes < t.options[best].bytes ||
          (t.options[i].bytes == t.options[best].bytes && t.options[i].dloss < t.options[best].dloss))
        best = i;
    smallest.option.push_back(best);
    smallest.bytes += t.options[best].bytes;
    smallest.predicted_dloss += t.options[best].dloss;
  }
  if (smallest.bytes > budget)
    return Status(StatusCode::invalid_argument, "allocate: the budget of " + std::to_string(budget) +
                                                    " tensor bytes is below the smallest choice, " +
                                                    std::to_string(smallest.bytes) + " bytes");
  // Lagrangian: the smallest λ whose choice fits (bisection on a log scale; λ = +huge gives `smallest`-like picks).
  AllocChoice best = smallest;
  double lo = 0, hi = 1;
  AllocChoice at_zero = pick_at(tensors, 0);
  if (at_zero.bytes <= budget) {
    best = at_zero;
  } else {
    while (pick_at(tensors, hi).bytes > budget && hi < 1e30) hi *= 4;
    for (int it = 0; it < 100; it++) {
      const double mid = 0.5 * (lo + hi);
      if (pick_at(tensors, mid).bytes > budget) lo = mid; else hi = mid;
    }
    AllocChoice c = pick_at(tensors, hi);
    if (c.bytes <= budget && c.predicted_dloss <= best.predicted_dloss) best = c;
  }
  // Every uniform assignment (one SPEC for all tensors) that fits is a candidate too, so the allocator never loses
  // to the best uniform recipe on its own prediction.
  for (const AllocOption& first : tensors[0].options) {
    AllocChoice u;
    bool everywhere = true;
    for (const AllocTensor& t : tensors) {
      int found = -1;
      for (int i = 0; i < (int)t.options.size(); i++)
        if (t.options[i].spec == first.spec) found = i;
      if (found < 0) {
        everywhere = false;
        break;
      }
      u.option.push_back(found);
      u.bytes += t.options[found].bytes;
      u.predicted_dloss += t.options[found].dloss;
    }
    if (everywhere && u.bytes <= budget && u.predicted_dloss < best.predicted_dloss) best = u;
  }
  // Greedy upgrades with the bytes left: the best loss decrease per added byte that still fits, until none helps.
  for (;;) {
    int bt = -1, bo = -1;
    double best_rate = 0;
    for (size_t t = 0; t < tensors.size(); t++) {
      const AllocOption& cur = tensors[t].options[best.option[t]];
      for (int o = 0; o < (int)tensors[t].options.size(); o++) {
        const AllocOption& cand = tensors[t].options[o];
        const double gain = cur.dloss - cand.dloss;
        if (!(gain > 0)) continue;
        if (cand.bytes > cur.bytes && best.bytes + (cand.bytes - cur.bytes) > budget) continue;
        const double added = (double)cand.bytes - (double)cur.bytes;
        const double rate = added <= 0 ? std::numeric_limits<double>::infinity() : gain / added;
        if (rate > best_rate) best_rate = rate, bt = (int)t, bo = o;
      }
    }
    if (bt < 0) break;
    const AllocOption& cur = tensors[bt].options[best.option[bt]];
    const AllocOption& cand = tensors[bt].options[bo];
    best.bytes = best.bytes - cur.bytes + cand.bytes;
    best.predicted_dloss += cand.dloss - cur.dloss;
    best.option[bt] = bo;
  }
  // Bytes still left: widen tensors whose measured gain is zero (after cleaning, a wider option is never predicted
  // worse), largest added size that fits first, so the budget buys precision the calibration could not resolve.
  for (;;) {
    int bt = -1, bo = -1;
    uint64_t best_added = 0;
    for (size_t t = 0; t < tensors.size(); t++) {
      const AllocOption& cur = tensors[t].options[best.option[t]];
      for (int o = 0; o < (int)tensors[t].options.size(); o++) {
        const AllocOption& cand = tensors[t].options[o];
        if (cand.bytes <= cur.bytes || cand.dloss > cur.dloss) continue;
        const uint64_t added = cand.bytes - cur.bytes;
        if (best.bytes + added > budget) continue;
        if (added > best_added) best_added = added, bt = (int)t, bo = o;
      }
    }
    if (bt < 0) break;
    const AllocOption& cur = tensors[bt].options[best.option[bt]];
    const AllocOption& cand = tensors[bt].options[bo];
    best.bytes += cand.bytes - cur.bytes;
    best.predicted_dloss += cand.dloss - cur.dloss;
    best.option[bt] = bo;
  }
  *out = std::move(best);
  return Status::Ok();
}

const std::vector<std::string>& default_alloc_specs() {
  static const std::vector<std::string> specs = {"q8", "q6:k12.85", "q5:k8", "q4:g32", "q3:k4", "q2:k2.5"};
  return specs;
}

Status measure_alloc_tensors(const train_cpu::ParamLayout& layout, const float* params, const CalibrationData& calib,
                             const AllocSettings& settings, std::vector<AllocTensor>* out, double* base_loss) {
  std::vector<float> work(params, params + layout.total);
  double base = 0;
  GOLF_RETURN_IF_ERROR(calibration_loss(layout, work.data(), calib, settings.loss_windows, &base));
  std::vector<AllocTensor> result;
  for (const train_cpu::ParamInfo& t : layout.tensors) {
    const std::string& n = t.name;
    if (t.shape.size() != 2 || (uint64_t)t.numel < settings.min_elements || n.size() < 7 ||
        n.compare(n.size() - 7, 7, ".weight") != 0)
      continue;
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<uint64_t> dims = {(uint64_t)t.shape[0], (uint64_t)t.shape[1]};
    const float* values = params + t.offset;
    const auto h = calib.hessians.find(n);
    AllocTensor at;
    at.name = n;
    at.elements = (uint64_t)t.numel;
    for (const std::string& spec : settings.specs) {
      TensorPlan plan;
      GOLF_RETURN_IF_ERROR(parse_tensor_spec(spec, &plan).prefix("allocate: "));
      TensorLayout tl;
      if (!tensor_layout(plan.dtype, dims, plan.quant.group_size, &tl).ok()) continue;  // shape does not allow it
      TensorRecord rec;
      if (settings.gptq && h != calib.hessians.end() && dtype_is_quantized(plan.dtype))
        GOLF_RETURN_IF_ERROR(make_gptq_record(n, dims, values, plan, h->second, settings.gptq_settings, &rec, nullptr));
      else
        GOLF_RETURN_IF_ERROR(make_tensor_record(n, dims, values, plan, &rec, nullptr));
      GOLF_RETURN_IF_ERROR(dequantize(plan.dtype, tl, rec.group_size, rec.raw.data(), work.data() + t.offset));
      GolfWriter writer;
      GOLF_RETURN_IF_ERROR(writer.add_tensor(std::move(rec)).prefix("allocate: "));
      AllocOption opt;
      opt.spec = spec;
      opt.bytes = writer.last_stored_size();
      double loss = 0;
      GOLF_RETURN_IF_ERROR(calibration_loss(layout, work.data(), calib, settings.loss_windows, &loss));
      opt.dloss = loss - base;
      at.options.push_back(opt);
      std::copy(values, values + t.numel, work.data() + t.offset);  // back to fp32 for the next measurement
    }
    if (at.options.empty()) continue;
    if (settings.progress)
      settings.progress(at, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    result.push_back(std::move(at));
  }
  *out = std::move(result);
  if (base_loss) *base_loss = base;
  return Status::Ok();
}

}  // namespace golf::train_export
