// Prometheus metrics with no work on the event loop's idle path: counters, gauges and
// histograms are atomics registered once at startup; the HTTP thread renders them in the
// text exposition format when /metrics is asked. Metric objects live as long as the
// registry and never move, so references handed out stay valid.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace claude {

class Counter {
 public:
  void inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void add(int64_t d) { value_.fetch_add(d, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Cumulative buckets with fixed upper bounds (seconds or any unit the name says).
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  // Count of observations <= bounds()[i] (not cumulative), then the +Inf bucket.
  uint64_t bucket(size_t i) const { return buckets_[i].load(std::memory_order_relaxed); }
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const;

 private:
  std::vector<double> bounds_;
  std::deque<std::atomic<uint64_t>> buckets_;  // bounds_.size() + 1 (the last is +Inf)
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_micro_{0};  // sum in millionths, so it stays a lock-free atomic
};

class MetricsRegistry {
 public:
  // Registration: call at startup, before the HTTP thread starts. `name` is a full
  // Prometheus name (claude_init_...); `labels` is "" or `key="value",...`.
  Counter& counter(const std::string& name, const std::string& help, const std::string& labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, const std::string& labels = {});
  Histogram& histogram(const std::string& name, const std::string& help, std::vector<double> upper_bounds);
  // A value computed when rendered (e.g. uptime); `read` runs on the HTTP thread.
  void computed_gauge(const std::string& name, const std::string& help, std::function<double()> read);

  // The text exposition format (version 0.0.4), in registration order.
  std::string render() const;

 private:
  struct Entry {
    std::string name, help, labels;
    enum class Kind { kCounter, kGauge, kHistogram, kComputed } kind;
    Counter* counter = nullptr;
    Gauge* gauge = nullptr;
    Histogram* histogram = nullptr;
    std::function<double()> read;
  };
  mutable std::mutex mu_;  // guards entries_ against late registration only
  std::deque<Counter> counters_;
  std::deque<Gauge> gauges_;
  std::deque<Histogram> histograms_;
  std::vector<Entry> entries_;
};

}  // namespace claude
