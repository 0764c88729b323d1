// The options `stage` and `run` share (project, history, mappings, excludes, image,
// docker arguments), read from the command line, and the docker invocation they lead to.
#pragma once

#include <string>
#include <vector>

#include "hostside/alerter.h"
#include "hostside/cli_args.h"
#include "hostside/credential_store.h"
#include "hostside/docker_invocation.h"
#include "hostside/host_context.h"
#include "hostside/stager.h"

namespace claude::host {

struct StageCommandOptions {
  StageOptions stage;
  std::string image;
  std::vector<std::string> docker_args;
  bool json = false;
  std::vector<std::string> notes;  // said on stderr before the run (which folder is mounted, why)
};

// Reads --project DIR, --mount-root DIR | --no-project, --history MODE, --map H=C..., --exclude GLOB...,
// --run ID, --lock-timeout S, --image NAME, --docker-arg ARG..., --json. Adds the
// --exclude globs to ctx.config.
Result<StageCommandOptions> read_stage_options(HostContext& ctx, CliArgs& args);

// The docker run invocation for a staged run.
DockerInvocation invocation_for(const HostContext& ctx, const StageCommandOptions& options,
                                const StageReport& report, const std::vector<std::string>& command);

// The environment of this process as "NAME=value" strings (for passthrough_env_names).
std::vector<std::string> process_environment();

// Stages (reading back any pending outbox first, under the same lock); used by `stage`
// and `run`.
Result<StageReport> stage_with_pending(HostContext& ctx, const StageCommandOptions& options, AlertSink& alerts,
                                       CredentialStore& credentials);

extern const char* const kStageOptionsHelp;

}  // namespace claude::host
