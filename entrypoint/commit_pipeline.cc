#include "entrypoint/commit_pipeline.h"

namespace claude {

CommitPipeline::~CommitPipeline() {
  {
    std::lock_guard lock(mu_);
    quit_ = true;
  }
  cv_.notify_all();
  // Batches handed over are committed first: the syncer drains its queue, then the linker.
  if (syncer_.joinable()) syncer_.join();
  if (linker_.joinable()) linker_.join();
}

CommitPipeline::Group CommitPipeline::make_group(std::vector<CommitBatch*> batches) {
  Group g;
  for (CommitBatch* b : batches) {
    g.staged = g.staged || !b->staged_paths.empty();
    if (!g.set) {
      g.set = std::move(b->set);
    } else {
      g.set->absorb(*b->set);
      b->set.reset();
    }
  }
  g.batches = std::move(batches);
  return g;
}

void CommitPipeline::make_durable(Group& g) {
  if (g.staged) g.durable = outbox_.make_durable(*g.set);
}

void CommitPipeline::put_in_place(Group& g) {
  Status commit_status = g.durable;
  std::set<std::string> visible;
  if (g.staged && commit_status.ok()) {
    std::vector<std::string> committed;
    commit_status = outbox_.put_in_place(*g.set, &committed);
    visible.insert(committed.begin(), committed.end());
  }
  g.set.reset();  // what was not committed goes
  // Each batch keeps its own records (its owner owes its appends again on a failure); the
  // group writes them all at once.
  std::vector<JournalRecord> all;
  for (CommitBatch* b : g.batches) {
    b->commit_status = commit_status;
    for (const std::string& path : b->staged_paths) {
      if (visible.count(path)) b->visible.insert(path);
    }
    for (auto& [record, put] : b->records) {
      if (put.empty() || visible.count(put)) b->journaled.push_back(std::move(record));
    }
    all.insert(all.end(), b->journaled.begin(), b->journaled.end());
  }
  Status journal_status = outbox_.journal(all);
  for (CommitBatch* b : g.batches) b->journal_status = journal_status;
}

void CommitPipeline::commit_now(CommitBatch& b) {
  Group g = make_group({&b});
  make_durable(g);
  put_in_place(g);
}

void CommitPipeline::submit(CommitBatch& b, std::function<void()> on_done) {
  if (!syncer_.joinable()) {
    syncer_ = std::thread(&CommitPipeline::syncer_main, this);
    linker_ = std::thread(&CommitPipeline::linker_main, this);
  }
  {
    std::lock_guard lock(mu_);
    on_done_ = std::move(on_done);
    queued_.push_back(&b);
  }
  cv_.notify_all();
}

std::size_t CommitPipeline::committed() {
  std::lock_guard lock(mu_);
  return committed_;
}

std::size_t CommitPipeline::wait_committed(std::size_t n) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return committed_ >= n; });
  return committed_;
}

void CommitPipeline::release(std::size_t n) {
  std::lock_guard lock(mu_);
  committed_ -= n;
}

void CommitPipeline::syncer_main() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return quit_ || !queued_.empty(); });
    if (queued_.empty()) break;  // quit_, nothing handed over
    std::vector<CommitBatch*> batches;
    batches.swap(queued_);
    lock.unlock();
    Group g = make_group(std::move(batches));
    make_durable(g);
    lock.lock();
    durable_.push_back(std::move(g));
    cv_.notify_all();
  }
  syncer_gone_ = true;
  cv_.notify_all();
}

void CommitPipeline::linker_main() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return syncer_gone_ || !durable_.empty(); });
    if (durable_.empty()) return;  // the syncer is gone and left nothing
    Group g = std::move(durable_.front());
    durable_.pop_front();
    lock.unlock();
    put_in_place(g);
    lock.lock();
    committed_ += g.batches.size();
    std::function<void()> on_done = on_done_;
    cv_.notify_all();
    lock.unlock();
    if (on_done) on_done();
    lock.lock();
  }
}

}  // namespace claude
