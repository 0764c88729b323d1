#include "entrypoint/metrics_registry.h"

#include <cmath>
#include <cstdio>

namespace claude {
namespace {

// Plain decimal text with no locale: snprintf, which the static binary has anyway
// (std::to_chars for double alone would add 170 KiB to it).
std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

void header(std::string& out, const std::string& name, const std::string& help, const char* type) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

std::string series(const std::string& name, const std::string& labels) {
  return labels.empty() ? name : name + "{" + labels + "}";
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)), buckets_(bounds_.size() + 1) {}

void Histogram::observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  if (v > 0) sum_micro_.fetch_add(static_cast<uint64_t>(std::llround(v * 1e6)), std::memory_order_relaxed);
}

double Histogram::sum() const { return static_cast<double>(sum_micro_.load(std::memory_order_relaxed)) / 1e6; }

Counter& MetricsRegistry::counter(const std::string& name, const std::string& help, const std::string& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  Counter& c = counters_.emplace_back();
  entries_.push_back(Entry{name, help, labels, Entry::Kind::kCounter, &c, nullptr, nullptr, {}});
  return c;
}

Gauge& MetricsRegistry::gauge(const std::string& name, const std::string& help, const std::string& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  Gauge& g = gauges_.emplace_back();
  entries_.push_back(Entry{name, help, labels, Entry::Kind::kGauge, nullptr, &g, nullptr, {}});
  return g;
}

Histogram& MetricsRegistry::histogram(const std::string& name, const std::string& help, std::vector<double> upper_bounds) {
  std::lock_guard<std::mutex> lock(mu_);
  Histogram& h = histograms_.emplace_back(std::move(upper_bounds));
  entries_.push_back(Entry{name, help, {}, Entry::Kind::kHistogram, nullptr, nullptr, &h, {}});
  return h;
}

void MetricsRegistry::computed_gauge(const std::string& name, const std::string& help, std::function<double()> read) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.push_back(Entry{name, help, {}, Entry::Kind::kComputed, nullptr, nullptr, nullptr, std::move(read)});
}

std::string MetricsRegistry::render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  std::string last_name;  // series of one name with different labels share one header
  for (const Entry& e : entries_) {
    const char* type = e.kind == Entry::Kind::kCounter ? "counter"
                       : e.kind == Entry::Kind::kHistogram ? "histogram"
                                                           : "gauge";
    if (e.name != last_name) header(out, e.name, e.help, type);
    last_name = e.name;
    switch (e.kind) {
      case Entry::Kind::kCounter:
        out += series(e.name, e.labels) + " " + std::to_string(e.counter->value()) + "\n";
        break;
      case Entry::Kind::kGauge:
        out += series(e.name, e.labels) + " " + std::to_string(e.gauge->value()) + "\n";
        break;
      case Entry::Kind::kComputed:
        out += e.name + " " + number(e.read()) + "\n";
        break;
      case Entry::Kind::kHistogram: {
        uint64_t cumulative = 0;
        const auto& bounds = e.histogram->bounds();
        for (size_t i = 0; i <= bounds.size(); ++i) {
          cumulative += e.histogram->bucket(i);
          std::string le = i < bounds.size() ? number(bounds[i]) : "+Inf";
          out += e.name + "_bucket{le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
        }
        out += e.name + "_sum " + number(e.histogram->sum()) + "\n";
        out += e.name + "_count " + std::to_string(e.histogram->count()) + "\n";
        break;
      }
    }
  }
  return out;
}

}  // namespace claude
