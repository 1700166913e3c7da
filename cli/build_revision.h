// build_revision.h: the git revision the binaries were built from (meson's vcs_tag at build time), recorded in
// run.log and model.golf. Not `git describe` of the current directory: a run started inside another repository
// would record that repository's commit.
#pragma once

namespace golf::cli {

// "v0.1-12-gabc1234-dirty", or "" when the tree was not a git checkout at build time.
const char* build_revision();

}  // namespace golf::cli
