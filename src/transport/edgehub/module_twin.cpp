#include "transport/edgehub/module_twin.h"

#include "core/log.h"
#include "transport/edgehub/topics.h"

namespace edgeguard::edgehub {
namespace {

std::shared_ptr<spdlog::logger> logger() { return log::get("edgehub.twin"); }

constexpr std::chrono::milliseconds kMaxGetTimeout = std::chrono::minutes(5);
constexpr std::chrono::milliseconds kReportRetry = std::chrono::seconds(10);

const char* outcome_name(TwinUpdate::Outcome outcome) {
  switch (outcome) {
    case TwinUpdate::Outcome::Applied: return "applied";
    case TwinUpdate::Outcome::Rejected: return "rejected";
    case TwinUpdate::Outcome::Ignored: return "ignored";
  }
  return "?";
}

}  // namespace

ModuleTwinClient::ModuleTwinClient(TwinConfiguration& configuration, UpdateCallback on_update,
                                   std::chrono::milliseconds response_timeout)
    : configuration_(configuration), on_update_(std::move(on_update)), response_timeout_(response_timeout) {}

bool ModuleTwinClient::first_twin_settled() const {
  std::lock_guard lock(mutex_);
  return settled_;
}

bool ModuleTwinClient::wait_first_twin_settled(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return settled_changed_.wait_for(lock, timeout, [&] { return settled_; });
}

uint64_t ModuleTwinClient::reports_acknowledged() const {
  std::lock_guard lock(mutex_);
  return reports_acknowledged_;
}

void ModuleTwinClient::settle() {
  bool first = false;
  {
    std::lock_guard lock(mutex_);
    first = !settled_;
    settled_ = true;
  }
  settled_changed_.notify_all();
  if (first && ready_callback_) ready_callback_();
}

std::string ModuleTwinClient::next_rid() { return std::to_string(++rid_counter_); }

void ModuleTwinClient::request_twin() {
  get_rid_ = next_rid();
  get_sent_at_ = SteadyClock::now();
  if (!connection_ || !connection_->publish_now(twin_get_topic(get_rid_), "")) {
    logger()->warn("could not request the module twin; retrying");
  }
}

void ModuleTwinClient::report() {
  report_rid_ = next_rid();
  report_sent_at_ = SteadyClock::now();
  report_due_at_.reset();
  const std::string body = configuration_.reported_patch().dump();
  if (!connection_ || !connection_->publish_now(twin_reported_patch_topic(report_rid_), body)) {
    report_rid_.clear();
    report_due_at_ = SteadyClock::now() + kReportRetry;
  }
}

void ModuleTwinClient::on_connected() {
  // Notifications are not replayed across connections: reconcile with a full GET.
  get_timeout_ = response_timeout_;
  report_rid_.clear();
  report_due_at_.reset();
  request_twin();
  if (first_twin_settled() && ready_callback_) ready_callback_();
}

void ModuleTwinClient::on_disconnected() {
  get_rid_.clear();
  report_rid_.clear();
}

void ModuleTwinClient::on_tick() {
  const auto now = SteadyClock::now();
  if (!get_rid_.empty() && now - get_sent_at_ > get_timeout_) {
    if (!first_twin_settled()) {
      logger()->error("Remote Configuration / Timeout: edgeHub did not answer the module twin GET within {} s; "
                      "running with the local configuration meanwhile and asking again",
                      get_timeout_.count() / 1000);
      settle();
    } else {
      logger()->warn("edgeHub did not answer the module twin GET within {} s; asking again", get_timeout_.count() / 1000);
    }
    get_timeout_ = std::min(get_timeout_ * 2, kMaxGetTimeout);
    request_twin();
  }
  if (!report_rid_.empty() && now - report_sent_at_ > response_timeout_) {
    logger()->warn("edgeHub did not acknowledge the reported properties within {} s; reporting again",
                   response_timeout_.count() / 1000);
    report();
  } else if (report_due_at_ && now >= *report_due_at_) {
    report();
  }
}

void ModuleTwinClient::handle(const TwinUpdate& update, const std::string& source) {
  for (const auto& key : update.unknown_keys) {
    logger()->warn("{}: unknown configuration key \"{}\" in {} ignored", source, key, kTwinConfigObject);
  }
  if (update.outcome == TwinUpdate::Outcome::Ignored) {
    logger()->debug("{}: nothing for this agent", source);
  } else {
    logger()->info("{}: configuration {}{}{}", source, outcome_name(update.outcome),
                   update.outcome == TwinUpdate::Outcome::Applied && !update.changed ? " (unchanged)" : "",
                   update.problems.empty() ? "" : " with " + std::to_string(update.problems.size()) + " problem(s)");
    for (const auto& problem : update.problems) {
      logger()->error("configuration {} ({}): {}", problem.key, to_string(problem.type), problem.message);
    }
    if (on_update_) on_update_(update, source);
    report();
  }
  if (update.resync_needed) {
    logger()->info("{}: desired-property notifications were missed; fetching the whole twin", source);
    request_twin();
  }
}

void ModuleTwinClient::on_message(const std::string& topic, const std::string& payload) {
  std::string error;
  const auto parsed = parse_twin_topic(topic, &error);
  if (!parsed) {
    logger()->warn("ignored a message on unexpected topic \"{}\": {}", topic.substr(0, 200), error);
    return;
  }
  if (parsed->kind == TwinTopic::Kind::DesiredPatch) {
    const std::string source =
        "desired patch" + (parsed->version ? " $version " + std::to_string(*parsed->version) : std::string());
    handle(configuration_.apply_desired_patch(payload), source);
    return;
  }
  if (!get_rid_.empty() && parsed->rid == get_rid_) {
    get_rid_.clear();
    if (parsed->status != 200) {
      logger()->warn("edgeHub answered the module twin GET with status {}; asking again in {} s", parsed->status,
                     get_timeout_.count() / 1000);
      get_rid_ = "pending-retry";  // retried by on_tick once the timeout passes
      get_sent_at_ = SteadyClock::now();
      return;
    }
    handle(configuration_.apply_full_twin(payload), "twin GET");
    settle();
    return;
  }
  if (!report_rid_.empty() && parsed->rid == report_rid_) {
    report_rid_.clear();
    if (parsed->status >= 200 && parsed->status < 300) {
      std::lock_guard lock(mutex_);
      ++reports_acknowledged_;
      logger()->debug("reported properties accepted (status {}, reported $version {})", parsed->status,
                      parsed->version ? std::to_string(*parsed->version) : std::string("?"));
    } else {
      logger()->warn("edgeHub answered the reported-properties patch with status {}; reporting again in {} s",
                     parsed->status, kReportRetry.count() / 1000);
      report_due_at_ = SteadyClock::now() + kReportRetry;
    }
    return;
  }
  logger()->debug("twin response for an unknown request ($rid {}, status {})", parsed->rid, parsed->status);
}

}  // namespace edgeguard::edgehub
