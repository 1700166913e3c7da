// sweep.cpp: run_sweep (sweep.h) and its three report files.
#include "sweep.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "auto_recipe.h"
#include "text_util.h"  // defines: with_commas

namespace golf::train_export {

namespace {

Status score_point(const train_cpu::ParamLayout& layout, const float* params, const TokenizerData& tokenizer,
                   ExportRunOptions run, const std::string& path, SweepPoint* p) {
  run.export_options.output_path = path;
  run.pre_quant = false;
  run.allow_over_budget = true;
  ExportReport rep;
  ArtifactSummary sum;
  GOLF_RETURN_IF_ERROR(export_and_score(layout, params, tokenizer, run, &rep, &sum).prefix(p->label + ": "));
  p->recipe = rep.recipe;
  p->artifact_bytes = sum.counted_model_bytes() + sum.code_bytes;
  p->tensor_bytes = rep.tensor_bytes;
  p->bits_per_weight = rep.weights ? 8.0 * (double)rep.tensor_bytes / (double)rep.weights : 0;
  p->val_bpb = sum.post_quant.val_bpb;
  std::printf("sweep: %-28s %12s bytes  %.3f bits/weight  val_bpb %.5f\n", p->label.c_str(),
              with_commas(p->artifact_bytes).c_str(), p->bits_per_weight, p->val_bpb);
  std::fflush(stdout);
  return Status::Ok();
}

std::string file_label(std::string s) {
  for (char& c : s)
    if (!std::isalnum((unsigned char)c) && c != '.' && c != '-') c = '_';
  return s;
}

void write_svg(const std::string& path, const std::vector<SweepPoint>& pts, double fp32) {
  const double W = 760, H = 480, L = 80, R = 220, T = 30, B = 60;
  double x0 = 1e300, x1 = 0, y0 = fp32, y1 = fp32;
  for (const SweepPoint& p : pts) {
    x0 = std::min(x0, (double)p.artifact_bytes), x1 = std::max(x1, (double)p.artifact_bytes);
    y0 = std::min(y0, p.val_bpb), y1 = std::max(y1, p.val_bpb);
  }
  if (x1 <= x0) x1 = x0 + 1;
  if (y1 <= y0) y1 = y0 + 1e-3;
  const double pad = 0.05 * (y1 - y0);
  y0 -= pad, y1 += pad;
  auto X = [&](double v) { return L + (v - x0) / (x1 - x0) * (W - L - R); };
  auto Y = [&](double v) { return H - B - (v - y0) / (y1 - y0) * (H - T - B); };
  std::ofstream f(path);
  f << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H
    << "\" font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  f << "<line x1=\"" << L << "\" y1=\"" << H - B << "\" x2=\"" << W - R << "\" y2=\"" << H - B << "\" stroke=\"black\"/>\n";
  f << "<line x1=\"" << L << "\" y1=\"" << T << "\" x2=\"" << L << "\" y2=\"" << H - B << "\" stroke=\"black\"/>\n";
  char buf[256];
  for (int i = 0; i <= 4; i++) {
    const double xv = x0 + (x1 - x0) * i / 4, yv = y0 + (y1 - y0) * i / 4;
    std::snprintf(buf, sizeof buf, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.0f</text>\n", X(xv), H - B + 16, xv);
    f << buf;
    std::snprintf(buf, sizeof buf, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.4f</text>\n", L - 4, Y(yv) + 4, yv);
    f << buf;
  }
  f << "<text x=\"" << (L + W - R) / 2 << "\" y=\"" << H - 15
    << "\" text-anchor=\"middle\">counted artifact bytes (model without tokenizer + code)</text>\n";
  f << "<text x=\"15\" y=\"" << (T + H - B) / 2 << "\" transform=\"rotate(-90 15 " << (T + H - B) / 2
    << ")\" text-anchor=\"middle\">post-quantization val_bpb</text>\n";
  std::snprintf(buf, sizeof buf,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"gray\" stroke-dasharray=\"4 3\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" fill=\"gray\">fp32 %.4f</text>\n",
                L, Y(fp32), W - R, Y(fp32), W - R + 4, Y(fp32) + 4, fp32);
  f << buf;
  for (const SweepPoint& p : pts) {
    const bool is_auto = p.label.rfind("auto", 0) == 0;
    const char* color = is_auto ? "#d62728" : (p.gptq ? "#1f77b4" : "#ff7f0e");
    std::snprintf(buf, sizeof buf, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"><title>%s: %llu bytes, %.5f</title></circle>\n",
                  X((double)p.artifact_bytes), Y(p.val_bpb), color, p.label.c_str(),
                  (unsigned long long)p.artifact_bytes, p.val_bpb);
    f << buf;
  }
  const char* legend[][2] = {{"#ff7f0e", "round-to-nearest"}, {"#1f77b4", "GPTQ"}, {"#d62728", "allocator (GPTQ)"}};
  for (int i = 0; i < 3; i++) {
    std::snprintf(buf, sizeof buf, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/><text x=\"%.1f\" y=\"%.1f\">%s</text>\n",
                  W - R + 14, T + 20.0 + 18 * i, legend[i][0], W - R + 24, T + 24.0 + 18 * i, legend[i][1]);
    f << buf;
  }
  f << "</svg>\n";
}

}  // namespace

Status run_sweep(const train_cpu::ParamLayout& layout, const float* params, const TokenizerData& tokenizer,
                 const CalibrationData& calib, const SweepOptions& options, std::vector<SweepPoint>* points_out,
                 double* fp32_bpb_out) {
  if (!options.run.val_tokens_u16 && !options.run.val_tokens_i32)
    return Status(StatusCode::invalid_argument, "sweep: needs validation tokens to score");
  std::error_code ec;
  std::filesystem::create_directories(options.out_dir, ec);
  if (ec) return Status(StatusCode::io_error, "sweep: cannot create " + options.out_dir + ": " + ec.message());
  ScoreReport fp32;
  GOLF_RETURN_IF_ERROR(options.run.val_tokens_u16
                           ? score_params_fp32(layout, params, tokenizer, *options.run.val_tokens_u16, options.run.score, &fp32)
                           : score_params_fp32(layout, params, tokenizer, *options.run.val_tokens_i32, options.run.score, &fp32));
  std::printf("sweep: fp32 val_bpb %.5f on %lld targets\n", fp32.val_bpb, (long long)fp32.tokens);
  std::vector<SweepPoint> pts;
  auto add = [&](const std::string& label, const std::string& recipe, const std::vector<std::string>& rules,
                 bool gptq) -> Status {
    SweepPoint p;
    p.label = label;
    p.gptq = gptq;
    ExportRunOptions run = options.run;
    run.export_options.recipe = recipe;
    run.export_options.rules.insert(run.export_options.rules.end(), rules.begin(), rules.end());
    run.export_options.calibration = gptq ? &calib : nullptr;
    GOLF_RETURN_IF_ERROR(score_point(layout, params, tokenizer, run, options.out_dir + "/" + file_label(label) + ".golf", &p));
    pts.push_back(p);
    return Status::Ok();
  };
  for (const std::string& r : options.named)
    for (bool g : {false, true}) GOLF_RETURN_IF_ERROR(add(r + (g ? " gptq" : " rtn"), r, {}, g));
  std::vector<uint64_t> budgets;
  for (const std::string& spec : options.uniform)
    for (bool g : {false, true}) {
      // Every 2-D weight (control tensors are 1-D, or [2, d] resid_mix which stays f32 by name).
      std::vector<std::string> rules = {"*resid_mix=f32", "*.weight=" + spec};
      GOLF_RETURN_IF_ERROR(add("all " + spec + (g ? " gptq" : " rtn"), "q8", rules, g));
      if (g) budgets.push_back(pts.back().artifact_bytes);
    }
  // The allocator at the uniform GPTQ points' bytes: measured once, allocated per budget.
  AutoRecipeResult plan;
  AllocSettings as = options.alloc;
  as.gptq = true;
  GOLF_RETURN_IF_ERROR(measure_alloc_tensors(layout, params, calib, as, &plan.tensors, &plan.base_calib_loss));
  const double bpb_per_nat = fp32.val_loss > 0 ? fp32.val_bpb / fp32.val_loss : 0;
  for (uint64_t b : budgets) {
    ExportOptions eo = options.run.export_options;
    Status st = allocate_auto_recipe(layout, params, tokenizer, b, eo, &plan);
    if (!st.ok()) {
      std::printf("sweep: auto @ %llu: %s\n", (unsigned long long)b, st.message().c_str());
      continue;
    }
    GOLF_RETURN_IF_ERROR(add("auto gptq @ " + std::to_string(b), kAutoBaseRecipe, plan.rules, true));
    pts.back().predicted_penalty = plan.choice.predicted_dloss * bpb_per_nat;
  }
  for (SweepPoint& p : pts) p.penalty = p.val_bpb - fp32.val_bpb;

  std::ofstream csv(options.out_dir + "/sweep.csv");
  csv << "label,gptq,artifact_bytes,tensor_bytes,bits_per_weight,val_bpb,penalty_bpb,predicted_penalty_bpb,recipe\n";
  std::ofstream md(options.out_dir + "/sweep.md");
  char buf[512];
  std::snprintf(buf, sizeof buf, "fp32 val_bpb %.5f on %lld targets (%s)\n\n", fp32.val_bpb, (long long)fp32.tokens,
                options.run.eval_data.c_str());
  md << buf;
  md << "| point | artifact bytes | bits/weight | post-quant val_bpb | penalty | predicted |\n|---|---:|---:|---:|---:|---:|\n";
  for (const SweepPoint& p : pts) {
    std::string rec = p.recipe;
    for (char& c : rec) if (c == '"') c = '\'';
    csv << '"' << p.label << "\"," << (p.gptq ? 1 : 0) << ',' << p.artifact_bytes << ',' << p.tensor_bytes << ',';
    std::snprintf(buf, sizeof buf, "%.4f,%.6f,%.6f,", p.bits_per_weight, p.val_bpb, p.penalty);
    csv << buf;
    if (p.predicted_penalty >= 0 || p.label.rfind("auto", 0) == 0) {
      std::snprintf(buf, sizeof buf, "%.6f", p.predicted_penalty);
      csv << buf;
    }
    csv << ",\"" << rec << "\"\n";
    std::snprintf(buf, sizeof buf, "| %s | %s | %.3f | %.5f | %+.5f | %s |\n", p.label.c_str(),
                  with_commas(p.artifact_bytes).c_str(), p.bits_per_weight, p.val_bpb, p.penalty,
                  p.label.rfind("auto", 0) == 0 ? std::to_string(p.predicted_penalty).c_str() : "");
    md << buf;
  }
  write_svg(options.out_dir + "/sweep.svg", pts, fp32.val_bpb);
  if (!csv || !md) return Status(StatusCode::io_error, "sweep: cannot write the report in " + options.out_dir);
  *points_out = std::move(pts);
  if (fp32_bpb_out) *fp32_bpb_out = fp32.val_bpb;
  return Status::Ok();
}

}  // namespace golf::train_export
