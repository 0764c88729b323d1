// The session's user (--user UID:GID): the init stays root, to reap, to read the whole
// live dir and to write the outbox as its owner, while the child and the probes run as
// the host user who started the run, so that what the session writes in the mounted
// project belongs to that user.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace claude {

struct SessionUser {
  uid_t uid = 0;
  gid_t gid = 0;
};

// Gives the session's user what it must be able to write, before the child starts: the
// live dir with everything in it, the live dir's parent (Claude Code takes a lock beside
// its config dir), $HOME with everything in it (the CLI writes ~/.cache), and the
// terminal on stdin, stdout and stderr. Never follows a symlink and never crosses into
// another file system (the project, stage and outbox mounts keep their owners). Returns
// one line per thing that could not be given (empty: all done); the child starts anyway.
std::vector<std::string> hand_over_to_session_user(const SessionUser& user, const std::string& live_dir,
                                                   const std::string& home);

}  // namespace claude
