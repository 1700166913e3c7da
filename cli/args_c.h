/* args_c.h: args.h for the C tools (golf-complete): the same parser, options bound to C variables. */
#ifndef GOLF_CLI_ARGS_C_H
#define GOLF_CLI_ARGS_C_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GOLF_ARGS_MAX_THREADS 1024 /* golf::cli::kMaxThreads */

typedef struct golf_args golf_args;

golf_args* golf_args_new(const char* tool, const char* synopsis, const char* about);
void golf_args_free(golf_args* a);
/* names: "-n,--max-tokens". A switch sets *out to 1. */
void golf_args_flag(golf_args* a, const char* names, int* out, const char* help);
void golf_args_int(golf_args* a, const char* names, int* out, long long lo, long long hi, const char* metavar,
                   const char* help);
void golf_args_uint64(golf_args* a, const char* names, uint64_t* out, const char* metavar, const char* help);
void golf_args_float(golf_args* a, const char* names, float* out, double lo, double hi, const char* metavar,
                     const char* help);
void golf_args_string(golf_args* a, const char* names, const char** out, const char* metavar, const char* help);
/* A device name, its syntax checked at parse time (cpu, cuda or cuda:N; golf::cli::check_device). */
void golf_args_device(golf_args* a, const char* names, const char** out, const char* metavar, const char* help);
/* The option declared last must be given. */
void golf_args_required(golf_args* a);
/* At most one argument that is not an option (*out stays as it was when there is none). */
void golf_args_positional(golf_args* a, const char* metavar, const char** out, const char* help);
/* -1: go on; otherwise the exit status (0 after --help, 2 after a usage error, printed as one line). */
int golf_args_parse(golf_args* a, int argc, char** argv);

#ifdef __cplusplus
}
#endif
#endif
