// args_c.cpp: the C binding of args.h (see args_c.h). Strings handed out are copies owned by the golf_args, valid
// until golf_args_free.
#include "args_c.h"

#include <deque>
#include <new>

#include "args.h"

static_assert(GOLF_ARGS_MAX_THREADS == golf::cli::kMaxThreads, "the C tools' --threads bound is the C++ tools'");

struct golf_args {
  golf::cli::ArgParser parser;
  std::vector<std::string> positional;
  const char** positional_out = nullptr;
  std::deque<std::string> values;  // a deque: pointers to earlier elements stay valid as it grows
};

extern "C" {

golf_args* golf_args_new(const char* tool, const char* synopsis, const char* about) {
  return new (std::nothrow) golf_args{golf::cli::ArgParser(tool, synopsis, about ? about : ""), {}, nullptr, {}};
}

void golf_args_free(golf_args* a) { delete a; }

void golf_args_flag(golf_args* a, const char* names, int* out, const char* help) {
  a->parser.option(names, "", help, [out](const std::string&) {
    *out = 1;
    return std::string();
  });
}

void golf_args_int(golf_args* a, const char* names, int* out, long long lo, long long hi, const char* metavar,
                   const char* help) {
  a->parser.integer(names, out, lo, hi, help, metavar);
}

void golf_args_uint64(golf_args* a, const char* names, uint64_t* out, const char* metavar, const char* help) {
  a->parser.unsigned64(names, out, help, metavar);
}

void golf_args_float(golf_args* a, const char* names, float* out, double lo, double hi, const char* metavar,
                     const char* help) {
  a->parser.real(names, out, lo, hi, help, metavar);
}

void golf_args_string(golf_args* a, const char* names, const char** out, const char* metavar, const char* help) {
  a->parser.option(names, metavar, help, [out, a](const std::string& v) {
    if (v.empty()) return std::string("expected a non-empty value");
    a->values.push_back(v);
    *out = a->values.back().c_str();
    return std::string();
  });
}

void golf_args_device(golf_args* a, const char* names, const char** out, const char* metavar, const char* help) {
  a->parser.option(names, metavar, help, [out, a](const std::string& v) {
    const std::string problem = golf::cli::check_device(v);
    if (!problem.empty()) return problem;
    a->values.push_back(v);
    *out = a->values.back().c_str();
    return std::string();
  });
}

void golf_args_required(golf_args* a) { a->parser.required(); }

void golf_args_positional(golf_args* a, const char* metavar, const char** out, const char* help) {
  a->positional_out = out;
  a->parser.positionals(metavar, &a->positional, 0, 1, help);
}

int golf_args_parse(golf_args* a, int argc, char** argv) {
  const int rc = a->parser.parse(argc, argv);
  if (rc < 0 && a->positional_out && !a->positional.empty()) *a->positional_out = a->positional[0].c_str();
  return rc;
}

}  // extern "C"
