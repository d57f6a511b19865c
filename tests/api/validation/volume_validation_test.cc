// A pod's volumes: defaulting and validation with Kubernetes' messages and
// field paths (api/validation/validation_volumes.h), the ServiceAccount
// token volume Kubernetes' admission adds included.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/codec.h"
#include "api/validation/defaults.h"
#include "api/validation/validation.h"
#include "api/validation/validation_volumes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace minik8s::validation {
namespace {

using minik8s::core::v1::Pod;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> Strings(const FieldErrors& errs) {
  std::vector<std::string> out;
  for (const FieldError& e : errs) out.push_back(e.ToString());
  return out;
}

// A pod with `volumes` (YAML list items, indented by four), defaulted.
Pod PodWith(const std::string& volumes) {
  const std::string yaml = absl::StrCat(R"(apiVersion: v1
kind: Pod
metadata: {name: web, namespace: default}
spec:
  containers:
  - {name: app, image: nginx}
  volumes:
)",
                                        volumes);
  absl::StatusOr<Pod> pod = api::DecodeAs<Pod>(yaml);
  EXPECT_TRUE(pod.ok()) << pod.status() << "\n" << yaml;
  Pod out = pod.ok() ? *pod : Pod();
  SetDefaults(&out);
  return out;
}

std::vector<std::string> Errors(const std::string& volumes) {
  return Strings(ValidatePod(PodWith(volumes)));
}

// The volume Kubernetes' ServiceAccount admission adds.
constexpr char kTokenVolume[] = R"(  - name: kube-api-access-x7k2p
    projected:
      defaultMode: 420
      sources:
      - serviceAccountToken: {expirationSeconds: 3607, path: token}
      - configMap:
          name: kube-root-ca.crt
          items: [{key: ca.crt, path: ca.crt}]
      - downwardAPI:
          items:
          - path: namespace
            fieldRef: {apiVersion: v1, fieldPath: metadata.namespace}
)";

TEST(VolumeValidation, TheServiceAccountTokenVolumeIsValid) {
  EXPECT_THAT(Errors(kTokenVolume), IsEmpty());
}

TEST(VolumeDefaults, ModesTokenLifetimeFieldRefVersionAndEmptyDir) {
  Pod pod = PodWith(R"(  - name: scratch
  - name: cfg
    configMap: {name: app}
  - name: sec
    secret: {secretName: db}
  - name: info
    downwardAPI:
      items: [{path: name, fieldRef: {fieldPath: metadata.name}}]
  - name: token
    projected:
      sources: [{serviceAccountToken: {path: token}}]
  - name: host
    hostPath: {path: /var/log}
)");
  const auto& v = pod.spec().volumes();
  EXPECT_TRUE(v[0].has_empty_dir());
  EXPECT_EQ(v[1].config_map().default_mode(), 0644);
  EXPECT_EQ(v[2].secret().default_mode(), 0644);
  EXPECT_EQ(v[3].downward_api().default_mode(), 0644);
  EXPECT_EQ(v[3].downward_api().items(0).field_ref().api_version(), "v1");
  EXPECT_EQ(v[4].projected().default_mode(), 0644);
  EXPECT_EQ(v[4].projected().sources(0).service_account_token().expiration_seconds(), 3600);
  EXPECT_TRUE(v[5].host_path().has_type());
  EXPECT_EQ(v[5].host_path().type(), "");
  EXPECT_THAT(Strings(ValidatePod(pod)), IsEmpty());
  // Explicit values stay.
  Pod kept = PodWith(R"(  - name: cfg
    configMap: {name: app, defaultMode: 256}
)");
  EXPECT_EQ(kept.spec().volumes(0).config_map().default_mode(), 0400);
}

TEST(VolumeValidation, ExactlyOneSourceAVolume) {
  Pod none = PodWith("  - name: empty\n    emptyDir: {}\n");
  none.mutable_spec()->mutable_volumes(0)->clear_empty_dir();  // past defaulting
  EXPECT_THAT(Strings(ValidatePod(none)),
              ElementsAre("spec.volumes[0]: Required value: must specify a volume type"));
  EXPECT_THAT(Errors(R"(  - name: two
    configMap: {name: app}
    projected: {sources: []}
)"),
              ElementsAre("spec.volumes[0].projected: Forbidden: may not specify more than 1 "
                          "volume type"));
  EXPECT_THAT(Errors(R"(  - name: two
    emptyDir: {}
    downwardAPI: {items: []}
)"),
              ElementsAre("spec.volumes[0].downwarAPI: Forbidden: may not specify more than 1 "
                          "volume type"));
}

TEST(VolumeValidation, ProjectedSourcesAreOneTypeEach) {
  EXPECT_THAT(
      Errors(R"(  - name: mixed
    projected:
      sources:
      - serviceAccountToken: {path: token}
        configMap: {name: app, items: [{key: a, path: a}]}
)"),
      ElementsAre("spec.volumes[0].projected.sources[0]: Forbidden: may not specify more than 1 "
                  "volume type"));
}

TEST(VolumeValidation, TokenLifetimeAndPath) {
  EXPECT_THAT(
      Errors(R"(  - name: short
    projected:
      sources: [{serviceAccountToken: {path: token, expirationSeconds: 599}}]
  - name: long
    projected:
      sources: [{serviceAccountToken: {path: token, expirationSeconds: 4294967297}}]
  - name: nopath
    projected:
      sources: [{serviceAccountToken: {}}]
  - name: badpath
    projected:
      sources: [{serviceAccountToken: {path: /etc/token}}, {serviceAccountToken: {path: ../up}}]
)"),
      ElementsAre("spec.volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds: "
                  "Invalid value: 599: may not specify a duration less than 10 minutes",
                  "spec.volumes[1].projected.sources[0].serviceAccountToken.expirationSeconds: "
                  "Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds",
                  "spec.volumes[2].projected.path: Required value",
                  "spec.volumes[3].projected.path: Invalid value: \"/etc/token\": must be a "
                  "relative path",
                  "spec.volumes[3].projected.path: Invalid value: \"../up\": must not contain "
                  "'..'"));
  EXPECT_THAT(Errors(R"(  - name: edge
    projected:
      sources:
      - serviceAccountToken: {path: a, expirationSeconds: 600}
      - serviceAccountToken: {path: b, expirationSeconds: 4294967296}
)"),
              IsEmpty());
}

TEST(VolumeValidation, NoTwoSourcesWriteOnePath) {
  EXPECT_THAT(
      Errors(R"(  - name: clash
    projected:
      sources:
      - configMap:
          name: app
          items: [{key: a, path: conf/a}]
      - secret:
          name: db
          items: [{key: a, path: conf/a}]
      - downwardAPI:
          items: [{path: conf/a, fieldRef: {fieldPath: metadata.uid}}]
      - serviceAccountToken: {path: conf/a}
)"),
      ElementsAre("spec.volumes[0].projected: Invalid value: \"db\": conflicting duplicate paths",
                  "spec.volumes[0].projected: Invalid value: \"conf/a\": conflicting duplicate "
                  "paths",
                  "spec.volumes[0].projected: Invalid value: \"conf/a\": conflicting duplicate "
                  "paths"));
}

TEST(VolumeValidation, ItemsNeedAKeyAndARelativePath) {
  EXPECT_THAT(
      Errors(R"(  - name: cfg
    configMap:
      name: app
      items: [{key: "", path: ""}, {key: a, path: "..hidden"}, {key: b, path: x/../../y}]
  - name: sec
    secret: {items: [{key: a, path: /abs}]}
  - name: proj
    projected:
      sources: [{configMap: {items: [{key: a, path: a}]}}]
)"),
      ElementsAre("spec.volumes[0].configMap.items[0].key: Required value",
                  "spec.volumes[0].configMap.items[0].path: Required value",
                  "spec.volumes[0].configMap.items[1].path: Invalid value: \"..hidden\": must not "
                  "start with '..'",
                  "spec.volumes[0].configMap.items[2].path: Invalid value: \"x/../../y\": must "
                  "not contain '..'",
                  "spec.volumes[1].secret.secretName: Required value",
                  "spec.volumes[1].secret.items[0].path: Invalid value: \"/abs\": must be a "
                  "relative path",
                  "spec.volumes[2].projected.sources[0].configMap.name: Required value"));
}

TEST(VolumeValidation, DownwardAPIFieldsAVolumeMayShow) {
  EXPECT_THAT(Errors(R"(  - name: ok
    downwardAPI:
      items:
      - {path: name, fieldRef: {fieldPath: metadata.name}}
      - {path: ns, fieldRef: {fieldPath: metadata.namespace}}
      - {path: uid, fieldRef: {fieldPath: metadata.uid}}
      - {path: labels, fieldRef: {fieldPath: metadata.labels}}
      - {path: annotations, fieldRef: {fieldPath: metadata.annotations}}
      - {path: tier, fieldRef: {fieldPath: "metadata.labels['tier']"}}
      - {path: note, fieldRef: {fieldPath: "metadata.annotations['Example.com/Note']"}}
      - {path: cpu, resourceFieldRef: {containerName: app, resource: limits.cpu}}
)"),
              IsEmpty());
  EXPECT_THAT(
      Errors(R"(  - name: bad
    downwardAPI:
      items:
      - {path: node, fieldRef: {fieldPath: spec.nodeName}}
      - {path: x, fieldRef: {fieldPath: spec.bogus}}
      - {path: y, fieldRef: {apiVersion: v2, fieldPath: metadata.name}}
      - {path: z, fieldRef: {fieldPath: "spec.containers['a']"}}
      - {path: w, fieldRef: {fieldPath: "metadata.labels['-bad-']"}}
      - {path: none}
      - {path: both, fieldRef: {fieldPath: metadata.name}, resourceFieldRef: {containerName: app, resource: limits.cpu}}
      - {path: mem, resourceFieldRef: {containerName: app, resource: limits.gpu}}
      - {path: noctr, resourceFieldRef: {resource: limits.cpu}}
)"),
      ElementsAre(
          "spec.volumes[0].downwardAPI.fieldRef.fieldPath: Unsupported value: \"spec.nodeName\": "
          "supported values: \"metadata.annotations\", \"metadata.labels\", \"metadata.name\", "
          "\"metadata.namespace\", \"metadata.uid\"",
          "spec.volumes[0].downwardAPI.fieldRef.fieldPath: Invalid value: \"spec.bogus\": error "
          "converting fieldPath: field label not supported: spec.bogus",
          "spec.volumes[0].downwardAPI.fieldRef.fieldPath: Invalid value: \"metadata.name\": "
          "error converting fieldPath: unsupported pod version: v2",
          "spec.volumes[0].downwardAPI.fieldRef.fieldPath: Invalid value: "
          "\"spec.containers['a']\": error converting fieldPath: field label does not support "
          "subscript: spec.containers['a']",
          ::testing::StartsWith("spec.volumes[0].downwardAPI.fieldRef: Invalid value: \"-bad-\": "
                                "name part must consist of alphanumeric characters"),
          "spec.volumes[0].downwardAPI: Required value: one of fieldRef and resourceFieldRef is "
          "required",
          "spec.volumes[0].downwardAPI: Invalid value: \"resource\": fieldRef and "
          "resourceFieldRef can not be specified simultaneously",
          "spec.volumes[0].downwardAPI.resourceFieldRef.resource: Unsupported value: "
          "\"limits.gpu\": supported values: \"limits.cpu\", \"limits.ephemeral-storage\", "
          "\"limits.memory\", \"requests.cpu\", \"requests.ephemeral-storage\", "
          "\"requests.memory\"",
          "spec.volumes[0].downwardAPI.resourceFieldRef.containerName: Required value"));
}

TEST(VolumeValidation, ModesAreZeroTo0777) {
  EXPECT_THAT(
      Errors(R"(  - name: info
    downwardAPI:
      defaultMode: 512
      items: [{path: a, mode: -1, fieldRef: {fieldPath: metadata.name}}]
  - name: proj
    projected:
      defaultMode: 511
      sources: [{downwardAPI: {items: [{path: b, mode: 1000, fieldRef: {fieldPath: metadata.uid}}]}}]
)"),
      ElementsAre(
          absl::StrCat("spec.volumes[0].downwardAPI.defaultMode: Invalid value: 512: ",
                       kFileModeErrorMsg),
          absl::StrCat("spec.volumes[0].downwardAPI.mode: Invalid value: -1: ", kFileModeErrorMsg),
          absl::StrCat("spec.volumes[1].projected.sources[0].downwardAPI.mode: Invalid "
                       "value: 1000: ",
                       kFileModeErrorMsg)));
}

TEST(VolumeValidation, NamesAreUniqueLabels) {
  EXPECT_THAT(Errors(R"(  - {name: data, emptyDir: {}}
  - {name: data, emptyDir: {}}
  - {name: Bad, emptyDir: {}}
)"),
              ElementsAre("spec.volumes[1].name: Duplicate value: \"data\"",
                          ::testing::StartsWith("spec.volumes[2].name: Invalid value: \"Bad\": a "
                                                "lowercase RFC 1123 label")));
}

TEST(VolumeValidation, HostPath) {
  EXPECT_THAT(
      Errors(R"(  - {name: a, hostPath: {path: ""}}
  - {name: b, hostPath: {path: /var/../etc}}
  - {name: c, hostPath: {path: /var, type: Folder}}
)"),
      ElementsAre("spec.volumes[0].hostPath.path: Required value",
                  "spec.volumes[1].hostPath.path: Invalid value: \"/var/../etc\": must not "
                  "contain '..'",
                  "spec.volumes[2].hostPath.type: Unsupported value: \"Folder\": supported values: "
                  "\"\", \"BlockDevice\", \"CharDevice\", \"Directory\", \"DirectoryOrCreate\", "
                  "\"File\", \"FileOrCreate\", \"Socket\""));
}

TEST(VolumeValidation, APodStoredBeforeTheVolumeDefaultsMayStillBeUpdated) {
  Pod stored = PodWith(R"(  - name: cfg
    configMap: {name: app}
)");
  stored.mutable_spec()->mutable_volumes(0)->mutable_config_map()->clear_default_mode();
  stored.mutable_metadata()->set_resource_version("3");
  Pod updated = stored;
  SetDefaults(&updated);
  ASSERT_EQ(updated.spec().volumes(0).config_map().default_mode(), 0644);
  EXPECT_THAT(Strings(ValidatePodUpdate(updated, stored)), IsEmpty());
  // A real change of a volume is still refused.
  updated.mutable_spec()->mutable_volumes(0)->mutable_config_map()->set_name("other");
  EXPECT_THAT(Strings(ValidatePodUpdate(updated, stored)),
              ElementsAre(::testing::StartsWith("spec: Forbidden: pod updates may not change")));
}

}  // namespace
}  // namespace minik8s::validation
