// The serviceaccount controller's Sync against a fake client: a namespace
// without its "default" ServiceAccount gets one; one that has it, one that
// is gone and one that is terminating get nothing; AlreadyExists and the
// apiserver's "being terminated" refusal end the sync, other errors are
// returned for a retry.
#include "controllers/serviceaccount/serviceaccounts_controller.h"

#include <memory>
#include <string>
#include <vector>

#include "api/errors.h"
#include "client/indexer.h"
#include "gtest/gtest.h"

namespace minik8s::controllers {
namespace {

using core::v1::Namespace;
using core::v1::ServiceAccount;

class FakeServiceAccountClient : public ServiceAccountClient {
 public:
  absl::Status CreateServiceAccount(const ServiceAccount& account) override {
    created.push_back(account);
    return answer;
  }
  std::vector<ServiceAccount> created;
  absl::Status answer = absl::OkStatus();
};

Namespace Ns(const std::string& name) {
  Namespace ns;
  ns.mutable_metadata()->set_name(name);
  ns.mutable_status()->set_phase("Active");
  return ns;
}

ServiceAccount Account(const std::string& ns, const std::string& name) {
  ServiceAccount account;
  account.mutable_metadata()->set_namespace_(ns);
  account.mutable_metadata()->set_name(name);
  return account;
}

class ServiceAccountsSyncTest : public ::testing::Test {
 protected:
  ServiceAccountsSyncTest()
      : namespaces_(client::DefaultIndexersFor(Namespace::descriptor())),
        accounts_(client::DefaultIndexersFor(ServiceAccount::descriptor())),
        controller_(client::Lister<Namespace>(&namespaces_),
                    client::Lister<ServiceAccount>(&accounts_), &client_) {}

  client::Indexer namespaces_;
  client::Indexer accounts_;
  FakeServiceAccountClient client_;
  ServiceAccountsController controller_;
};

TEST_F(ServiceAccountsSyncTest, CreatesTheMissingDefault) {
  namespaces_.Upsert(std::make_shared<Namespace>(Ns("team-a")));
  accounts_.Upsert(std::make_shared<ServiceAccount>(Account("team-a", "robot")));
  ASSERT_TRUE(controller_.Sync("team-a").ok());
  ASSERT_EQ(client_.created.size(), 1u);
  EXPECT_EQ(client_.created[0].metadata().namespace_(), "team-a");
  EXPECT_EQ(client_.created[0].metadata().name(), "default");
}

TEST_F(ServiceAccountsSyncTest, LeavesAnExistingDefaultAndGoneOrTerminatingNamespaces) {
  namespaces_.Upsert(std::make_shared<Namespace>(Ns("team-a")));
  accounts_.Upsert(std::make_shared<ServiceAccount>(Account("team-a", "default")));
  EXPECT_TRUE(controller_.Sync("team-a").ok());
  EXPECT_TRUE(controller_.Sync("gone").ok());
  Namespace terminating = Ns("leaving");
  terminating.mutable_status()->set_phase("Terminating");
  namespaces_.Upsert(std::make_shared<Namespace>(terminating));
  EXPECT_TRUE(controller_.Sync("leaving").ok());
  Namespace deleted = Ns("deleted");
  deleted.mutable_metadata()->mutable_deletion_timestamp()->set_seconds(1);
  namespaces_.Upsert(std::make_shared<Namespace>(deleted));
  EXPECT_TRUE(controller_.Sync("deleted").ok());
  EXPECT_TRUE(client_.created.empty());
}

TEST_F(ServiceAccountsSyncTest, RacesEndTheSyncAndOtherErrorsAreRetried) {
  namespaces_.Upsert(std::make_shared<Namespace>(Ns("team-a")));
  client_.answer = api::NewAlreadyExists("serviceaccounts", "default");
  EXPECT_TRUE(controller_.Sync("team-a").ok());
  client_.answer = api::NewApiError(
      absl::StatusCode::kPermissionDenied, "Forbidden", 403,
      "serviceaccounts \"default\" is forbidden: unable to create new content in namespace "
      "team-a because it is being terminated");
  EXPECT_TRUE(controller_.Sync("team-a").ok());
  client_.answer = absl::UnavailableError("connection refused");
  EXPECT_EQ(controller_.Sync("team-a").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(client_.created.size(), 3u);
}

}  // namespace
}  // namespace minik8s::controllers
