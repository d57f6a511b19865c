// The services common/rpc offers any server built on rpc/h2_server.h, in
// process on a loopback port, against gRPC 1.51's C++ client: the health
// service (Check, and Watch following SetServing; watches ended by the
// client, by Shutdown, with the service gone first) and server reflection
// (each request kind, errors as gRPC's server answers them, and a
// DescriptorPool built on the stream, as grpcurl and grpc_cli build theirs).
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/client_unary_call.h>
#include <grpcpp/support/sync_stream.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/rpc/h2_server.h"
#include "common/rpc/health_service.h"
#include "common/rpc/reflection_service.h"
#include "etcd/etcdserverpb/rpc.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/descriptor_database.h"
#include "google/protobuf/reflection.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "k8s/meta/v1/field_options.pb.h"

namespace minik8s::rpc {
namespace {

// HealthCheckRequest{service} and HealthCheckResponse{status}, encoded by
// hand (the tree has no health proto).
std::string HealthRequest(const std::string& service) {
  if (service.empty()) return "";
  return absl::StrCat(std::string(1, '\x0a'), std::string(1, static_cast<char>(service.size())),
                      service);
}
const std::string kServing("\x08\x01", 2);
const std::string kNotServing("\x08\x02", 2);
const std::string kServiceUnknown("\x08\x03", 2);

grpc::ByteBuffer ToBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::string FromBuffer(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return "<bad buffer>";
  for (const grpc::Slice& s : slices)
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

void Within(grpc::ClientContext* ctx, int seconds) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
}

class RpcServicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<Server>(ServerConfig{.worker_threads = 2});
    health_ = std::make_unique<HealthService>(server_.get());
    reflection_ = std::make_unique<ReflectionService>(
        server_.get(), std::vector<std::string>{"etcdserverpb.KV", "grpc.health.v1.Health",
                                                ReflectionService::kServiceName});
    absl::StatusOr<int> port = server_->Listen("127.0.0.1:0", nullptr);
    ASSERT_TRUE(port.ok()) << port.status();
    server_->Start();
    channel_ =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", *port), grpc::InsecureChannelCredentials());
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(absl::Seconds(1));
  }

  // Check(service): the response bytes, or the status when not OK.
  grpc::Status Check(const std::string& service, std::string* response,
                     const std::string& raw_request = "<none>") {
    grpc::ClientContext ctx;
    Within(&ctx, 10);
    grpc::ByteBuffer request =
        ToBuffer(raw_request == "<none>" ? HealthRequest(service) : raw_request);
    grpc::ByteBuffer reply;
    grpc::Status status = grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
        channel_.get(),
        grpc::internal::RpcMethod("/grpc.health.v1.Health/Check",
                                  grpc::internal::RpcMethod::NORMAL_RPC),
        &ctx, request, &reply);
    if (status.ok()) *response = FromBuffer(reply);
    return status;
  }

  // An open Watch(service).
  struct Watch {
    grpc::ClientContext ctx;
    std::unique_ptr<grpc::ClientReader<grpc::ByteBuffer>> reader;

    // The next message; "" once the stream is over.
    std::string Next() {
      grpc::ByteBuffer message;
      if (!reader->Read(&message)) return "";
      return FromBuffer(message);
    }
  };
  std::unique_ptr<Watch> StartWatch(const std::string& service, int seconds = 30,
                                    const std::string& raw_request = "<none>") {
    auto watch = std::make_unique<Watch>();
    Within(&watch->ctx, seconds);
    watch->reader.reset(grpc::internal::ClientReaderFactory<grpc::ByteBuffer>::Create(
        channel_.get(),
        grpc::internal::RpcMethod("/grpc.health.v1.Health/Watch",
                                  grpc::internal::RpcMethod::SERVER_STREAMING),
        &watch->ctx, ToBuffer(raw_request == "<none>" ? HealthRequest(service) : raw_request)));
    return watch;
  }

  // Waits until the server has no call left (every watch finished).
  bool Drained() {
    for (int i = 0; i < 500; ++i) {
      if (server_->live_calls() == 0) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return false;
  }

  std::unique_ptr<Server> server_;
  std::unique_ptr<HealthService> health_;
  std::unique_ptr<ReflectionService> reflection_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(RpcServicesTest, CheckAnswersTheServersStatus) {
  std::string response;
  grpc::Status status = Check("", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response, kServing);

  health_->SetServing(false);
  status = Check("", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response, kNotServing);

  health_->SetServing(true);
  status = Check("", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response, kServing);

  status = Check("etcdserverpb.KV", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "service name unknown");

  status = Check("", &response,
                 std::string("\x0a\x05"
                             "ab",
                             4));  // truncated
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(RpcServicesTest, StartsNotServingWhenAsked) {
  Server server(ServerConfig{});
  HealthService health(&server, /*serving=*/false);
  absl::StatusOr<int> port = server.Listen("127.0.0.1:0", nullptr);
  ASSERT_TRUE(port.ok()) << port.status();
  server.Start();
  channel_ =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", *port), grpc::InsecureChannelCredentials());
  std::string response;
  grpc::Status status = Check("", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response, kNotServing);
  server.Shutdown(absl::Seconds(1));
}

TEST_F(RpcServicesTest, WatchFollowsTheStatusUntilCancelled) {
  std::unique_ptr<Watch> watch = StartWatch("");
  EXPECT_EQ(watch->Next(), kServing);
  health_->SetServing(false);
  EXPECT_EQ(watch->Next(), kNotServing);
  health_->SetServing(false);  // unchanged: no message
  health_->SetServing(true);
  EXPECT_EQ(watch->Next(), kServing);

  watch->ctx.TryCancel();
  EXPECT_EQ(watch->Next(), "");
  grpc::Status status = watch->reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED) << status.error_message();
  EXPECT_TRUE(Drained()) << server_->live_calls() << " calls left";
  health_->SetServing(false);  // no watch left to tell
}

TEST_F(RpcServicesTest, WatchOfAnUnknownServiceStaysOpen) {
  std::unique_ptr<Watch> unknown = StartWatch("no.such.Service");
  EXPECT_EQ(unknown->Next(), kServiceUnknown);
  std::unique_ptr<Watch> server_watch = StartWatch("");
  EXPECT_EQ(server_watch->Next(), kServing);
  health_->SetServing(false);
  EXPECT_EQ(server_watch->Next(), kNotServing);
  // The unknown service's watch got nothing more: it ends only as cancelled.
  unknown->ctx.TryCancel();
  EXPECT_EQ(unknown->Next(), "");
  EXPECT_EQ(unknown->reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  server_watch->ctx.TryCancel();
  EXPECT_EQ(server_watch->Next(), "");
  EXPECT_TRUE(Drained());
}

TEST_F(RpcServicesTest, WatchWithABadRequestEnds) {
  std::unique_ptr<Watch> watch = StartWatch("", 10,
                                            std::string("\x0a\x05"
                                                        "ab",
                                                        4));
  EXPECT_EQ(watch->Next(), "");
  EXPECT_EQ(watch->reader->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(Drained());
}

// Every watcher hears each change; one slower than the changes gets the
// latest status after the one it is being sent: never the same twice in a
// row, and the last word is the last status.
TEST_F(RpcServicesTest, ManyWatchersAndQuickChanges) {
  std::vector<std::unique_ptr<Watch>> watches;
  // The first ends at its deadline: all it got is then known.
  watches.push_back(StartWatch("", 4));
  EXPECT_EQ(watches.back()->Next(), kServing);
  for (int i = 0; i < 7; ++i) {
    watches.push_back(StartWatch(""));
    EXPECT_EQ(watches.back()->Next(), kServing);
  }
  health_->SetServing(false);
  for (auto& w : watches) EXPECT_EQ(w->Next(), kNotServing);

  std::thread flipper([this] {
    for (int i = 0; i < 2000; ++i) health_->SetServing(i % 2 == 0);
    health_->SetServing(false);
  });
  flipper.join();
  std::vector<std::string> seen;
  std::string last = kNotServing;
  for (std::string m = watches[0]->Next(); !m.empty(); m = watches[0]->Next()) {
    ASSERT_NE(m, last) << "the same status twice in a row, after " << seen.size();
    seen.push_back(m);
    last = m;
  }
  EXPECT_EQ(watches[0]->reader->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(last, kNotServing) << seen.size() << " messages";
  EXPECT_LE(seen.size(), 2001u);
  std::string response;
  ASSERT_TRUE(Check("", &response).ok());
  EXPECT_EQ(response, kNotServing);
  for (size_t i = 1; i < watches.size(); ++i) watches[i]->ctx.TryCancel();
  for (size_t i = 1; i < watches.size(); ++i) {
    while (!watches[i]->Next().empty()) {
    }
  }
  EXPECT_TRUE(Drained()) << server_->live_calls() << " calls left";
}

TEST_F(RpcServicesTest, ShutdownWithAnOpenWatchReturns) {
  std::unique_ptr<Watch> watch = StartWatch("");
  EXPECT_EQ(watch->Next(), kServing);
  const absl::Time start = absl::Now();
  server_->Shutdown(absl::Milliseconds(200));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_EQ(watch->Next(), "");
  EXPECT_FALSE(watch->reader->Finish().ok());
  // The service outlives the server: changes go nowhere, and it goes.
  health_->SetServing(false);
  health_.reset();
  server_.reset();
}

TEST_F(RpcServicesTest, ServiceGoneBeforeTheServerStops) {
  std::unique_ptr<Watch> watch = StartWatch("");
  EXPECT_EQ(watch->Next(), kServing);
  health_.reset();
  // Its methods still answer.
  std::string response;
  ASSERT_TRUE(Check("", &response).ok());
  EXPECT_EQ(response, kServing);
  watch->ctx.TryCancel();
  EXPECT_EQ(watch->Next(), "");
  EXPECT_TRUE(Drained());
  std::unique_ptr<Watch> open = StartWatch("");
  EXPECT_EQ(open->Next(), kServing);
  server_->Shutdown(absl::ZeroDuration());
  EXPECT_EQ(open->Next(), "");
  server_.reset();
}

// --- reflection ---------------------------------------------------------------

namespace pb = google::protobuf;

// gRPC's generated reflection message `name` (libgrpc++_reflection, which
// the reflection service links), empty.
std::unique_ptr<pb::Message> NewReflectionMessage(const std::string& name) {
  const pb::Descriptor* d = pb::DescriptorPool::generated_pool()->FindMessageTypeByName(
      "grpc.reflection.v1alpha." + name);
  if (d == nullptr) return nullptr;
  return std::unique_ptr<pb::Message>(
      pb::MessageFactory::generated_factory()->GetPrototype(d)->New());
}

// Field access by name.
const pb::FieldDescriptor* F(const pb::Message& m, const std::string& field) {
  const pb::FieldDescriptor* f = m.GetDescriptor()->FindFieldByName(field);
  EXPECT_NE(f, nullptr) << field;
  return f;
}
bool Has(const pb::Message& m, const std::string& field) {
  return m.GetReflection()->HasField(m, F(m, field));
}
const pb::Message& Sub(const pb::Message& m, const std::string& field) {
  return m.GetReflection()->GetMessage(m, F(m, field));
}
std::string Str(const pb::Message& m, const std::string& field) {
  return m.GetReflection()->GetString(m, F(m, field));
}
std::vector<std::string> Strings(const pb::Message& m, const std::string& field) {
  std::vector<std::string> out;
  for (const std::string& v : m.GetReflection()->GetRepeatedFieldRef<std::string>(m, F(m, field))) {
    out.push_back(v);
  }
  return out;
}
std::vector<int> Ints(const pb::Message& m, const std::string& field) {
  std::vector<int> out;
  for (int32_t v : m.GetReflection()->GetRepeatedFieldRef<int32_t>(m, F(m, field)))
    out.push_back(v);
  return out;
}
// The files of a file_descriptor_response, parsed.
std::vector<pb::FileDescriptorProto> Files(const pb::Message& response) {
  std::vector<pb::FileDescriptorProto> files;
  if (!Has(response, "file_descriptor_response")) return files;
  for (const std::string& bytes :
       Strings(Sub(response, "file_descriptor_response"), "file_descriptor_proto")) {
    files.emplace_back();
    EXPECT_TRUE(files.back().ParseFromString(bytes));
  }
  return files;
}
std::vector<std::string> Names(const std::vector<pb::FileDescriptorProto>& files) {
  std::vector<std::string> names;
  for (const auto& f : files) names.push_back(f.name());
  return names;
}

// One ServerReflectionInfo stream, driven with gRPC's sync client.
class ReflectionClient {
 public:
  explicit ReflectionClient(grpc::ChannelInterface* channel) {
    Within(&ctx_, 60);
    stream_.reset(
        grpc::internal::ClientReaderWriterFactory<grpc::ByteBuffer, grpc::ByteBuffer>::Create(
            channel,
            grpc::internal::RpcMethod(
                "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                grpc::internal::RpcMethod::BIDI_STREAMING),
            &ctx_));
  }

  // Sends a ServerReflectionRequest written in text format.
  bool Send(const std::string& text) {
    std::unique_ptr<pb::Message> request = NewReflectionMessage("ServerReflectionRequest");
    if (request == nullptr || !pb::TextFormat::ParseFromString(text, request.get())) {
      ADD_FAILURE() << "bad request " << text;
      return false;
    }
    return stream_->Write(ToBuffer(request->SerializeAsString()));
  }
  bool SendRaw(const std::string& bytes) { return stream_->Write(ToBuffer(bytes)); }

  // The next ServerReflectionResponse; null once the stream is over.
  std::unique_ptr<pb::Message> Receive() {
    grpc::ByteBuffer buffer;
    if (!stream_->Read(&buffer)) return nullptr;
    std::unique_ptr<pb::Message> response = NewReflectionMessage("ServerReflectionResponse");
    EXPECT_TRUE(response->ParseFromString(FromBuffer(buffer)));
    return response;
  }

  std::unique_ptr<pb::Message> Ask(const std::string& text) {
    if (!Send(text)) return nullptr;
    return Receive();
  }

  grpc::Status Close() {
    stream_->WritesDone();
    while (Receive() != nullptr) {
    }
    return stream_->Finish();
  }

  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>> stream_;
};

// The descriptors a ReflectionClient learns, as a database a DescriptorPool
// is built on (what gRPC's ProtoReflectionDescriptorDatabase does for
// grpc_cli; Debian does not ship it).
class ReflectionDatabase : public pb::DescriptorDatabase {
 public:
  explicit ReflectionDatabase(ReflectionClient* client) : client_(client) {}

  bool FindFileByName(const std::string& filename, pb::FileDescriptorProto* output) override {
    if (!Cached(filename, output)) {
      Learn(client_->Ask(absl::StrCat("file_by_filename: \"", absl::CEscape(filename), "\"")));
    }
    return Cached(filename, output);
  }

  bool FindFileContainingSymbol(const std::string& symbol,
                                pb::FileDescriptorProto* output) override {
    return First(
        client_->Ask(absl::StrCat("file_containing_symbol: \"", absl::CEscape(symbol), "\"")),
        output);
  }

  bool FindFileContainingExtension(const std::string& containing_type, int field_number,
                                   pb::FileDescriptorProto* output) override {
    return First(client_->Ask(absl::StrCat("file_containing_extension { containing_type: \"",
                                           absl::CEscape(containing_type),
                                           "\" extension_number: ", field_number, " }")),
                 output);
  }

  bool FindAllExtensionNumbers(const std::string& extendee_type,
                               std::vector<int>* output) override {
    std::unique_ptr<pb::Message> r = client_->Ask(
        absl::StrCat("all_extension_numbers_of_type: \"", absl::CEscape(extendee_type), "\""));
    if (r == nullptr || !Has(*r, "all_extension_numbers_response")) return false;
    *output = Ints(Sub(*r, "all_extension_numbers_response"), "extension_number");
    return true;
  }

  int asked() const { return asked_; }

 private:
  bool Cached(const std::string& name, pb::FileDescriptorProto* output) {
    auto it = files_.find(name);
    if (it == files_.end()) return false;
    *output = it->second;
    return true;
  }
  void Learn(const std::unique_ptr<pb::Message>& response) {
    ++asked_;
    if (response == nullptr) return;
    for (pb::FileDescriptorProto& f : Files(*response)) files_.emplace(f.name(), std::move(f));
  }
  bool First(const std::unique_ptr<pb::Message>& response, pb::FileDescriptorProto* output) {
    Learn(response);
    if (response == nullptr) return false;
    std::vector<pb::FileDescriptorProto> files = Files(*response);
    if (files.empty()) return false;
    *output = files.front();
    return true;
  }

  ReflectionClient* const client_;
  absl::flat_hash_map<std::string, pb::FileDescriptorProto> files_;
  int asked_ = 0;
};

TEST_F(RpcServicesTest, ReflectionListsTheServicesGiven) {
  ReflectionClient client(channel_.get());
  std::unique_ptr<pb::Message> r = client.Ask("host: \"localhost:1\" list_services: \"*\"");
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(Has(*r, "list_services_response")) << r->DebugString();
  std::vector<std::string> names;
  const pb::Message& list = Sub(*r, "list_services_response");
  for (const pb::Message& service :
       list.GetReflection()->GetRepeatedFieldRef<pb::Message>(list, F(list, "service"))) {
    names.push_back(Str(service, "name"));
  }
  EXPECT_EQ(names, (std::vector<std::string>{"etcdserverpb.KV", "grpc.health.v1.Health",
                                             "grpc.reflection.v1alpha.ServerReflection"}));
  EXPECT_EQ(Str(*r, "valid_host"), "localhost:1");
  EXPECT_EQ(Str(Sub(*r, "original_request"), "list_services"), "*");
  grpc::Status status = client.Close();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(Drained());
}

TEST_F(RpcServicesTest, ReflectionGivesFilesWithTheirDependencies) {
  ASSERT_EQ(etcdserverpb::RangeRequest::descriptor()->file()->name(),
            "etcd/etcdserverpb/rpc.proto");
  ReflectionClient client(channel_.get());
  std::unique_ptr<pb::Message> r = client.Ask("file_containing_symbol: \"etcdserverpb.KV\"");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(Names(Files(*r)),
            (std::vector<std::string>{"etcd/etcdserverpb/rpc.proto", "etcd/mvccpb/kv.proto"}));
  // A method, a message, a nested name: the same file.
  for (const char* symbol : {"etcdserverpb.KV.Range", "etcdserverpb.RangeRequest",
                             "etcdserverpb.RangeRequest.SortOrder", "mvccpb.KeyValue"}) {
    r = client.Ask(absl::StrCat("file_containing_symbol: \"", symbol, "\""));
    ASSERT_NE(r, nullptr);
    std::vector<std::string> names = Names(Files(*r));
    ASSERT_FALSE(names.empty()) << symbol << ": " << r->DebugString();
    EXPECT_EQ(names[0], std::string(symbol) == "mvccpb.KeyValue" ? "etcd/mvccpb/kv.proto"
                                                                 : "etcd/etcdserverpb/rpc.proto");
  }
  r = client.Ask("file_by_filename: \"etcd/mvccpb/kv.proto\"");
  ASSERT_NE(r, nullptr);
  std::vector<pb::FileDescriptorProto> files = Files(*r);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].package(), "mvccpb");
  EXPECT_FALSE(Has(*r, "error_response"));

  // Extensions: the tree's own field options extend descriptor.proto's.
  ASSERT_EQ(::minik8s::meta::v1::patch_merge_key.number(), 51001);
  r = client.Ask(
      "file_containing_extension { containing_type: \"google.protobuf.FieldOptions\" "
      "extension_number: 51001 }");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(Names(Files(*r)), (std::vector<std::string>{"k8s/meta/v1/field_options.proto",
                                                        "google/protobuf/descriptor.proto"}));
  r = client.Ask("all_extension_numbers_of_type: \"google.protobuf.FieldOptions\"");
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(Has(*r, "all_extension_numbers_response")) << r->DebugString();
  const pb::Message& numbers = Sub(*r, "all_extension_numbers_response");
  EXPECT_EQ(Str(numbers, "base_type_name"), "google.protobuf.FieldOptions");
  std::vector<int> got = Ints(numbers, "extension_number");
  for (int n = 51001; n <= 51005; ++n) {
    EXPECT_NE(std::find(got.begin(), got.end(), n), got.end()) << n;
  }
  r = client.Ask("all_extension_numbers_of_type: \"etcdserverpb.RangeRequest\"");
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(Has(*r, "all_extension_numbers_response"));
  EXPECT_TRUE(Ints(Sub(*r, "all_extension_numbers_response"), "extension_number").empty());
  EXPECT_TRUE(client.Close().ok());
}

TEST_F(RpcServicesTest, ReflectionAnswersWhatItDoesNotKnowWithErrors) {
  ReflectionClient client(channel_.get());
  struct Case {
    std::string request;
    int code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"file_by_filename: \"no/such.proto\"", 5, "File not found."},
      {"file_containing_symbol: \"no.such.Service\"", 5, "Symbol not found."},
      {"file_containing_extension { containing_type: \"no.Such\" extension_number: 1 }", 5,
       "Type not found."},
      {"file_containing_extension { containing_type: \"google.protobuf.FieldOptions\" "
       "extension_number: 99999 }",
       5, "Extension not found."},
      {"all_extension_numbers_of_type: \"no.Such\"", 5, "Type not found."},
      {"host: \"h\"", 12, ""},  // no request at all
  };
  for (const Case& c : cases) {
    std::unique_ptr<pb::Message> r = client.Ask(c.request);
    ASSERT_NE(r, nullptr) << c.request;
    ASSERT_TRUE(Has(*r, "error_response")) << c.request << ": " << r->DebugString();
    const pb::Message& error = Sub(*r, "error_response");
    EXPECT_EQ(error.GetReflection()->GetInt32(error, F(error, "error_code")), c.code) << c.request;
    EXPECT_EQ(Str(error, "error_message"), c.message) << c.request;
    EXPECT_FALSE(Has(*r, "file_descriptor_response"));
  }
  // The stream goes on.
  std::unique_ptr<pb::Message> r = client.Ask("list_services: \"\"");
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(Has(*r, "list_services_response"));
  EXPECT_TRUE(client.Close().ok());
}

// What grpcurl and grpc_cli do: a DescriptorPool whose files come over the
// stream, from a symbol and then each import by name.
TEST_F(RpcServicesTest, ReflectionDescribesAServiceToADescriptorPool) {
  ReflectionClient client(channel_.get());
  ReflectionDatabase database(&client);
  pb::DescriptorPool pool(&database);
  const pb::ServiceDescriptor* kv = pool.FindServiceByName("etcdserverpb.KV");
  ASSERT_NE(kv, nullptr);
  std::vector<std::string> methods;
  for (int i = 0; i < kv->method_count(); ++i) methods.push_back(kv->method(i)->name());
  EXPECT_EQ(methods, (std::vector<std::string>{"Range", "Put", "DeleteRange", "Txn", "Compact"}));
  const pb::MethodDescriptor* range = kv->FindMethodByName("Range");
  ASSERT_NE(range, nullptr);
  EXPECT_EQ(range->input_type()->full_name(), "etcdserverpb.RangeRequest");
  EXPECT_EQ(range->output_type()->full_name(), "etcdserverpb.RangeResponse");
  // RangeResponse holds mvccpb.KeyValue: the import came with the answer.
  const pb::FieldDescriptor* kvs = range->output_type()->FindFieldByName("kvs");
  ASSERT_NE(kvs, nullptr);
  EXPECT_EQ(kvs->message_type()->full_name(), "mvccpb.KeyValue");
  EXPECT_EQ(database.asked(), 1);
  const pb::MethodDescriptor* watch = pool.FindMethodByName("etcdserverpb.Watch.Watch");
  ASSERT_NE(watch, nullptr);
  EXPECT_TRUE(watch->client_streaming());
  EXPECT_TRUE(watch->server_streaming());
  // An extension, through the pool.
  const pb::Descriptor* options = pool.FindMessageTypeByName("google.protobuf.FieldOptions");
  ASSERT_NE(options, nullptr);
  const pb::FieldDescriptor* merge_key = pool.FindExtensionByNumber(options, 51001);
  ASSERT_NE(merge_key, nullptr);
  EXPECT_EQ(merge_key->full_name(), "minik8s.meta.v1.patch_merge_key");
  EXPECT_EQ(pool.FindServiceByName("no.such.Service"), nullptr);
  EXPECT_TRUE(client.Close().ok());
}

// Requests sent before any answer is read: each answered, in order.
TEST_F(RpcServicesTest, ReflectionAnswersPipelinedRequestsInOrder) {
  ReflectionClient client(channel_.get());
  constexpr int kRequests = 200;
  std::thread reader([&client] {
    for (int i = 0; i < kRequests; ++i) {
      std::unique_ptr<pb::Message> r = client.Receive();
      ASSERT_NE(r, nullptr) << i;
      EXPECT_EQ(Str(*r, "valid_host"), absl::StrCat("h", i));
      EXPECT_EQ(Files(*r).size(), i % 2 == 0 ? 2u : 1u) << i;
    }
  });
  for (int i = 0; i < kRequests; ++i) {
    ASSERT_TRUE(
        client.Send(absl::StrCat("host: \"h", i, "\" ",
                                 i % 2 == 0 ? "file_containing_symbol: \"etcdserverpb.KV\""
                                            : "file_by_filename: \"etcd/mvccpb/kv.proto\"")));
  }
  reader.join();
  EXPECT_TRUE(client.Close().ok());
  EXPECT_TRUE(Drained());
}

TEST_F(RpcServicesTest, ReflectionEndsOnAMalformedRequest) {
  ReflectionClient client(channel_.get());
  ASSERT_NE(client.Ask("list_services: \"\""), nullptr);
  client.SendRaw(std::string("\x1a\x7f", 2));  // a string longer than the message
  grpc::Status status = client.Close();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL) << status.error_message();
  EXPECT_TRUE(Drained());
}

TEST_F(RpcServicesTest, ShutdownWithAnOpenReflectionStreamReturns) {
  ReflectionClient client(channel_.get());
  ASSERT_NE(client.Ask("list_services: \"\""), nullptr);
  reflection_.reset();  // the stream keeps what it needs
  ASSERT_NE(client.Ask("file_containing_symbol: \"etcdserverpb.KV\""), nullptr);
  server_->Shutdown(absl::Milliseconds(100));
  EXPECT_EQ(client.Receive(), nullptr);
  EXPECT_FALSE(client.stream_->Finish().ok());
  server_.reset();
}

}  // namespace
}  // namespace minik8s::rpc
