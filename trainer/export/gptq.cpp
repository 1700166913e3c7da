// gptq.cpp: gptq_quantize (gptq.h) in fp64: damping, activation order, H⁻¹ through Cholesky, its upper Cholesky
// factor U (H⁻¹ = UᵀU), and the column loop with lazy block updates. The scales come from format/quant.h's own
// quantizer on the original weights so that only the codes differ from round-to-nearest.
#include "gptq.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <string>

#include "dtype.h"
#include "half.h"

namespace golf::train_export {

namespace {

Status invalid(const std::string& m) { return Status(StatusCode::invalid_argument, "gptq: " + m); }

// In-place lower Cholesky factor of the n x n matrix a (row-major; the upper triangle is zeroed). False when a is not
// positive definite.
bool cholesky_lower(std::vector<double>* a_io, uint64_t n) {
  std::vector<double>& a = *a_io;
  for (uint64_t j = 0; j < n; j++) {
    double d = a[j * n + j];
    for (uint64_t k = 0; k < j; k++) d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0)) return false;
    const double l = std::sqrt(d);
    a[j * n + j] = l;
    for (uint64_t i = j + 1; i < n; i++) {
      double s = a[i * n + j];
      for (uint64_t k = 0; k < j; k++) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / l;
    }
    for (uint64_t k = j + 1; k < n; k++) a[j * n + k] = 0;
  }
  return true;
}

// The upper factor U with H⁻¹ = UᵀU, from H (n x n): L = chol(H), H⁻¹ = L⁻ᵀL⁻¹, then U = chol(H⁻¹)ᵀ.
bool inverse_cholesky_upper(const std::vector<double>& h, uint64_t n, std::vector<double>* u_out) {
  std::vector<double> l = h;
  if (!cholesky_lower(&l, n)) return false;
  // Linv: inverse of the lower triangular L, by forward substitution column by column.
  std::vector<double> linv(n * n, 0.0);
  for (uint64_t j = 0; j < n; j++) {
    linv[j * n + j] = 1.0 / l[j * n + j];
    for (uint64_t i = j + 1; i < n; i++) {
      double s = 0;
      for (uint64_t k = j; k < i; k++) s += l[i * n + k] * linv[k * n + j];
      linv[i * n + j] = -s / l[i * n + i];
    }
  }
  // H⁻¹[i][j] = Σ_k Linv[k][i] Linv[k][j] over k >= max(i, j).
  std::vector<double> hinv(n * n, 0.0);
  for (uint64_t i = 0; i < n; i++)
    for (uint64_t j = 0; j <= i; j++) {
      double s = 0;
      for (uint64_t k = i; k < n; k++) s += linv[k * n + i] * linv[k * n + j];
      hinv[i * n + j] = hinv[j * n + i] = s;
    }
  if (!cholesky_lower(&hinv, n)) return false;
  u_out->assign(n * n, 0.0);
  for (uint64_t i = 0; i < n; i++)
    for (uint64_t j = 0; j <= i; j++) (*u_out)[j * n + i] = hinv[i * n + j];
  return true;
}

}  // namespace

Status gptq_quantize(const float* w, uint64_t rows, uint64_t cols, const double* hessian, const QuantRecipe& recipe,
                     const GptqSettings& settings, std::vector<uint8_t>* raw_out, std::vector<int8_t>* codes_out) {
  if (!w || !hessian || !raw_out) return invalid("null argument");
  if (rows == 0 || cols == 0) return invalid("empty matrix");
  if (!(settings.percdamp >= 0) || settings.block < 1) return invalid("percdamp must be >= 0 and block >= 1");
  // Round-to-nearest first: it validates the recipe and gives the scales (clip of the original rows/groups).
  std::vector<uint8_t> raw;
  GOLF_RETURN_IF_ERROR(quantize(w, {rows, cols}, recipe, &raw).prefix("gptq: "));
  TensorLayout layout;
  GOLF_RETURN_IF_ERROR(tensor_layout(recipe.dtype, {rows, cols}, recipe.group_size, &layout));
  const uint64_t span = recipe.group_size ? recipe.group_size : cols;
  std::vector<double> scale(rows * layout.n_groups);  // (rows, n_groups)
  for (uint64_t i = 0; i < scale.size(); i++) {
    uint16_t bits;
    std::memcpy(&bits, raw.data() + layout.scales_offset + 2 * i, 2);
    scale[i] = f16_to_f32(bits);
  }
  const double qmax = dtype_code_max(recipe.dtype);

  // Column order: decreasing H diagonal (stable, so ties keep their index order), or the natural order.
  std::vector<uint64_t> perm(cols);
  std::iota(perm.begin(), perm.end(), 0);
  if (settings.act_order)
    std::stable_sort(perm.begin(), perm.end(),
                     [&](uint64_t a, uint64_t b) { return hessian[a * cols + a] > hessian[b * cols + b]; });

  // Permuted H (cols x cols) with dead inputs given a unit diagonal, then damped.
  std::vector<double> h(cols * cols);
  for (uint64_t i = 0; i < cols; i++)
    for (uint64_t j = 0; j < cols; j++) {
      const double v = hessian[perm[i] * cols + perm[j]];
      if (!std::isfinite(v)) return invalid("the Hessian has a non-finite value");
      h[i * cols + j] = v;
    }
  double mean_diag = 0;
  for (uint64_t i = 0; i < cols; i++) {
    if (h[i * cols + i] == 0) h[i * cols + i] = 1;
    mean_diag += h[i * cols + i];
  }
  mean_diag /= (double)cols;
  for (uint64_t i = 0; i < cols; i++) h[i * cols + i] += settings.percdamp * mean_diag;
  std::vector<double> u;
  if (!inverse_cholesky_upper(h, cols, &u)) return invalid("H + damping is not positive definite (raise percdamp)");

  // Working weights, permuted: wp (rows, cols).
  std::vector<double> wp(rows * cols);
  for (uint64_t r = 0; r < rows; r++)
    for (uint64_t i = 0; i < cols; i++) wp[r * cols + i] = w[r * cols + perm[i]];
  std::vector<int8_t> codes(rows * cols);  // element order (unpermuted)
  const uint64_t block = (uint64_t)settings.block;
  std::vector<double> err(rows * block);   // (rows, block): scaled errors of the current block
  for (uint64_t i1 = 0; i1 < cols; i1 += block) {
    const uint64_t i2 = std::min(i1 + block, cols);
    for (uint64_t i = i1; i < i2; i++) {
      const uint64_t col = perm[i];
      const double d = u[i * cols + i];
      for (uint64_t r = 0; r < rows; r++) {
        const double s = scale[r * layout.n_groups + col / span];
        const double x = wp[r * cols + i];
        double c = 0;
        if (s != 0) c = std::min(std::max(std::nearbyint(x / s), -qmax), qmax);
        codes[r * cols + col] = (int8_t)c;
        const double e = (x - c * s) / d;
        err[r * block + (i - i1)] = e;
        const double* urow = &u[i * cols];
        double* wrow = &wp[r * cols];
        for (uint64_t j = i + 1; j < i2; j++) wrow[j] -= e * urow[j];
      }
    }
    // Lazy update of every later column with the whole block's errors.
    for (uint64_t r = 0; r < rows; r++) {
      double* wrow = &wp[r * cols];
      for (uint64_t k = i1; k < i2; k++) {
        const double e = err[r * block + (k - i1)];
        const double* urow = &u[k * cols];
        for (uint64_t j = i2; j < cols; j++) wrow[j] -= e * urow[j];
      }
    }
  }
  codes_to_raw(recipe.dtype, layout, recipe.group_size, codes.data(), raw.data());
  *raw_out = std::move(raw);
  if (codes_out) *codes_out = std::move(codes);
  return Status::Ok();
}

double layer_output_error(const float* w, const float* w_hat, uint64_t rows, uint64_t cols, const double* hessian) {
  double total = 0;
  std::vector<double> d(cols);
  for (uint64_t r = 0; r < rows; r++) {
    for (uint64_t j = 0; j < cols; j++) d[j] = (double)w[r * cols + j] - (double)w_hat[r * cols + j];
    for (uint64_t i = 0; i < cols; i++) {
      if (d[i] == 0) continue;
      double s = 0;
      for (uint64_t j = 0; j < cols; j++) s += hessian[i * cols + j] * d[j];
      total += d[i] * s;
    }
  }
  return total;
}

}  // namespace golf::train_export
