#include "core/project_mount.h"

#include <map>

#include <catch2/catch.hpp>

using claude::DotGit;
using claude::find_git_root;
using claude::FolderView;
using claude::plan_project_mount;

namespace {

// Folders, ".git" entries and symlinks held in maps.
class FakeFolders : public FolderView {
 public:
  std::map<std::string, DotGit> git;             // folder -> its .git
  std::map<std::string, std::string> links;      // path -> where it really is
  std::vector<std::string> folders;              // real folders that exist

  std::optional<std::string> real_folder(const std::string& path) const override {
    std::string p = path;
    for (const auto& [from, to] : links) {
      if (p == from || p.rfind(from + "/", 0) == 0) p = to + p.substr(from.size());
    }
    for (const auto& f : folders)
      if (f == p) return p;
    return std::nullopt;
  }
  DotGit dot_git(const std::string& folder) const override {
    auto it = git.find(folder);
    return it == git.end() ? DotGit{} : it->second;
  }
};

FakeFolders infra_tree() {
  FakeFolders v;
  v.folders = {"/", "/home", "/home/al", "/home/al/work", "/home/al/work/infra", "/home/al/work/infra/modules",
               "/home/al/work/infra/modules/net", "/home/al/scratch", "/home/al/wt", "/home/al/wt/feature",
               "/home/al/wt/feature/src", "/home/al/work/infra/vendor", "/home/al/work/infra/vendor/lib",
               "/home/al/work/infra/vendor/lib/src"};
  v.git["/home/al/work/infra"] = {DotGit::kFolder, ""};
  return v;
}

}  // namespace

TEST_CASE("a working directory in a git subfolder mounts the git root, the workdir at the same place inside",
          "[project_mount]") {
  FakeFolders v = infra_tree();
  auto m = plan_project_mount("/home/al/work/infra/modules/net", ".", std::nullopt, "/home/al", v);
  REQUIRE(m.ok());
  CHECK(m->host_root == "/home/al/work/infra");
  CHECK(m->host_workdir == "/home/al/work/infra/modules/net");
  CHECK(m->container_root == "/workspace/infra");
  CHECK(m->container_workdir == "/workspace/infra/modules/net");
  CHECK(m->git_root);
  // At the root itself.
  auto r = plan_project_mount("/", "/home/al/work/infra", std::nullopt, "/home/al", v);
  REQUIRE(r.ok());
  CHECK(r->container_workdir == "/workspace/infra");
}

TEST_CASE("a worktree's or submodule's .git file makes its own folder the top level", "[project_mount]") {
  FakeFolders v = infra_tree();
  v.git["/home/al/wt/feature"] = {DotGit::kFile, "gitdir: /home/al/work/infra/.git/worktrees/feature\n"};
  CHECK(find_git_root("/home/al/wt/feature/src", v) == std::optional<std::string>("/home/al/wt/feature"));
  v.git["/home/al/work/infra/vendor/lib"] = {DotGit::kFile, "gitdir: ../../.git/modules/lib\n"};
  CHECK(find_git_root("/home/al/work/infra/vendor/lib/src", v) ==
        std::optional<std::string>("/home/al/work/infra/vendor/lib"));
  // A .git file that is not a gitfile does not count; the search goes on upwards.
  v.git["/home/al/work/infra/vendor/lib"] = {DotGit::kFile, "not a gitfile"};
  CHECK(find_git_root("/home/al/work/infra/vendor/lib/src", v) == std::optional<std::string>("/home/al/work/infra"));
}

TEST_CASE("nested repositories: the nearest one wins", "[project_mount]") {
  FakeFolders v = infra_tree();
  v.git["/home/al/work/infra/modules"] = {DotGit::kFolder, ""};
  auto m = plan_project_mount("/", "/home/al/work/infra/modules/net", std::nullopt, "/home/al", v);
  REQUIRE(m.ok());
  CHECK(m->host_root == "/home/al/work/infra/modules");
  CHECK(m->container_workdir == "/workspace/modules/net");
}

TEST_CASE("outside any repository the folder itself is mounted", "[project_mount]") {
  FakeFolders v = infra_tree();
  auto m = plan_project_mount("/home/al/scratch", ".", std::nullopt, "/home/al", v);
  REQUIRE(m.ok());
  CHECK(m->host_root == "/home/al/scratch");
  CHECK(m->container_workdir == "/workspace/scratch");
  CHECK_FALSE(m->git_root);
  CHECK(find_git_root("/home/al/scratch", v) == std::nullopt);
}

TEST_CASE("a repository holding the home (dotfiles) is not mounted whole", "[project_mount]") {
  FakeFolders v = infra_tree();
  v.git["/home/al"] = {DotGit::kFolder, ""};
  auto m = plan_project_mount("/home/al/scratch", ".", std::nullopt, "/home/al", v);
  REQUIRE(m.ok());
  CHECK(m->host_root == "/home/al/scratch");
  CHECK(m->note.find("/home/al") != std::string::npos);
}

TEST_CASE("a symlinked working directory is resolved before the search", "[project_mount]") {
  FakeFolders v = infra_tree();
  v.links["/home/al/net"] = "/home/al/work/infra/modules/net";
  auto m = plan_project_mount("/home/al", "net", std::nullopt, "/home/al", v);
  REQUIRE(m.ok());
  CHECK(m->host_root == "/home/al/work/infra");
  CHECK(m->host_workdir == "/home/al/work/infra/modules/net");
  CHECK(m->container_workdir == "/workspace/infra/modules/net");
}

TEST_CASE("--mount-root and --project override the search, and are checked", "[project_mount]") {
  FakeFolders v = infra_tree();
  auto only = plan_project_mount("/x", "/home/al/work/infra/modules/net", std::string("/home/al/work/infra/modules/net"),
                                 "/home/al", v);
  REQUIRE(only.ok());
  CHECK(only->host_root == "/home/al/work/infra/modules/net");
  CHECK(only->container_workdir == "/workspace/net");
  CHECK_FALSE(only->git_root);
  auto outside = plan_project_mount("/", "/home/al/scratch", std::string("/home/al/work/infra"), "/home/al", v);
  REQUIRE_FALSE(outside.ok());
  CHECK(outside.error().detail.find("does not hold") != std::string::npos);
  auto missing = plan_project_mount("/", "/nope", std::nullopt, "/home/al", v);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().fix.find("--project") != std::string::npos);
}
