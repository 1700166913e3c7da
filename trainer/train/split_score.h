// split_score.h: the post-export score of a run split across its ranks. Rank 0's exported file reaches every rank
// (a broadcast of its bytes: ranks on other nodes need not share its file system), each rank scores its share of
// the validation windows on its own device (train_export::ScoreSettings::part), and the sums are all-reduced, so N
// GPUs score the round trip in about 1/N of the time. One rank: rank 0 scores the whole file from its path.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "communicator.h"  // defines: Communicator
#include "score.h"         // defines: ScoreSettings, ScoreReport
#include "status.h"        // defines: Status

namespace golf::train {

// Collective: every rank calls it. `path` is read on rank 0 only; settings.part/parts are set here (rank, world
// size); settings.device is this rank's device. *out, on every rank: the whole stream's totals and BPB, with
// seconds the slowest rank's and device/device_note rank 0's. A rank that fails returns its own error and the
// others return one that points at it.
Status score_split_across_ranks(Communicator* comm, const std::string& path, const std::vector<int32_t>& tokens,
                                train_export::ScoreSettings settings, train_export::ScoreReport* out);

}  // namespace golf::train
