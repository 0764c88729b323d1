#include "hostside/process_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace claude::host {
namespace {

// Closes its fds on scope exit.
struct Pipe {
  int fd[2] = {-1, -1};
  ~Pipe() {
    for (int f : fd)
      if (f >= 0) ::close(f);
  }
  void close_end(int i) {
    if (fd[i] >= 0) ::close(fd[i]);
    fd[i] = -1;
  }
};

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const auto& a : argv) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

int wait_status(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 127;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 127;
}

}  // namespace

Result<ProcessResult> SystemProcessRunner::capture(const std::vector<std::string>& argv, const std::string& input) {
  if (argv.empty()) return Error{"run a program", "", EINVAL, "no program given", ""};
  Pipe in, out, err;
  if (::pipe2(in.fd, O_CLOEXEC) != 0 || ::pipe2(out.fd, O_CLOEXEC) != 0 || ::pipe2(err.fd, O_CLOEXEC) != 0)
    return Error{"create pipes for", argv[0], errno, "", ""};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.fd[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out.fd[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err.fd[1], 2);
  pid_t pid = 0;
  auto args = c_argv(argv);
  int rc = ::posix_spawnp(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0)
    return Error{"start", argv[0], rc, "", "install it or put it on PATH"};
  in.close_end(0);
  out.close_end(1);
  err.close_end(1);
  // Feed stdin and drain both outputs together, so that a chatty child never blocks on
  // a full pipe while we block writing its input.
  ProcessResult result;
  size_t written = 0;
  if (input.empty()) in.close_end(1);
  ::signal(SIGPIPE, SIG_IGN);
  while (out.fd[0] >= 0 || err.fd[0] >= 0) {
    pollfd fds[3];
    int n = 0;
    int idx_in = -1, idx_out = -1, idx_err = -1;
    if (in.fd[1] >= 0) { idx_in = n; fds[n++] = {in.fd[1], POLLOUT, 0}; }
    if (out.fd[0] >= 0) { idx_out = n; fds[n++] = {out.fd[0], POLLIN, 0}; }
    if (err.fd[0] >= 0) { idx_err = n; fds[n++] = {err.fd[0], POLLIN, 0}; }
    if (::poll(fds, static_cast<nfds_t>(n), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (idx_in >= 0 && fds[idx_in].revents) {
      ssize_t w = ::write(in.fd[1], input.data() + written, input.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      if (w < 0 || written == input.size()) in.close_end(1);
    }
    auto drain = [](int idx, pollfd* f, Pipe& p, std::string& sink) {
      if (idx < 0 || !f[idx].revents) return;
      char buf[65536];
      ssize_t r = ::read(p.fd[0], buf, sizeof buf);
      if (r > 0) sink.append(buf, static_cast<size_t>(r));
      else if (r == 0 || errno != EINTR) p.close_end(0);
    };
    drain(idx_out, fds, out, result.out);
    drain(idx_err, fds, err, result.err);
  }
  in.close_end(1);
  result.exit_code = wait_status(pid);
  return result;
}

Result<int> SystemProcessRunner::interactive(const std::vector<std::string>& argv) {
  if (argv.empty()) return Error{"run a program", "", EINVAL, "no program given", ""};
  pid_t pid = 0;
  auto args = c_argv(argv);
  int rc = ::posix_spawnp(&pid, argv[0].c_str(), nullptr, nullptr, args.data(), environ);
  if (rc != 0) return Error{"start", argv[0], rc, "", "install it or put it on PATH"};
  // The child shares our terminal: a Ctrl-C reaches both; we wait for it to finish
  // (docker forwards the signal to the container) instead of dying first.
  struct sigaction ignore{}, old_int{}, old_quit{};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGINT, &ignore, &old_int);
  ::sigaction(SIGQUIT, &ignore, &old_quit);
  int status = wait_status(pid);
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGQUIT, &old_quit, nullptr);
  return status;
}

bool SystemProcessRunner::available(const std::string& program) {
  if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    std::string dir = p.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + program;
    struct stat st{};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0)
      return true;
    start = end + 1;
  }
  return false;
}

Result<ProcessResult> FakeProcessRunner::capture(const std::vector<std::string>& argv, const std::string& input) {
  calls.push_back(argv);
  inputs.push_back(input);
  auto it = answers.find(argv.empty() ? std::string() : argv[0]);
  if (it == answers.end()) return ProcessResult{127, "", "not found"};
  return it->second;
}

Result<int> FakeProcessRunner::interactive(const std::vector<std::string>& argv) {
  auto r = capture(argv, "");
  if (!r.ok()) return r.error();
  return r->exit_code;
}

}  // namespace claude::host
