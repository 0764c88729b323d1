#include "hostside/alert_rules.h"

namespace claude::host {

nlohmann::json Alert::to_json() const {
  return {{"key", key}, {"severity", severity}, {"title", title}, {"text", text}, {"run_id", run_id}, {"trace_id", trace_id}};
}

std::optional<Alert> readback_alert(const std::string& run_id, const std::string& trace_id,
                                    const std::optional<std::string>& failure,
                                    const std::vector<std::string>& unverifiable) {
  if (failure) {
    return Alert{"readback-failed", "critical", "claude-host: read-back of run " + run_id + " failed",
                 *failure + "\nYour host files were not changed by this attempt. Fix the cause and run "
                 "`claude-host readback --run " + run_id + "`.",
                 run_id, trace_id};
  }
  if (unverifiable.empty()) return std::nullopt;
  std::string text = "These outbox files do not match the journal and were not merged:";
  for (const auto& u : unverifiable) text += "\n- " + u;
  text += "\nEverything else was merged. The outbox is kept in ~/.claude-docker/runs/" + run_id + "/outbox.";
  return Alert{"corruption", "critical", "claude-host: corrupt outbox in run " + run_id, text, run_id, trace_id};
}

std::vector<Alert> run_health_alerts(const std::string& run_id, const std::string& trace_id,
                                     const nlohmann::json& run_report, const std::vector<nlohmann::json>& events,
                                     int repeat_threshold) {
  std::vector<Alert> out;
  std::vector<std::string> reasons;
  if (run_report.is_object()) {
    if (run_report.value("flush_complete", true) == false) reasons.push_back("the last changes were not all flushed");
    if (run_report.value("killed_after_grace", false)) reasons.push_back("the container had to be killed after its grace period");
    auto errors = run_report.find("errors");
    if (errors != run_report.end() && errors->is_array() && !errors->empty())
      reasons.push_back(std::to_string(errors->size()) + " sync error(s) reported");
  }
  int error_events = 0;
  std::string last_error;
  for (const auto& e : events) {
    if (!e.is_object()) continue;
    std::string name = e.value("event", "");
    if (name == "error" || name == "publish_failed") {
      ++error_events;
      last_error = e.value("message", e.dump());
    }
    if (name == "health" && e.value("status", "") == "unhealthy")
      reasons.push_back("the init reported unhealthy: " + e.value("reason", std::string("no reason")));
  }
  if (!reasons.empty()) {
    std::string text = "Run " + run_id + " ended unhealthy:";
    for (const auto& r : reasons) text += "\n- " + r;
    text += "\nSee ~/.claude-docker/runs/" + run_id + "/outbox/reports/ and `claude-host status`.";
    out.push_back({"unhealthy-run", "warning", "claude-host: run " + run_id + " was unhealthy", text, run_id, trace_id});
  }
  if (error_events >= repeat_threshold) {
    out.push_back({"sync-failures", "critical",
                   "claude-host: " + std::to_string(error_events) + " sync failures in run " + run_id,
                   "The init failed to sync changes " + std::to_string(error_events) +
                       " times; the last: " + last_error +
                       "\nCheck free space and permissions of the outbox (~/.claude-docker/runs/" + run_id + "/outbox).",
                   run_id, trace_id});
  }
  return out;
}

std::optional<Alert> stale_backup_alert(std::optional<std::int64_t> newest_age_s, std::int64_t max_age_s) {
  if (newest_age_s && *newest_age_s <= max_age_s) return std::nullopt;
  std::string age = newest_age_s ? std::to_string(*newest_age_s / 3600) + " hours old" : "missing";
  return Alert{"stale-backup", "warning", "claude-host: the newest backup is " + age,
               "No backup of ~/.claude in the last " + std::to_string(max_age_s / 3600) +
                   " hours. Run `claude-host backup create` (or a read-back, which backs up first).",
               "", ""};
}

std::string webhook_body(const Alert& alert) {
  nlohmann::json body = {
      {"text", alert.title},
      {"attachments",
       {{{"color", alert.severity == "critical" ? "danger" : "warning"},
         {"title", alert.title},
         {"text", alert.text},
         {"fields",
          {{{"title", "run"}, {"value", alert.run_id}, {"short", true}},
           {{"title", "trace"}, {"value", alert.trace_id}, {"short", true}},
           {{"title", "alert"}, {"value", alert.key}, {"short", true}}}}}}}};
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace claude::host
