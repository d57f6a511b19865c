#include "api/validation/field_error.h"

#include "api/validation/names.h"
#include "gtest/gtest.h"

namespace minik8s::validation {
namespace {

TEST(FieldError, ToStringTable) {
  FieldPath spec("spec");
  struct Case {
    FieldError err;
    std::string want;
  };
  const Case cases[] = {
      {Invalid(spec.Child("replicas"), int64_t{-1}, "must be greater than or equal to 0"),
       "spec.replicas: Invalid value: -1: must be greater than or equal to 0"},
      {Required(FieldPath("metadata").Child("name"), "name or generateName is required"),
       "metadata.name: Required value: name or generateName is required"},
      {Required(spec.Child("containers"), ""), "spec.containers: Required value"},
      {NotSupported(spec.Child("template").Child("spec").Child("restartPolicy"), "Never",
                    {"Always"}),
       "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: "
       "\"Always\""},
      {Duplicate(spec.Child("template").Child("spec").Child("containers").Index(1).Child("name"),
                 "nginx"),
       "spec.template.spec.containers[1].name: Duplicate value: \"nginx\""},
      {Forbidden(spec, "pod updates may not add or remove containers"),
       "spec: Forbidden: pod updates may not add or remove containers"},
      {TooLong(FieldPath("metadata").Child("annotations"), 262144),
       "metadata.annotations: Too long: must have at most 262144 bytes"},
      {TooMany(spec.Child("items"), 5, 3), "spec.items: Too many: 5: must have at most 3 items"},
      {NotFound(spec.Child("x"), "y"), "spec.x: Not found: \"y\""},
      {Invalid(spec.Child("containers").Index(0).Child("resources").Child("limits").Key("cpu"),
               "-1", "must be greater than or equal to 0"),
       "spec.containers[0].resources.limits[cpu]: Invalid value: \"-1\": must be greater than or "
       "equal to 0"},
      {Invalid(FieldPath(), "a\"b\n", "bad"), "<nil>: Invalid value: \"a\\\"b\\n\": bad"},
  };
  for (const Case& c : cases) EXPECT_EQ(c.err.ToString(), c.want);
}

TEST(FieldError, Printers) {
  EXPECT_EQ(PrintStringSlice({}), "[]string{}");
  EXPECT_EQ(PrintStringSlice({"a", "b"}), "[]string{\"a\", \"b\"}");
  EXPECT_EQ(PrintStringMap({{"b", "2"}, {"a", "1"}}),
            "map[string]string{\"a\":\"1\", \"b\":\"2\"}");
  EXPECT_EQ(QuoteValue("tab\there"), "\"tab\\there\"");
  EXPECT_EQ(QuoteValue(std::string("\x01", 1)), "\"\\x01\"");
}

TEST(FieldError, InvalidMessage) {
  FieldPath spec("spec");
  FieldErrors one = {
      Invalid(spec.Child("replicas"), int64_t{-1}, "must be greater than or equal to 0")};
  EXPECT_EQ(InvalidMessage("Deployment.apps", "x", one),
            "Deployment.apps \"x\" is invalid: spec.replicas: Invalid value: -1: must be greater "
            "than or equal to 0");
  FieldErrors two = one;
  two.push_back(Required(spec.Child("selector"), ""));
  two.push_back(one[0]);  // duplicates are dropped, as Kubernetes' aggregate does
  EXPECT_EQ(InvalidMessage("Deployment.apps", "x", two),
            "Deployment.apps \"x\" is invalid: [spec.replicas: Invalid value: -1: must be greater "
            "than or equal to 0, spec.selector: Required value]");
  EXPECT_TRUE(InvalidStatus("Pod", "p", {}).ok());
  absl::Status st = InvalidStatus("Pod", "p", one);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), InvalidMessage("Pod", "p", one));
}

TEST(Names, Table) {
  const std::string kLabel =
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
      "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
      "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
  const std::string kSubdomain =
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
      "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
      "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
  using V = std::vector<std::string>;
  EXPECT_EQ(IsDNS1123Label("my-name"), V{});
  EXPECT_EQ(IsDNS1123Label("123"), V{});
  EXPECT_EQ(IsDNS1123Label("My"), V{kLabel});
  EXPECT_EQ(IsDNS1123Label("-a"), V{kLabel});
  EXPECT_EQ(IsDNS1123Label(""), V{kLabel});
  EXPECT_EQ(IsDNS1123Label("a.b"), V{"must not contain dots"});
  EXPECT_EQ(IsDNS1123Label(std::string(64, 'a')), V{"must be no more than 63 characters"});
  EXPECT_EQ(IsDNS1123Subdomain("example.com"), V{});
  EXPECT_EQ(IsDNS1123Subdomain("Example.com"), V{kSubdomain});
  EXPECT_EQ(IsDNS1123Subdomain("a..b"), V{kSubdomain});
  EXPECT_EQ(IsDNS1123Subdomain("a."), V{kSubdomain});
  EXPECT_EQ(IsDNS1123Subdomain(std::string(254, 'a')), V{"must be no more than 253 characters"});
  EXPECT_EQ(IsDNS1123Subdomain("A" + std::string(253, 'a')),
            (V{"must be no more than 253 characters", kSubdomain}));
  EXPECT_EQ(IsQualifiedName("app"), V{});
  EXPECT_EQ(IsQualifiedName("example.com/App_x.1"), V{});
  EXPECT_EQ(IsQualifiedName("/a"), V{"prefix part must be non-empty"});
  EXPECT_EQ(IsQualifiedName("Example.com/a"), V{"prefix part " + kSubdomain});
  EXPECT_EQ(IsValidLabelValue(""), V{});
  EXPECT_EQ(IsValidLabelValue("a_b.c-d"), V{});
  EXPECT_EQ(IsValidLabelValue("a b").size(), 1u);
  EXPECT_EQ(IsValidPortNum(0), V{"must be between 1 and 65535, inclusive"});
  EXPECT_EQ(IsValidPortNum(65535), V{});
  EXPECT_EQ(IsValidPortName("http"), V{});
  EXPECT_EQ(IsValidPortName("80"), V{"must contain at least one letter (a-z)"});
}

}  // namespace
}  // namespace minik8s::validation
