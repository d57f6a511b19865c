// The discovery and OpenAPI v3 documents, parsed back (yaml-cpp reads
// JSON) and checked for what kubectl and client-go look for in them:
// short names and subresources in discovery, the PATCH operation kubectl's
// field-validation check needs, the schema walk of `kubectl explain`, the
// patch metadata of strategic merge patch, and that every reference
// resolves.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "api/scheme.h"
#include "apiserver/registry/registry.h"
#include "apiserver/rest/discovery.h"
#include "apiserver/rest/openapi.h"
#include "yaml-cpp/yaml.h"

namespace minik8s::apiserver::rest {
namespace {

constexpr char kSchemaRefPrefix[] = "#/components/schemas/";

const Registry& TheRegistry() {
  static const Registry* registry = new Registry(api::Scheme::Default());
  return *registry;
}

YAML::Node Parse(const std::string* body) {
  EXPECT_NE(body, nullptr);
  if (body == nullptr) return YAML::Node();
  return YAML::Load(*body);
}

// The entry named `name` of an APIResourceList, or an undefined node.
YAML::Node FindResource(const YAML::Node& list, const std::string& name) {
  for (const auto& r : list["resources"]) {
    if (r["name"].as<std::string>() == name) return r;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

std::vector<std::string> Strings(const YAML::Node& node) {
  std::vector<std::string> out;
  for (const auto& item : node) out.push_back(item.as<std::string>());
  return out;
}

bool IsGvk(const YAML::Node& gvk, const std::string& group, const std::string& version,
           const std::string& kind) {
  return gvk.IsMap() && gvk["group"].as<std::string>() == group &&
         gvk["version"].as<std::string>() == version && gvk["kind"].as<std::string>() == kind;
}

// ---------------------------------------------------------------- discovery

TEST(DiscoveryDocs, ApiListsTheCoreVersionAndTheServerAddress) {
  DiscoveryDocs docs(TheRegistry(), "127.0.0.1:6443");
  YAML::Node api = Parse(docs.Find("/api"));
  EXPECT_EQ(api["kind"].as<std::string>(), "APIVersions");
  EXPECT_EQ(Strings(api["versions"]), std::vector<std::string>{"v1"});
  EXPECT_EQ(api["serverAddressByClientCIDRs"][0]["clientCIDR"].as<std::string>(), "0.0.0.0/0");
  EXPECT_EQ(api["serverAddressByClientCIDRs"][0]["serverAddress"].as<std::string>(),
            "127.0.0.1:6443");
}

TEST(DiscoveryDocs, ApisListsEveryNamedGroupWithItsPreferredVersion) {
  DiscoveryDocs docs(TheRegistry(), "127.0.0.1:6443");
  YAML::Node apis = Parse(docs.Find("/apis"));
  EXPECT_EQ(apis["kind"].as<std::string>(), "APIGroupList");
  std::set<std::string> names;
  for (const auto& group : apis["groups"]) {
    const std::string name = group["name"].as<std::string>();
    names.insert(name);
    EXPECT_EQ(group["preferredVersion"]["groupVersion"].as<std::string>(), name + "/v1");
    EXPECT_EQ(group["preferredVersion"]["version"].as<std::string>(), "v1");
    EXPECT_EQ(group["versions"][0]["groupVersion"].as<std::string>(), name + "/v1");
    EXPECT_EQ(group["serverAddressByClientCIDRs"][0]["serverAddress"].as<std::string>(),
              "127.0.0.1:6443");
  }
  EXPECT_EQ(names, (std::set<std::string>{"apps", "authentication.k8s.io", "authorization.k8s.io",
                                          "batch", "certificates.k8s.io", "coordination.k8s.io",
                                          "discovery.k8s.io", "rbac.authorization.k8s.io"}));

  YAML::Node apps = Parse(docs.Find("/apis/apps"));
  EXPECT_EQ(apps["kind"].as<std::string>(), "APIGroup");
  EXPECT_EQ(apps["name"].as<std::string>(), "apps");
  EXPECT_EQ(apps["preferredVersion"]["groupVersion"].as<std::string>(), "apps/v1");
}

TEST(DiscoveryDocs, AuthorizationReviewsAreCreateOnly) {
  DiscoveryDocs docs(TheRegistry());
  YAML::Node list = Parse(docs.Find("/apis/authorization.k8s.io/v1"));
  EXPECT_EQ(list["groupVersion"].as<std::string>(), "authorization.k8s.io/v1");
  std::vector<std::string> names;
  for (const auto& r : list["resources"]) {
    names.push_back(r["name"].as<std::string>());
    EXPECT_EQ(Strings(r["verbs"]), std::vector<std::string>{"create"});
    EXPECT_EQ(r["namespaced"].as<bool>(), names.back() == "localsubjectaccessreviews");
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"localsubjectaccessreviews", "selfsubjectaccessreviews",
                                      "selfsubjectrulesreviews", "subjectaccessreviews"}));
  EXPECT_EQ(FindResource(list, "selfsubjectrulesreviews")["kind"].as<std::string>(),
            "SelfSubjectRulesReview");
}

// SelfSubjectReview (`kubectl auth whoami`), TokenReview, and a
// ServiceAccount's token subresource, whose kind is authentication.k8s.io/v1
// TokenRequest.
TEST(DiscoveryDocs, AuthenticationServesSelfSubjectReviewsAndTokenRequests) {
  DiscoveryDocs docs(TheRegistry());
  YAML::Node list = Parse(docs.Find("/apis/authentication.k8s.io/v1"));
  EXPECT_EQ(list["groupVersion"].as<std::string>(), "authentication.k8s.io/v1");
  YAML::Node review = FindResource(list, "selfsubjectreviews");
  ASSERT_TRUE(review.IsDefined());
  EXPECT_EQ(review["kind"].as<std::string>(), "SelfSubjectReview");
  EXPECT_EQ(Strings(review["verbs"]), std::vector<std::string>{"create"});
  YAML::Node token_review = FindResource(list, "tokenreviews");
  ASSERT_TRUE(token_review.IsDefined());
  EXPECT_EQ(token_review["kind"].as<std::string>(), "TokenReview");
  EXPECT_EQ(token_review["singularName"].as<std::string>(), "tokenreview");
  EXPECT_FALSE(token_review["namespaced"].as<bool>());
  EXPECT_EQ(Strings(token_review["verbs"]), std::vector<std::string>{"create"});

  YAML::Node v1 = Parse(docs.Find("/api/v1"));
  YAML::Node accounts = FindResource(v1, "serviceaccounts");
  ASSERT_TRUE(accounts.IsDefined());
  EXPECT_EQ(Strings(accounts["shortNames"]), std::vector<std::string>{"sa"});
  YAML::Node token = FindResource(v1, "serviceaccounts/token");
  ASSERT_TRUE(token.IsDefined());
  EXPECT_EQ(token["group"].as<std::string>(), "authentication.k8s.io");
  EXPECT_EQ(token["version"].as<std::string>(), "v1");
  EXPECT_EQ(token["kind"].as<std::string>(), "TokenRequest");
  EXPECT_EQ(Strings(token["verbs"]), std::vector<std::string>{"create"});
}

TEST(DiscoveryDocs, CoreResourcesCarryShortNamesCategoriesAndSubresources) {
  DiscoveryDocs docs(TheRegistry());
  YAML::Node v1 = Parse(docs.Find("/api/v1"));
  EXPECT_EQ(v1["kind"].as<std::string>(), "APIResourceList");
  EXPECT_EQ(v1["groupVersion"].as<std::string>(), "v1");
  // kube-apiserver writes the core list without apiVersion.
  EXPECT_FALSE(v1["apiVersion"].IsDefined());

  YAML::Node pods = FindResource(v1, "pods");
  ASSERT_TRUE(pods.IsDefined());
  EXPECT_EQ(pods["singularName"].as<std::string>(), "pod");
  EXPECT_TRUE(pods["namespaced"].as<bool>());
  EXPECT_EQ(pods["kind"].as<std::string>(), "Pod");
  EXPECT_EQ(Strings(pods["shortNames"]), std::vector<std::string>{"po"});
  EXPECT_EQ(Strings(pods["categories"]), std::vector<std::string>{"all"});
  EXPECT_EQ(Strings(pods["verbs"]),
            (std::vector<std::string>{"create", "delete", "deletecollection", "get", "list",
                                      "patch", "update", "watch"}));

  YAML::Node status = FindResource(v1, "pods/status");
  ASSERT_TRUE(status.IsDefined());
  EXPECT_EQ(status["kind"].as<std::string>(), "Pod");
  EXPECT_EQ(Strings(status["verbs"]), (std::vector<std::string>{"get", "patch", "update"}));
  EXPECT_EQ(status["singularName"].as<std::string>(), "");

  YAML::Node log = FindResource(v1, "pods/log");
  ASSERT_TRUE(log.IsDefined());
  EXPECT_EQ(log["kind"].as<std::string>(), "Pod");
  EXPECT_EQ(Strings(log["verbs"]), std::vector<std::string>{"get"});

  YAML::Node binding = FindResource(v1, "pods/binding");
  ASSERT_TRUE(binding.IsDefined());
  EXPECT_EQ(binding["kind"].as<std::string>(), "Binding");
  EXPECT_EQ(Strings(binding["verbs"]), std::vector<std::string>{"create"});

  EXPECT_EQ(Strings(FindResource(v1, "nodes")["shortNames"]), std::vector<std::string>{"no"});
  EXPECT_FALSE(FindResource(v1, "nodes")["namespaced"].as<bool>());
  EXPECT_EQ(Strings(FindResource(v1, "namespaces")["shortNames"]), std::vector<std::string>{"ns"});
  EXPECT_EQ(Strings(FindResource(v1, "events")["shortNames"]), std::vector<std::string>{"ev"});
  EXPECT_FALSE(FindResource(v1, "events")["categories"].IsDefined());
  EXPECT_TRUE(FindResource(v1, "nodes/status").IsDefined());

  // Kinds without a resource of their own are not resources.
  for (const auto& r : v1["resources"]) {
    const std::string name = r["name"].as<std::string>();
    if (r["kind"].as<std::string>() == "Binding") {
      EXPECT_NE(name.find('/'), std::string::npos) << name;
    }
    EXPECT_NE(r["kind"].as<std::string>(), "Status") << name;
    EXPECT_NE(r["kind"].as<std::string>(), "DeleteOptions") << name;
  }
}

TEST(DiscoveryDocs, ScaleSubresourceIsAnAutoscalingV1Scale) {
  DiscoveryDocs docs(TheRegistry());
  YAML::Node apps = Parse(docs.Find("/apis/apps/v1"));
  EXPECT_EQ(apps["apiVersion"].as<std::string>(), "v1");
  EXPECT_EQ(apps["groupVersion"].as<std::string>(), "apps/v1");
  for (const char* name : {"deployments/scale", "replicasets/scale"}) {
    YAML::Node scale = FindResource(apps, name);
    ASSERT_TRUE(scale.IsDefined()) << name;
    EXPECT_EQ(scale["group"].as<std::string>(), "autoscaling") << name;
    EXPECT_EQ(scale["version"].as<std::string>(), "v1") << name;
    EXPECT_EQ(scale["kind"].as<std::string>(), "Scale") << name;
    EXPECT_EQ(Strings(scale["verbs"]), (std::vector<std::string>{"get", "patch", "update"}));
  }
  YAML::Node deployments = FindResource(apps, "deployments");
  EXPECT_EQ(Strings(deployments["shortNames"]), std::vector<std::string>{"deploy"});
  EXPECT_EQ(Strings(deployments["categories"]), std::vector<std::string>{"all"});
  // Same group-version as the list: no group/version of its own.
  EXPECT_FALSE(deployments["group"].IsDefined());
  EXPECT_TRUE(FindResource(apps, "deployments/status").IsDefined());
  EXPECT_EQ(Strings(FindResource(apps, "replicasets")["shortNames"]),
            std::vector<std::string>{"rs"});

  YAML::Node coordination = Parse(docs.Find("/apis/coordination.k8s.io/v1"));
  EXPECT_TRUE(FindResource(coordination, "leases").IsDefined());
  EXPECT_FALSE(FindResource(coordination, "leases")["shortNames"].IsDefined());
}

TEST(DiscoveryDocs, UnknownPathsAreNotFoundAndATrailingSlashIsIgnored) {
  DiscoveryDocs docs(TheRegistry());
  EXPECT_EQ(docs.Find("/api/v2"), nullptr);
  EXPECT_EQ(docs.Find("/apis/extensions"), nullptr);
  EXPECT_EQ(docs.Find("/apis/apps/v1/deployments"), nullptr);
  EXPECT_EQ(docs.Find(""), nullptr);
  EXPECT_EQ(docs.Find("/"), nullptr);
  ASSERT_NE(docs.Find("/api/v1/"), nullptr);
  EXPECT_EQ(docs.Find("/api/v1/"), docs.Find("/api/v1"));
}

// ------------------------------------------------------------------ openapi

class OpenApiDocsTest : public ::testing::Test {
 protected:
  YAML::Node Document(const std::string& key) { return Parse(docs_.Find("/openapi/v3/" + key)); }

  OpenApiDocs docs_{TheRegistry()};
};

// The schema a property (or item) schema stands for: follows `$ref` and
// a one-element allOf, as kubectl explain does. (Node::reset rebinds;
// assigning a YAML::Node would overwrite the node it refers to.)
YAML::Node Resolve(const YAML::Node& doc, const YAML::Node& property) {
  YAML::Node schema;
  schema.reset(property);
  for (int depth = 0; depth < 8 && schema.IsMap(); ++depth) {
    if (schema["$ref"]) {
      const std::string ref = schema["$ref"].as<std::string>();
      schema.reset(doc["components"]["schemas"][ref.substr(std::string(kSchemaRefPrefix).size())]);
    } else if (schema["allOf"] && schema["allOf"].size() == 1) {
      schema.reset(schema["allOf"][0]);
    } else {
      break;
    }
  }
  return schema;
}

// Every "$ref" below `node`.
void CollectRefs(const YAML::Node& node, std::vector<std::string>* refs) {
  if (node.IsMap()) {
    for (const auto& member : node) {
      if (member.first.as<std::string>() == "$ref") {
        refs->push_back(member.second.as<std::string>());
      } else {
        CollectRefs(member.second, refs);
      }
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) CollectRefs(item, refs);
  }
}

TEST_F(OpenApiDocsTest, IndexListsEveryGroupVersionWithItsDocument) {
  YAML::Node index = Parse(docs_.Find("/openapi/v3"));
  std::set<std::string> keys;
  for (const auto& entry : index["paths"]) {
    const std::string key = entry.first.as<std::string>();
    keys.insert(key);
    const std::string url = entry.second["serverRelativeURL"].as<std::string>();
    const std::string prefix = "/openapi/v3/" + key + "?hash=";
    ASSERT_EQ(url.substr(0, prefix.size()), prefix) << url;
    EXPECT_GT(url.size(), prefix.size());
    // The document is served at the URL without its query.
    EXPECT_NE(docs_.Find(url.substr(0, url.find('?'))), nullptr) << url;
  }
  std::set<std::string> served;
  for (const ApiGroupVersion& gv : ServedGroupVersions(TheRegistry())) {
    served.insert(gv.PathPrefix().substr(1));
  }
  EXPECT_EQ(keys, served);
  EXPECT_EQ(keys, (std::set<std::string>{"api/v1", "apis/apps/v1", "apis/batch/v1",
                                         "apis/certificates.k8s.io/v1",
                                         "apis/coordination.k8s.io/v1", "apis/discovery.k8s.io/v1",
                                         "apis/rbac.authorization.k8s.io/v1"}));

  // The same registry gives the same bytes, so the same hashes.
  OpenApiDocs again(TheRegistry());
  EXPECT_EQ(*again.Find("/openapi/v3"), *docs_.Find("/openapi/v3"));
  EXPECT_EQ(docs_.Find("/openapi/v3/apis/extensions/v1beta1"), nullptr);
  EXPECT_EQ(docs_.Find("/openapi/v2"), nullptr);
}

// /openapi/v2 is an empty document: protobuf (zero bytes) for kubectl,
// JSON otherwise, so kubectl's client-side validation finds no schema and
// leaves the create-only reviews to the server.
TEST(OpenApiV2, AnEmptyDocumentInTheAskedEncoding) {
  OpenApiV2Answer pb =
      OpenApiV2Document("application/com.github.proto-openapi.spec.v2@v1.0+protobuf");
  EXPECT_EQ(pb.content_type, "application/com.github.proto-openapi.spec.v2.v1.0+protobuf");
  EXPECT_EQ(pb.body, "");
  OpenApiV2Answer json = OpenApiV2Document("application/json");
  EXPECT_EQ(json.content_type, "application/json");
  YAML::Node doc = YAML::Load(json.body);
  EXPECT_EQ(doc["swagger"].as<std::string>(), "2.0");
  EXPECT_EQ(doc["paths"].size(), 0u);
  EXPECT_EQ(doc["definitions"].size(), 0u);
}

TEST_F(OpenApiDocsTest, DeploymentPatchDeclaresFieldValidationAndItsKind) {
  const YAML::Node doc = Document("apis/apps/v1");
  EXPECT_EQ(doc["openapi"].as<std::string>(), "3.0.0");
  YAML::Node patch =
      doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
  ASSERT_TRUE(patch.IsMap());
  EXPECT_EQ(patch["operationId"].as<std::string>(), "patchAppsV1NamespacedDeployment");
  EXPECT_EQ(patch["x-kubernetes-action"].as<std::string>(), "patch");
  EXPECT_TRUE(IsGvk(patch["x-kubernetes-group-version-kind"], "apps", "v1", "Deployment"));
  std::set<std::string> query;
  for (const auto& param : patch["parameters"]) {
    if (param["in"].as<std::string>() == "query") query.insert(param["name"].as<std::string>());
  }
  for (const char* name : {"fieldValidation", "dryRun", "fieldManager", "force"}) {
    EXPECT_EQ(query.count(name), 1u) << name;
  }
  for (const char* type :
       {"application/json-patch+json", "application/merge-patch+json",
        "application/strategic-merge-patch+json", "application/apply-patch+yaml"}) {
    EXPECT_TRUE(patch["requestBody"]["content"][type].IsMap()) << type;
  }
  EXPECT_EQ(
      patch["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].as<std::string>(),
      "#/components/schemas/io.k8s.api.apps.v1.Deployment");

  YAML::Node scale = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"];
  EXPECT_TRUE(
      IsGvk(scale["patch"]["x-kubernetes-group-version-kind"], "autoscaling", "v1", "Scale"));
  EXPECT_EQ(scale["get"]["operationId"].as<std::string>(), "readAppsV1NamespacedDeploymentScale");
  EXPECT_TRUE(doc["components"]["schemas"]["io.k8s.api.autoscaling.v1.Scale"].IsMap());

  YAML::Node list = doc["paths"]["/apis/apps/v1/deployments"]["get"];
  EXPECT_EQ(list["operationId"].as<std::string>(), "listAppsV1DeploymentForAllNamespaces");
  EXPECT_EQ(
      doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments"]["delete"]["operationId"]
          .as<std::string>(),
      "deleteAppsV1CollectionNamespacedDeployment");
}

// cli-runtime's query_param_verifier_v3: for a kind, the first PATCH
// operation (in map order, so any of them) whose GVK is the kind must take
// fieldValidation in the query. Checked for every served kind.
TEST_F(OpenApiDocsTest, EveryPatchOfEveryKindPassesKubectlsFieldValidationCheck) {
  for (const ApiGroupVersion& gv : ServedGroupVersions(TheRegistry())) {
    const YAML::Node doc = Document(gv.PathPrefix().substr(1));
    for (const ApiResource& resource : gv.resources) {
      if (!resource.subresource.empty()) continue;
      const api::KindInfo& kind = *resource.kind;
      int patches = 0;
      for (const auto& path : doc["paths"]) {
        YAML::Node op = path.second["patch"];
        if (!op ||
            !IsGvk(op["x-kubernetes-group-version-kind"], kind.group, kind.version, kind.kind)) {
          continue;
        }
        ++patches;
        bool found = false;
        for (const auto& param : op["parameters"]) {
          found |= param["name"].as<std::string>() == "fieldValidation" &&
                   param["in"].as<std::string>() == "query";
        }
        EXPECT_TRUE(found) << path.first.as<std::string>();
      }
      EXPECT_GE(patches, 1) << kind.kind;
    }
  }
}

// kubectl explain deployment.spec.strategy: the GVK from an operation on
// the collection or item path, the component schema with that GVK, then
// the properties, through $ref and allOf.
TEST_F(OpenApiDocsTest, ExplainFindsDeploymentSpecStrategy) {
  const YAML::Node doc = Document("apis/apps/v1");
  YAML::Node gvk;
  for (const char* path : {"/apis/apps/v1/deployments", "/apis/apps/v1/deployments/{name}",
                           "/apis/apps/v1/namespaces/{namespace}/deployments",
                           "/apis/apps/v1/namespaces/{namespace}/deployments/{name}"}) {
    const YAML::Node path_item = doc["paths"][path];
    if (!path_item) continue;
    for (const char* method : {"get", "post", "put", "patch", "delete"}) {
      const YAML::Node op = path_item[method];
      if (op && op["x-kubernetes-group-version-kind"] && !gvk.IsMap()) {
        gvk.reset(op["x-kubernetes-group-version-kind"]);
      }
    }
  }
  ASSERT_TRUE(gvk.IsMap());
  ASSERT_TRUE(IsGvk(gvk, "apps", "v1", "Deployment"));

  YAML::Node kind_schema;
  int matches = 0;
  for (const auto& schema : doc["components"]["schemas"]) {
    for (const auto& candidate : schema.second["x-kubernetes-group-version-kind"]) {
      if (IsGvk(candidate, "apps", "v1", "Deployment")) {
        kind_schema.reset(schema.second);
        ++matches;
      }
    }
  }
  ASSERT_EQ(matches, 1);
  YAML::Node spec = Resolve(doc, kind_schema["properties"]["spec"]);
  ASSERT_TRUE(spec["properties"].IsMap());
  YAML::Node strategy = Resolve(doc, spec["properties"]["strategy"]);
  ASSERT_TRUE(strategy["properties"].IsMap());
  EXPECT_EQ(strategy["properties"]["type"]["type"].as<std::string>(), "string");
  YAML::Node rolling = Resolve(doc, strategy["properties"]["rollingUpdate"]);
  YAML::Node max_surge = Resolve(doc, rolling["properties"]["maxSurge"]);
  EXPECT_EQ(max_surge["format"].as<std::string>(), "int-or-string");

  EXPECT_EQ(spec["properties"]["replicas"]["type"].as<std::string>(), "integer");
  EXPECT_EQ(spec["properties"]["replicas"]["format"].as<std::string>(), "int32");
  EXPECT_EQ(spec["properties"]["paused"]["type"].as<std::string>(), "boolean");
}

TEST_F(OpenApiDocsTest, SchemasAreNamedAndTypedAsKubernetesPublishesThem) {
  const YAML::Node doc = Document("api/v1");
  YAML::Node schemas = doc["components"]["schemas"];
  YAML::Node pod = schemas["io.k8s.api.core.v1.Pod"];
  ASSERT_TRUE(pod.IsMap());
  EXPECT_TRUE(IsGvk(pod["x-kubernetes-group-version-kind"][0], "", "v1", "Pod"));
  EXPECT_TRUE(IsGvk(schemas["io.k8s.api.core.v1.PodList"]["x-kubernetes-group-version-kind"][0], "",
                    "v1", "PodList"));
  EXPECT_EQ(pod["properties"]["metadata"]["$ref"].as<std::string>(),
            "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");

  YAML::Node meta = schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"];
  EXPECT_EQ(meta["properties"]["labels"]["type"].as<std::string>(), "object");
  EXPECT_EQ(meta["properties"]["labels"]["additionalProperties"]["type"].as<std::string>(),
            "string");
  EXPECT_EQ(meta["properties"]["generation"]["format"].as<std::string>(), "int64");
  EXPECT_EQ(meta["properties"]["finalizers"]["type"].as<std::string>(), "array");
  EXPECT_EQ(meta["properties"]["finalizers"]["items"]["type"].as<std::string>(), "string");
  EXPECT_EQ(meta["properties"]["creationTimestamp"]["$ref"].as<std::string>(),
            "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Time");
  EXPECT_EQ(meta["properties"]["uid"]["type"].as<std::string>(), "string");

  YAML::Node time = schemas["io.k8s.apimachinery.pkg.apis.meta.v1.Time"];
  EXPECT_EQ(time["type"].as<std::string>(), "string");
  EXPECT_EQ(time["format"].as<std::string>(), "date-time");
  YAML::Node quantity = schemas["io.k8s.apimachinery.pkg.api.resource.Quantity"];
  ASSERT_TRUE(quantity.IsMap());
  EXPECT_EQ(quantity["oneOf"].size(), 2u);
  YAML::Node requests =
      Resolve(doc, schemas["io.k8s.api.core.v1.ResourceRequirements"]["properties"]["requests"]);
  EXPECT_EQ(requests["additionalProperties"]["$ref"].as<std::string>(),
            "#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity");
  YAML::Node int_or_string = schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"];
  EXPECT_EQ(int_or_string["format"].as<std::string>(), "int-or-string");

  // The shared meta.k8s.io schemas the operations use.
  for (const char* name :
       {"io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta",
        "io.k8s.apimachinery.pkg.apis.meta.v1.Status",
        "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
        "io.k8s.apimachinery.pkg.apis.meta.v1.Patch",
        "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent", "io.k8s.api.core.v1.Binding"}) {
    EXPECT_TRUE(schemas[name].IsMap()) << name;
  }

  YAML::Node log = doc["paths"]["/api/v1/namespaces/{namespace}/pods/{name}/log"]["get"];
  EXPECT_EQ(log["operationId"].as<std::string>(), "readCoreV1NamespacedPodLog");
  EXPECT_EQ(log["responses"]["200"]["content"]["text/plain"]["schema"]["type"].as<std::string>(),
            "string");
  YAML::Node binding = doc["paths"]["/api/v1/namespaces/{namespace}/pods/{name}/binding"]["post"];
  EXPECT_TRUE(IsGvk(binding["x-kubernetes-group-version-kind"], "", "v1", "Binding"));
  YAML::Node nodes = doc["paths"]["/api/v1/nodes/{name}"]["get"];
  EXPECT_EQ(nodes["operationId"].as<std::string>(), "readCoreV1Node");
}

TEST_F(OpenApiDocsTest, EveryRefResolvesToAComponentSchema) {
  for (const ApiGroupVersion& gv : ServedGroupVersions(TheRegistry())) {
    const YAML::Node doc = Document(gv.PathPrefix().substr(1));
    std::vector<std::string> refs;
    CollectRefs(doc, &refs);
    EXPECT_GT(refs.size(), 10u);
    for (const std::string& ref : refs) {
      ASSERT_EQ(ref.rfind(kSchemaRefPrefix, 0), 0u) << ref;
      const std::string name = ref.substr(std::string(kSchemaRefPrefix).size());
      EXPECT_TRUE(doc["components"]["schemas"][name].IsMap()) << gv.GroupVersion() << ": " << ref;
    }
  }
}

// Strategic merge patch merges containers by name; kubectl reads that from
// the schema of PodSpec (the field options of core.proto).
TEST_F(OpenApiDocsTest, PodSpecContainersCarryTheirPatchMergeKey) {
  const YAML::Node doc = Document("api/v1");
  YAML::Node containers =
      doc["components"]["schemas"]["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
  ASSERT_TRUE(containers.IsMap());
  EXPECT_EQ(containers["type"].as<std::string>(), "array");
  EXPECT_EQ(containers["items"]["$ref"].as<std::string>(),
            "#/components/schemas/io.k8s.api.core.v1.Container");
  ASSERT_TRUE(containers["x-kubernetes-patch-merge-key"]) << "core.proto has no patch_merge_key "
                                                             "on PodSpec.containers";
  EXPECT_EQ(containers["x-kubernetes-patch-merge-key"].as<std::string>(), "name");
  EXPECT_EQ(containers["x-kubernetes-patch-strategy"].as<std::string>(), "merge");
}

}  // namespace
}  // namespace minik8s::apiserver::rest
