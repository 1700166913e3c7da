// test_recipe.cpp: tensor SPEC parsing (every option, fractions, errors), glob matching, preset routing and rule
// precedence of PackRecipe.
#include <gtest/gtest.h>

#include "recipe.h"

using namespace golf;

TEST(Recipe, ParsesEveryOption) {
  TensorPlan p;
  ASSERT_TRUE(parse_tensor_spec("q8:p99.99984:floor1/127", &p).ok());
  EXPECT_EQ(p.dtype, Dtype::q8);
  EXPECT_EQ(p.codec, Codec::rans);
  EXPECT_EQ(p.quant.clip, ClipMethod::percentile);
  EXPECT_DOUBLE_EQ(p.quant.clip_value, 99.99984);
  EXPECT_FLOAT_EQ(p.quant.scale_floor, 1.0f / 127.0f);
  ASSERT_TRUE(parse_tensor_spec("q6:g64:k12.85:raw", &p).ok());
  EXPECT_EQ(p.dtype, Dtype::q6);
  EXPECT_EQ(p.quant.group_size, 64u);
  EXPECT_EQ(p.quant.clip, ClipMethod::std_k);
  EXPECT_EQ(p.codec, Codec::raw);
  ASSERT_TRUE(parse_tensor_spec("f16", &p).ok());
  EXPECT_EQ(p.codec, Codec::raw);
  ASSERT_TRUE(parse_tensor_spec("q4:g32:floor0.001", &p).ok());
  EXPECT_FLOAT_EQ(p.quant.scale_floor, 0.001f);
}

TEST(Recipe, RejectsBadSpecs) {
  TensorPlan p;
  for (const char* bad : {"", "q9", "q4", "q8:g48", "q8:p0", "q8:p101", "q8:k0", "q8:k-1", "q8:floor1/0", "q8:floor/",
                          "q8:floorx", "f32:g32", "q8:zzz", "q8:p1/"}) {
    Status st = parse_tensor_spec(bad, &p);
    EXPECT_EQ(st.code(), StatusCode::invalid_argument) << bad;
  }
}

TEST(Recipe, GlobAndPrecedence) {
  EXPECT_TRUE(glob_match("blocks.*.mlp.*", "blocks.3.mlp.fc.weight"));
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("tok_emb.weight", "tok_emb.weight"));
  EXPECT_FALSE(glob_match("blocks.*.attn.*", "blocks.3.mlp.fc.weight"));
  EXPECT_TRUE(glob_match("b?ocks*", "blocks.1"));
  PackRecipe r;
  ASSERT_TRUE(r.add_rule("blocks.1.*=q6:k4").ok());
  ASSERT_TRUE(r.add_rule("blocks.*=q4:g32").ok());
  EXPECT_EQ(r.plan_for("blocks.1.mlp.fc.weight", {1024, 512}).dtype, Dtype::q6);
  EXPECT_EQ(r.plan_for("blocks.2.mlp.fc.weight", {1024, 512}).dtype, Dtype::q4);
  EXPECT_EQ(r.plan_for("tok_emb.weight", {1024, 512}).dtype, Dtype::q8);  // default preset
  EXPECT_EQ(r.plan_for("skip_weights", {4, 512}).dtype, Dtype::f32);       // small: control tensor
  ASSERT_TRUE(r.set_preset("challenge").ok());
  TensorPlan c = r.plan_for("tok_emb.weight", {1024, 512});
  EXPECT_EQ(c.quant.clip, ClipMethod::percentile);
  EXPECT_FLOAT_EQ(c.quant.scale_floor, 1.0f / 127.0f);
  r.force_codec(Codec::raw);
  EXPECT_EQ(r.plan_for("blocks.2.mlp.fc.weight", {1024, 512}).codec, Codec::raw);
  EXPECT_FALSE(r.set_preset("nope").ok());
  EXPECT_FALSE(r.add_rule("=q8").ok());
  EXPECT_FALSE(r.add_rule("noequals").ok());
}
