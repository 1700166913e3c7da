// stop_signal.h: SIGINT/SIGTERM as a request to stop. The handler only sets a flag (the one thing a signal
// handler may safely do); the training loop reads it after each step, agrees with the other ranks, writes a
// checkpoint and exits with a message. A second signal while the first is pending restores the default action,
// so a stuck run can still be killed with another Ctrl-C.
#pragma once

namespace golf::train {

void stop_signal_install();
// The signal number received (SIGINT or SIGTERM), or 0.
int stop_signal_received();
// For tests: forget a received signal.
void stop_signal_reset();

}  // namespace golf::train
