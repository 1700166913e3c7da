// test_model_errors.cpp: what the model does with bad input: a missing or misshapen tensor, a bad config, bad
// session options, token ids outside the vocabulary and a full context all give a clear Status (no crash), and a
// failed decode changes nothing.
#include <gtest/gtest.h>

#include <cstdio>
#include <vector>

#include "golf_writer.h"
#include "model.h"
#include "session.h"
#include "tiny_model.h"

namespace {

using golf_test::TinyModelSpec;

golf::Status load_spec(const TinyModelSpec& spec, const std::string& name, std::unique_ptr<golf::Model>* out) {
  const std::string path = ::testing::TempDir() + "golf_model_err_" + name + ".golf";
  GOLF_RETURN_IF_ERROR(golf_test::write_tiny_model(spec, path));
  golf::Status st = golf::Model::load_file(path, golf::ModelOptions(), out);
  std::remove(path.c_str());  // a loaded model keeps its mapping
  return st;
}

TinyModelSpec tiny_spec() {
  TinyModelSpec spec;
  spec.config = golf_test::tiny_config();
  return spec;
}

TEST(ModelErrors, MissingTensorIsNamed) {
  for (const char* name : {"blocks.1.mlp.fc.weight", "skip_weights", "blocks.2.attn.q_gain", "tok_emb.weight"}) {
    TinyModelSpec spec = tiny_spec();
    spec.drop.insert(name);
    std::unique_ptr<golf::Model> m;
    golf::Status st = load_spec(spec, "missing", &m);
    EXPECT_FALSE(st.ok());
    EXPECT_EQ(st.code(), golf::StatusCode::bad_format);
    EXPECT_NE(st.message().find(std::string("missing tensor '") + name + "'"), std::string::npos) << st.message();
    EXPECT_EQ(m, nullptr);
  }
}

TEST(ModelErrors, WrongShapeIsNamed) {
  TinyModelSpec spec = tiny_spec();
  spec.reshape["blocks.0.attn.c_k.weight"] = {64, 64};  // the config needs [kv = 32, 64]
  std::unique_ptr<golf::Model> m;
  golf::Status st = load_spec(spec, "shape", &m);
  EXPECT_EQ(st.code(), golf::StatusCode::bad_format);
  EXPECT_NE(st.message().find("tensor 'blocks.0.attn.c_k.weight': shape [64, 64], the config needs [32, 64]"),
            std::string::npos)
      << st.message();
  spec = tiny_spec();
  spec.weights = "q8";
  spec.reshape["blocks.1.mlp_scale"] = {2, 64};
  st = load_spec(spec, "shape2", &m);
  EXPECT_NE(st.message().find("tensor 'blocks.1.mlp_scale': shape [2, 64], the config needs [64]"), std::string::npos)
      << st.message();
}

TEST(ModelErrors, BadConfig) {
  golf::GolfWriter w;
  golf::ModelConfig c = golf_test::tiny_config();
  golf::model_config_to_kv(c, &w.config());
  w.config().set_int("num_kv_heads", 3, true);  // does not divide 4 heads
  const std::string path = ::testing::TempDir() + "golf_model_err_config.golf";
  ASSERT_TRUE(w.write_file(path).ok());
  std::unique_ptr<golf::Model> m;
  golf::Status st = golf::Model::load_file(path, golf::ModelOptions(), &m);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("num_kv_heads"), std::string::npos) << st.message();
  std::remove(path.c_str());
  st = golf::Model::load(nullptr, golf::ModelOptions(), &m);
  EXPECT_EQ(st.code(), golf::StatusCode::invalid_argument);
  st = golf::Model::load_file(::testing::TempDir() + "no_such_file.golf", golf::ModelOptions(), &m);
  EXPECT_FALSE(st.ok());
}

class SessionErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(load_spec(tiny_spec(), "session", &model_).ok());
    golf::SessionOptions so;
    so.n_threads = 2;
    so.n_ctx = 8;
    ASSERT_TRUE(golf::Session::create(*model_, so, &session_).ok());
  }
  std::unique_ptr<golf::Model> model_;
  std::unique_ptr<golf::Session> session_;
};

TEST_F(SessionErrors, TokenOutOfRange) {
  std::vector<float> logits(64);
  for (int32_t bad : {-1, 64, 1 << 30}) {
    const int32_t tokens[3] = {1, bad, 2};
    golf::Status st = session_->decode(tokens, 3, logits.data(), false);
    EXPECT_EQ(st.code(), golf::StatusCode::invalid_argument);
    EXPECT_NE(st.message().find("token 1 has id " + std::to_string(bad)), std::string::npos) << st.message();
    EXPECT_EQ(session_->n_past(), 0);
  }
}

TEST_F(SessionErrors, ContextFull) {
  std::vector<float> logits(64);
  const int32_t tokens[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  ASSERT_TRUE(session_->decode(tokens, 6, logits.data(), false).ok());
  golf::Status st = session_->decode(tokens, 3, logits.data(), false);
  EXPECT_EQ(st.code(), golf::StatusCode::invalid_argument);
  EXPECT_NE(st.message().find("context full"), std::string::npos) << st.message();
  EXPECT_EQ(session_->n_past(), 6);
  EXPECT_TRUE(session_->decode(tokens, 2, logits.data(), false).ok());
  EXPECT_EQ(session_->n_past(), 8);
  EXPECT_FALSE(session_->decode(tokens, 1, logits.data(), false).ok());
  session_->reset();
  EXPECT_TRUE(session_->decode(tokens, 8, logits.data(), false).ok());
}

TEST_F(SessionErrors, BadArguments) {
  std::vector<float> logits(64);
  EXPECT_EQ(session_->decode(nullptr, 2, logits.data(), false).code(), golf::StatusCode::invalid_argument);
  const int32_t t = 1;
  EXPECT_EQ(session_->decode(&t, -1, logits.data(), false).code(), golf::StatusCode::invalid_argument);
  EXPECT_TRUE(session_->decode(&t, 0, logits.data(), false).ok());
  EXPECT_EQ(session_->n_past(), 0);
  golf::SessionOptions so;
  so.n_ctx = -5;
  std::unique_ptr<golf::Session> s;
  EXPECT_EQ(golf::Session::create(*model_, so, &s).code(), golf::StatusCode::invalid_argument);
  so.n_ctx = 1 << 30;
  EXPECT_EQ(golf::Session::create(*model_, so, &s).code(), golf::StatusCode::invalid_argument);
  so.n_ctx = 0;  // max_seq_len
  ASSERT_TRUE(golf::Session::create(*model_, so, &s).ok());
  EXPECT_EQ(s->n_ctx(), 64);
}

}  // namespace
