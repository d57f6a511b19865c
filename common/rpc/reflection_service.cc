#include "common/rpc/reflection_service.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>

#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/message.h"
#include "spdlog/spdlog.h"

namespace minik8s::rpc {

namespace pb = google::protobuf;

namespace {

constexpr char kPath[] = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";
constexpr char kPackage[] = "grpc.reflection.v1alpha.";

// Answers waiting behind the one going out, at most (a client that asks
// without reading): beyond, the stream ends with RESOURCE_EXHAUSTED.
constexpr size_t kMaxQueuedBytes = 32 << 20;

// Keeps libgrpc++_reflection, which holds the generated reflection
// messages, among the libraries loaded (the linker's --as-needed drops a
// library nothing refers to; nothing else here does, as its headers are not
// installed). Read in the constructor.
void (*volatile const kKeepReflectionLibrary)() =
    &grpc::reflection::InitProtoReflectionServerBuilderPlugin;

}  // namespace

// The reflection messages' descriptors and prototypes, the services to
// list, and the serialized files already asked for.
class ReflectionService::State {
 public:
  explicit State(std::vector<std::string> services) : services_(std::move(services)) {}

  // Finds reflection.proto's messages and fields; false if any is missing.
  bool Init() {
    const pb::DescriptorPool* pool = pb::DescriptorPool::generated_pool();
    bool ok = true;
    auto message = [&](const char* name) -> const pb::Descriptor* {
      const pb::Descriptor* d = pool->FindMessageTypeByName(std::string(kPackage) + name);
      if (d == nullptr) ok = false;
      return d;
    };
    auto field = [&](const pb::Descriptor* d, const char* name) -> const pb::FieldDescriptor* {
      const pb::FieldDescriptor* f = d == nullptr ? nullptr : d->FindFieldByName(name);
      if (f == nullptr) ok = false;
      return f;
    };
    const pb::Descriptor* request = message("ServerReflectionRequest");
    const pb::Descriptor* extension = message("ExtensionRequest");
    const pb::Descriptor* response = message("ServerReflectionResponse");
    const pb::Descriptor* files = message("FileDescriptorResponse");
    const pb::Descriptor* numbers = message("ExtensionNumberResponse");
    const pb::Descriptor* list = message("ListServiceResponse");
    const pb::Descriptor* service = message("ServiceResponse");
    const pb::Descriptor* error = message("ErrorResponse");
    req_.host = field(request, "host");
    req_.file_by_filename = field(request, "file_by_filename");
    req_.file_containing_symbol = field(request, "file_containing_symbol");
    req_.file_containing_extension = field(request, "file_containing_extension");
    req_.all_extension_numbers_of_type = field(request, "all_extension_numbers_of_type");
    req_.list_services = field(request, "list_services");
    req_.containing_type = field(extension, "containing_type");
    req_.extension_number = field(extension, "extension_number");
    resp_.valid_host = field(response, "valid_host");
    resp_.original_request = field(response, "original_request");
    resp_.file_descriptor_response = field(response, "file_descriptor_response");
    resp_.all_extension_numbers_response = field(response, "all_extension_numbers_response");
    resp_.list_services_response = field(response, "list_services_response");
    resp_.error_response = field(response, "error_response");
    resp_.file_descriptor_proto = field(files, "file_descriptor_proto");
    resp_.base_type_name = field(numbers, "base_type_name");
    resp_.extension_number = field(numbers, "extension_number");
    resp_.service = field(list, "service");
    resp_.name = field(service, "name");
    resp_.error_code = field(error, "error_code");
    resp_.error_message = field(error, "error_message");
    if (!ok) return false;
    request_ = pb::MessageFactory::generated_factory()->GetPrototype(request);
    response_ = pb::MessageFactory::generated_factory()->GetPrototype(response);
    return request_ != nullptr && response_ != nullptr;
  }

  // The framed answer to a serialized ServerReflectionRequest; false if it
  // does not parse.
  bool Answer(std::string_view bytes, std::string* framed) {
    std::unique_ptr<pb::Message> request(request_->New());
    if (!request->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return false;
    std::unique_ptr<pb::Message> response(response_->New());
    const pb::Reflection* in = request->GetReflection();
    const pb::Reflection* out = response->GetReflection();
    absl::Status status;
    if (in->HasField(*request, req_.file_by_filename)) {
      status = AddFile(pool_->FindFileByName(in->GetString(*request, req_.file_by_filename)),
                       "File not found.", response.get());
    } else if (in->HasField(*request, req_.file_containing_symbol)) {
      status = AddFile(
          pool_->FindFileContainingSymbol(in->GetString(*request, req_.file_containing_symbol)),
          "Symbol not found.", response.get());
    } else if (in->HasField(*request, req_.file_containing_extension)) {
      const pb::Message& ask = in->GetMessage(*request, req_.file_containing_extension);
      const pb::Reflection* r = ask.GetReflection();
      const pb::Descriptor* type =
          pool_->FindMessageTypeByName(r->GetString(ask, req_.containing_type));
      if (type == nullptr) {
        status = absl::NotFoundError("Type not found.");
      } else {
        const pb::FieldDescriptor* extension =
            pool_->FindExtensionByNumber(type, r->GetInt32(ask, req_.extension_number));
        status = AddFile(extension == nullptr ? nullptr : extension->file(), "Extension not found.",
                         response.get());
      }
    } else if (in->HasField(*request, req_.all_extension_numbers_of_type)) {
      const std::string& name = in->GetString(*request, req_.all_extension_numbers_of_type);
      const pb::Descriptor* type = pool_->FindMessageTypeByName(name);
      if (type == nullptr) {
        status = absl::NotFoundError("Type not found.");
      } else {
        std::vector<const pb::FieldDescriptor*> extensions;
        pool_->FindAllExtensions(type, &extensions);
        pb::Message* numbers =
            out->MutableMessage(response.get(), resp_.all_extension_numbers_response);
        const pb::Reflection* r = numbers->GetReflection();
        r->SetString(numbers, resp_.base_type_name, name);
        for (const pb::FieldDescriptor* e : extensions) {
          r->AddInt32(numbers, resp_.extension_number, e->number());
        }
      }
    } else if (in->HasField(*request, req_.list_services)) {
      pb::Message* list = out->MutableMessage(response.get(), resp_.list_services_response);
      for (const std::string& name : services_) {
        pb::Message* service = list->GetReflection()->AddMessage(list, resp_.service);
        service->GetReflection()->SetString(service, resp_.name, name);
      }
    } else {
      // No request kind set (or one this version does not know): gRPC's
      // reflection server answers UNIMPLEMENTED with no message.
      status = absl::UnimplementedError("");
    }
    if (!status.ok()) {
      pb::Message* error = out->MutableMessage(response.get(), resp_.error_response);
      const pb::Reflection* r = error->GetReflection();
      r->SetInt32(error, resp_.error_code, static_cast<int32_t>(status.code()));
      r->SetString(error, resp_.error_message, std::string(status.message()));
    }
    out->SetString(response.get(), resp_.valid_host, in->GetString(*request, req_.host));
    out->MutableMessage(response.get(), resp_.original_request)->CopyFrom(*request);
    *framed = Frame(*response);
    return true;
  }

 private:
  // `file` and its transitive dependencies, each once (depth first, the
  // file itself first), into the response; `not_found` when `file` is null.
  absl::Status AddFile(const pb::FileDescriptor* file, const char* not_found,
                       pb::Message* response) {
    if (file == nullptr) return absl::NotFoundError(not_found);
    pb::Message* files =
        response->GetReflection()->MutableMessage(response, resp_.file_descriptor_response);
    absl::flat_hash_set<const pb::FileDescriptor*> seen;
    std::vector<const pb::FileDescriptor*> unvisited = {file};
    while (!unvisited.empty()) {
      const pb::FileDescriptor* f = unvisited.back();
      unvisited.pop_back();
      if (!seen.insert(f).second) continue;
      files->GetReflection()->AddString(files, resp_.file_descriptor_proto, Serialized(f));
      // Pushed in reverse: popped in the order of the imports.
      for (int i = f->dependency_count() - 1; i >= 0; --i) unvisited.push_back(f->dependency(i));
    }
    return absl::OkStatus();
  }

  // FileDescriptorProto of `file`, serialized (once per file: the pool's
  // files do not change).
  std::string Serialized(const pb::FileDescriptor* file) {
    {
      absl::MutexLock lock(&mu_);
      auto it = serialized_.find(file);
      if (it != serialized_.end()) return it->second;
    }
    pb::FileDescriptorProto proto;
    file->CopyTo(&proto);
    std::string bytes = proto.SerializeAsString();
    absl::MutexLock lock(&mu_);
    serialized_.emplace(file, bytes);
    return bytes;
  }

  struct RequestFields {
    const pb::FieldDescriptor* host;
    const pb::FieldDescriptor* file_by_filename;
    const pb::FieldDescriptor* file_containing_symbol;
    const pb::FieldDescriptor* file_containing_extension;
    const pb::FieldDescriptor* all_extension_numbers_of_type;
    const pb::FieldDescriptor* list_services;
    const pb::FieldDescriptor* containing_type;   // ExtensionRequest
    const pb::FieldDescriptor* extension_number;  // ExtensionRequest
  };
  struct ResponseFields {
    const pb::FieldDescriptor* valid_host;
    const pb::FieldDescriptor* original_request;
    const pb::FieldDescriptor* file_descriptor_response;
    const pb::FieldDescriptor* all_extension_numbers_response;
    const pb::FieldDescriptor* list_services_response;
    const pb::FieldDescriptor* error_response;
    const pb::FieldDescriptor* file_descriptor_proto;  // FileDescriptorResponse
    const pb::FieldDescriptor* base_type_name;         // ExtensionNumberResponse
    const pb::FieldDescriptor* extension_number;       // ExtensionNumberResponse
    const pb::FieldDescriptor* service;                // ListServiceResponse
    const pb::FieldDescriptor* name;                   // ServiceResponse
    const pb::FieldDescriptor* error_code;             // ErrorResponse
    const pb::FieldDescriptor* error_message;          // ErrorResponse
  };

  const std::vector<std::string> services_;
  const pb::DescriptorPool* const pool_ = pb::DescriptorPool::generated_pool();
  const pb::Message* request_ = nullptr;  // prototypes
  const pb::Message* response_ = nullptr;
  RequestFields req_{};
  ResponseFields resp_{};
  absl::Mutex mu_;
  absl::flat_hash_map<const pb::FileDescriptor*, std::string> serialized_ ABSL_GUARDED_BY(mu_);
};

// One ServerReflectionInfo stream, on its connection's worker: each
// request answered in turn, one write outstanding, the others queued; the
// call finishes OK once the client is done sending and every answer is out.
class ReflectionService::Stream final : public StreamCallbacks {
 public:
  Stream(std::shared_ptr<State> state, CallRef ref) : state_(std::move(state)), ref_(ref) {}

 private:
  bool OnMessage(std::string_view message) override {
    if (cancelled_ || broken_ || overflow_) return true;
    std::string framed;
    if (!state_->Answer(message, &framed)) return false;  // INTERNAL
    queued_bytes_ += framed.size();
    queue_.push_back(std::move(framed));
    if (queued_bytes_ > kMaxQueuedBytes) {
      overflow_ = true;
      queue_.clear();
      queued_bytes_ = 0;
    }
    Pump();
    return true;
  }

  void OnReadsDone() override {
    reads_done_ = true;
    Pump();
  }

  void OnCancelled() override {
    cancelled_ = true;
    Pump();
  }

  void OnWritten(bool ok) override {
    writing_ = false;
    if (!ok) broken_ = true;  // the call ended: OnCancelled comes, or came
    Pump();
  }

  void OnFinished() override { delete this; }

  // Writes the next answer, or finishes when it is time.
  void Pump() {
    if (writing_ || finished_) return;
    if (cancelled_) return Finish(absl::CancelledError("the call ended"));
    if (overflow_) {
      return Finish(absl::ResourceExhaustedError(
          "grpc: too many reflection answers waiting for the client to read them"));
    }
    if (broken_) return;
    if (!queue_.empty()) {
      writing_ = true;
      queued_bytes_ -= queue_.front().size();
      ref_.Write(std::move(queue_.front()));
      queue_.pop_front();
      return;
    }
    if (reads_done_) Finish(absl::OkStatus());
  }

  void Finish(const absl::Status& status) {
    finished_ = true;
    queue_.clear();
    ref_.Finish(status);
  }

  const std::shared_ptr<State> state_;
  const CallRef ref_;
  std::deque<std::string> queue_;  // framed answers, after the one going out
  size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool reads_done_ = false;
  bool cancelled_ = false;
  bool broken_ = false;    // a write failed: nothing more goes out
  bool overflow_ = false;  // too much queued: the call ends
  bool finished_ = false;
};

ReflectionService::ReflectionService(Server* server, std::vector<std::string> services)
    : state_(std::make_shared<State>(std::move(services))) {
  if (kKeepReflectionLibrary == nullptr || !state_->Init()) {
    // Without the generated messages the method stays unknown
    // (UNIMPLEMENTED), as on a server without reflection.
    spdlog::error("gRPC server reflection is not available: {} is not linked in",
                  "grpc.reflection.v1alpha (libgrpc++_reflection)");
    return;
  }
  Method method;
  method.streaming = [state = state_](CallRef call, const CallInfo&) -> StreamCallbacks* {
    return new Stream(state, call);
  };
  server->AddMethod(kPath, std::move(method));
}

ReflectionService::~ReflectionService() = default;

}  // namespace minik8s::rpc
