/* golf.h: the C API of libgolf (load a .golf model, tokenize, run, sample, score BPB). Being written. */
#ifndef GOLF_H
#define GOLF_H
#endif
