// Clean shutdown on SIGINT/SIGTERM for daemons.
#ifndef MINIK8S_COMMON_SIGNALS_H_
#define MINIK8S_COMMON_SIGNALS_H_

#include <functional>

namespace minik8s {

// Blocks SIGINT and SIGTERM in the calling thread (call it first in main, before
// any thread starts, so every thread inherits the mask) and returns. Then
// WaitForShutdownSignal() waits for one of them.
void BlockShutdownSignals();

// Waits until SIGINT or SIGTERM arrives; returns the signal number.
int WaitForShutdownSignal();

// Whether SIGINT or SIGTERM has arrived and waits, blocked, to be taken
// (a long start-up step polls it to give up early). Does not take it.
bool ShutdownSignalPending();

}  // namespace minik8s

#endif  // MINIK8S_COMMON_SIGNALS_H_
