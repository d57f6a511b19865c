#include "client/event_recorder.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "client/resource.h"
#include "spdlog/spdlog.h"

namespace minik8s::client {
namespace {

using google::protobuf::Message;
using minik8s::core::v1::Event;
using minik8s::core::v1::ObjectReference;

class ApiEventSink : public EventSink {
 public:
  explicit ApiEventSink(ApiClient* api) : api_(api) {}
  absl::StatusOr<Event> Create(const Event& event) override {
    Event out;
    absl::Status s = api_->Create("events", event.metadata().namespace_(), event, &out);
    if (!s.ok()) return s;
    return out;
  }
  absl::StatusOr<Event> Patch(absl::string_view ns, absl::string_view name,
                              absl::string_view merge_patch_json) override {
    Event out;
    absl::Status s = api_->Patch("events", ns, name, "", merge_patch_json, &out);
    if (!s.ok()) return s;
    return out;
  }

 private:
  ApiClient* api_;
};

std::string StringField(const Message& m, const char* name) {
  const auto* f = m.GetDescriptor()->FindFieldByName(name);
  if (f == nullptr || f->type() != google::protobuf::FieldDescriptor::TYPE_STRING ||
      f->is_repeated()) {
    return "";
  }
  return m.GetReflection()->GetString(m, f);
}

void SetTime(minik8s::meta::v1::Time* out, absl::Time t) {
  out->set_seconds(absl::ToUnixSeconds(t));
  out->set_nanos(0);
}

// Truncated to the microsecond, as MicroTime serializes.
void SetMicroTime(minik8s::meta::v1::MicroTime* out, absl::Time t) {
  const int64_t micros = absl::ToUnixMicros(t);
  int64_t seconds = micros / 1000000;
  int64_t rest = micros % 1000000;
  if (rest < 0) {
    rest += 1000000;
    --seconds;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(rest * 1000));
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

// A JSON string literal of `s` (quotes included).
std::string JsonString(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppend(&out, "\\u00", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
        } else {
          out += c;
        }
    }
  }
  out += "\"";
  return out;
}

// fmt formats std::string_view, not absl::string_view.
std::string_view Sv(absl::string_view s) { return std::string_view(s.data(), s.size()); }

constexpr char kSep[] = "\x1f";
constexpr char kAggregatePrefix[] = "(combined from similar events): ";
// At most one info line this often about spam-filtered events.
constexpr absl::Duration kSpamLogPeriod = absl::Minutes(1);

}  // namespace

std::unique_ptr<EventSink> NewApiEventSink(ApiClient* api) {
  return std::make_unique<ApiEventSink>(api);
}

ObjectReference ReferenceTo(const Message& object) {
  ObjectReference ref;
  const auto& meta = MetaOf(object);
  if (const ResourceInfo* info = ResourceFor(object.GetDescriptor())) {
    ref.set_kind(info->kind);
    ref.set_api_version(info->api_version);
  } else {
    ref.set_kind(StringField(object, "kind"));
    ref.set_api_version(StringField(object, "api_version"));
  }
  ref.set_namespace_(meta.namespace_());
  ref.set_name(meta.name());
  ref.set_uid(meta.uid());
  ref.set_resource_version(meta.resource_version());
  return ref;
}

EventRecorder::EventRecorder(EventSink* sink, EventRecorderOptions options)
    : sink_(sink),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : common::RealClock::Get()) {
  worker_ = std::thread([this] { WorkerLoop(); });
}

EventRecorder::~EventRecorder() { Shutdown(); }

void EventRecorder::Event(const Message& object, absl::string_view type, absl::string_view reason,
                          absl::string_view message) {
  Event(ReferenceTo(object), type, reason, message);
}

void EventRecorder::Event(const ObjectReference& ref, absl::string_view type,
                          absl::string_view reason, absl::string_view message) {
  const absl::Time now = clock_->Now();
  std::string spam_key;
  if (options_.spam_burst > 0) {
    spam_key =
        absl::StrCat(options_.component, kSep, options_.host, kSep, ref.kind(), kSep,
                     ref.namespace_(), kSep, ref.name(), kSep, ref.uid(), kSep, ref.api_version());
  }
  int64_t filtered_to_log = 0;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    if (queue_.size() >= options_.queue_size) {
      ++dropped_;
      spdlog::warn("event recorder: queue full, dropping event {} {} on {}/{}: {}", Sv(type),
                   Sv(reason), ref.namespace_(), ref.name(), Sv(message));
      return;
    }
    if (options_.spam_burst <= 0 || TakeSpamToken(std::move(spam_key), now)) {
      queue_.push_back(
          Pending{ref, std::string(type), std::string(reason), std::string(message), now});
      return;
    }
    ++spam_filtered_;
    ++spam_unlogged_;
    if (now - spam_logged_ >= kSpamLogPeriod) {
      filtered_to_log = spam_unlogged_;
      spam_unlogged_ = 0;
      spam_logged_ = now;
    }
  }
  // Logged outside the lock, and only now and then: under load the logging
  // itself would cost more than the events.
  spdlog::debug("event recorder: too many events from {} about {} {}/{}, dropping {} {}: {}",
                options_.component, ref.kind(), ref.namespace_(), ref.name(), Sv(type), Sv(reason),
                Sv(message));
  if (filtered_to_log > 0) {
    spdlog::info(
        "event recorder: {} dropped {} event(s) about objects that had more than {} recent "
        "events (latest: {} {} on {} {}/{})",
        options_.component, filtered_to_log, options_.spam_burst, Sv(type), Sv(reason), ref.kind(),
        ref.namespace_(), ref.name());
  }
}

bool EventRecorder::TakeSpamToken(std::string key, absl::Time now) {
  const double burst = options_.spam_burst;
  auto it = spam_.find(key);
  if (it == spam_.end()) {
    // A new bucket, full; the least recently used one makes room.
    while (!spam_lru_.empty() && spam_.size() >= std::max<size_t>(options_.cache_size, 1)) {
      spam_.erase(spam_lru_.back());
      spam_lru_.pop_back();
    }
    spam_lru_.push_front(key);
    it = spam_.emplace(std::move(key), SpamBucket{burst, now, spam_lru_.begin()}).first;
  } else {
    spam_lru_.splice(spam_lru_.begin(), spam_lru_, it->second.lru);
  }
  SpamBucket& bucket = it->second;
  // Refill for the time since the last look (a clock that went back adds
  // nothing).
  if (now > bucket.last) {
    bucket.tokens = std::min(
        burst, bucket.tokens + absl::ToDoubleSeconds(now - bucket.last) * options_.spam_qps);
    bucket.last = now;
  }
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

void EventRecorder::Flush() {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return queue_.empty() && !busy_; };
  mu_.Await(absl::Condition(&idle));
}

void EventRecorder::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      stopping_ = true;
      // Written one at a time, a long queue could hold a stopping process for
      // minutes: write for a bounded time, then drop the rest.
      auto idle = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return queue_.empty() && !busy_; };
      if (!mu_.AwaitWithTimeout(absl::Condition(&idle), options_.shutdown_timeout) &&
          !queue_.empty()) {
        const size_t left = queue_.size();
        dropped_ += static_cast<int64_t>(left);
        queue_.clear();
        spdlog::warn(
            "event recorder: shutting down, dropped {} queued event(s) not written "
            "within {}",
            left, absl::FormatDuration(options_.shutdown_timeout));
      }
    }
  }
  if (worker_.joinable()) worker_.join();
}

int64_t EventRecorder::dropped() const {
  absl::MutexLock lock(&mu_);
  return dropped_;
}

int64_t EventRecorder::spam_filtered() const {
  absl::MutexLock lock(&mu_);
  return spam_filtered_;
}

void EventRecorder::WorkerLoop() {
  while (true) {
    Pending p;
    {
      absl::MutexLock lock(&mu_);
      busy_ = false;
      auto ready = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return !queue_.empty() || stopping_; };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stopping, everything written
      p = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    Write(std::move(p));
  }
}

std::string EventRecorder::KeyOf(const Pending& p) const {
  return absl::StrCat(options_.component, kSep, options_.host, kSep, p.ref.kind(), kSep,
                      p.ref.namespace_(), kSep, p.ref.name(), kSep, p.ref.field_path(), kSep,
                      p.ref.uid(), kSep, p.ref.api_version(), kSep, p.type, kSep, p.reason, kSep,
                      p.message);
}

bool EventRecorder::Aggregate(Pending* p, std::string* key) {
  if (options_.aggregate_max_events <= 0) {
    *key = KeyOf(*p);
    return false;
  }
  // The group: everything of the exact key but the message (and the field
  // path); the reporting controller and instance are the source's.
  std::string group_key =
      absl::StrCat(options_.component, kSep, options_.host, kSep, p->ref.kind(), kSep,
                   p->ref.namespace_(), kSep, p->ref.name(), kSep, p->ref.uid(), kSep,
                   p->ref.api_version(), kSep, p->type, kSep, p->reason);
  auto it = groups_.find(group_key);
  if (it == groups_.end()) {
    while (!groups_lru_.empty() && groups_.size() >= std::max<size_t>(options_.cache_size, 1)) {
      groups_.erase(groups_lru_.back());
      groups_lru_.pop_back();
    }
    groups_lru_.push_front(group_key);
    it = groups_.emplace(group_key, SimilarGroup{{}, p->time, groups_lru_.begin()}).first;
  } else {
    groups_lru_.splice(groups_lru_.begin(), groups_lru_, it->second.lru);
    // No similar event for a whole interval: the group starts over.
    if (p->time - it->second.last > options_.aggregate_interval) it->second.messages.clear();
  }
  SimilarGroup& group = it->second;
  group.messages.insert(p->message);
  group.last = p->time;
  if (group.messages.size() < static_cast<size_t>(options_.aggregate_max_events)) {
    *key = KeyOf(*p);
    return false;
  }
  // Keep the group below the limit, so each new distinct message is
  // aggregated (and a message still remembered is not).
  group.messages.erase(group.messages.begin());
  p->message = absl::StrCat(kAggregatePrefix, p->message);
  *key = absl::StrCat(group_key, kSep, kAggregatePrefix);
  return true;
}

void EventRecorder::Write(Pending p) {
  std::string key;
  Aggregate(&p, &key);
  auto it = cache_.find(key);
  if (it != cache_.end()) {
    CacheEntry& entry = it->second;
    int32_t count = entry.count + 1;
    std::string patch =
        absl::StrCat("{\"count\":", count, ",\"lastTimestamp\":\"", Rfc3339(p.time), "\"");
    // An aggregate Event shows the latest of the similar messages.
    if (p.message != entry.message) absl::StrAppend(&patch, ",\"message\":", JsonString(p.message));
    patch += "}";
    absl::StatusOr<minik8s::core::v1::Event> patched = sink_->Patch(entry.ns, entry.name, patch);
    if (patched.ok()) {
      entry.count = count;
      entry.message = p.message;
      lru_.erase(entry.lru);
      lru_.push_front(key);
      entry.lru = lru_.begin();
      return;
    }
    if (!api::IsNotFound(patched.status())) {
      spdlog::warn("event recorder: could not update event {}/{}: {}", entry.ns, entry.name,
                   patched.status().ToString());
      return;
    }
    // The Event is gone (expired or deleted): start a new one.
    lru_.erase(entry.lru);
    cache_.erase(it);
  }

  minik8s::core::v1::Event event;
  event.set_api_version("v1");
  event.set_kind("Event");
  std::string ns = p.ref.namespace_().empty() ? "default" : p.ref.namespace_();
  event.mutable_metadata()->set_namespace_(ns);
  event.mutable_metadata()->set_name(
      absl::StrCat(p.ref.name(), ".", absl::Hex(absl::ToUnixNanos(p.time))));
  *event.mutable_involved_object() = p.ref;
  event.set_reason(p.reason);
  event.set_message(p.message);
  event.set_type(p.type);
  event.mutable_source()->set_component(options_.component);
  event.mutable_source()->set_host(options_.host);
  SetTime(event.mutable_first_timestamp(), p.time);
  SetTime(event.mutable_last_timestamp(), p.time);
  // The microsecond time events.k8s.io records: what orders steps that
  // happen within one second (mkctl trace).
  SetMicroTime(event.mutable_event_time(), p.time);
  event.set_count(1);
  event.set_reporting_component(options_.component);
  event.set_reporting_instance(options_.host);
  absl::StatusOr<minik8s::core::v1::Event> created = sink_->Create(event);
  if (!created.ok()) {
    spdlog::warn("event recorder: could not create event {} {} on {}/{}: {}", p.type, p.reason,
                 p.ref.namespace_(), p.ref.name(), created.status().ToString());
    return;
  }
  lru_.push_front(key);
  cache_[key] = CacheEntry{ns, created->metadata().name(), p.message, 1, lru_.begin()};
  while (cache_.size() > options_.cache_size && !lru_.empty()) {
    cache_.erase(lru_.back());
    lru_.pop_back();
  }
}

}  // namespace minik8s::client
