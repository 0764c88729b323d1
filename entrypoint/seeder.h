// The seed: before the child starts, verify the read-only stage (manifest format, every
// file's size and sha256) and copy it into the live config dir in container form, keeping
// modes. A corrupt or incompatible stage is refused with an Error naming the file, before
// anything is written. A live dir that is already populated (the container restarted) is
// left as it is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/config_rewrite.h"
#include "core/manifest.h"
#include "core/result.h"
#include "core/sync_planner.h"

namespace claude {

// The stage's manifest; nullopt when stage_dir does not exist (no stage mounted). An Error
// naming manifest.json when it is missing from an existing stage, unreadable, or invalid.
Result<std::optional<Manifest>> load_stage_manifest(const std::string& stage_dir);

struct SeedOutcome {
  bool copied = false;       // false: the live dir was already populated, or no stage
  std::size_t files = 0;     // files written into the live dir
  std::uint64_t bytes = 0;
  // What the host already has, per live path: the baseline the sync diffs against, so
  // seeded files that do not change are never published again. Facts are filled in for
  // files this seed wrote; on a restart they are unknown until compared.
  SyncSnapshot baseline;
  std::vector<std::string> warnings;
};

// Verifies every staged file against `manifest` (teaching `mapper` the working directories
// named in .claude.json and the session logs), then, when live_dir is missing or empty,
// copies the tree into it through a sibling temp folder renamed into place (a kill never
// leaves a half-seeded live dir that a restart would mistake for a populated one).
Result<SeedOutcome> seed_live_dir(const std::string& stage_dir, const Manifest& manifest,
                                  const std::string& live_dir, ProjectDirMapper& mapper,
                                  const RewriteOptions& rewrite);

// True when dir exists and has at least one entry.
bool dir_is_populated(const std::string& dir);

}  // namespace claude
