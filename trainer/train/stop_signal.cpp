// stop_signal.cpp: the SIGINT/SIGTERM flag (see stop_signal.h).
#include "stop_signal.h"

#include <signal.h>

namespace golf::train {

namespace {

volatile sig_atomic_t g_signal = 0;

extern "C" void on_stop_signal(int sig) {
  if (g_signal != 0) {
    // Second request: let the default action (termination) happen.
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  g_signal = sig;
}

}  // namespace

void stop_signal_install() {
  struct sigaction sa = {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // blocking reads and writes continue; the loop polls the flag
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

int stop_signal_received() { return (int)g_signal; }

void stop_signal_reset() { g_signal = 0; }

}  // namespace golf::train
