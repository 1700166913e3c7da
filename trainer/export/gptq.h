// gptq.h: GPTQ (Frantar et al. 2022) for one weight matrix of the export: given the layer's input Hessian
// H = XᵀX (cols x cols, fp64, from calibration activations, calib.h), quantizes W (rows x cols, [out, in] as
// stored) column by column in activation order, spreading each column's rounding error over the columns not yet
// quantized through the Cholesky factor of H⁻¹ (lazy block updates). The scales are exactly the ones the format's
// round-to-nearest quantizer (format/quant.h `quantize`) computes from the ORIGINAL weights for the same recipe
// (per row or per group, any clip, f16-rounded), so the output is a raw layout of SPEC.md §5.2 that differs from
// round-to-nearest only in its codes, and the dequantized weights are exactly what the file stores.
#pragma once
#include <cstdint>
#include <vector>

#include "quant.h"   // defines: QuantRecipe
#include "status.h"

namespace golf::train_export {

struct GptqSettings {
  double percdamp = 0.01;  // damping added to H's diagonal, as a fraction of its mean diagonal
  int block = 128;         // columns per lazy block update
  bool act_order = true;   // quantize columns in order of decreasing H diagonal
};

// W: rows x cols fp32, row-major; H: cols x cols fp64, symmetric positive semi-definite (columns whose diagonal is 0
// are dead inputs: their weights quantize to what round-to-nearest gives and carry no error). raw_out: the raw layout
// of recipe.dtype. codes_out (optional): the int8 codes in element order. invalid_argument for a bad recipe/shape,
// failed_precondition when H + damping is not positive definite.
Status gptq_quantize(const float* w, uint64_t rows, uint64_t cols, const double* hessian, const QuantRecipe& recipe,
                     const GptqSettings& settings, std::vector<uint8_t>* raw_out,
                     std::vector<int8_t>* codes_out = nullptr);

// The layer-output error tr((W - Ŵ) H (W - Ŵ)ᵀ) = Σ over calibration rows x of |x(W - Ŵ)ᵀ|², the quantity GPTQ
// minimises (w_hat: the dequantized weights). For tests and the allocator's reports.
double layer_output_error(const float* w, const float* w_hat, uint64_t rows, uint64_t cols, const double* hessian);

}  // namespace golf::train_export
