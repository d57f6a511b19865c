// mkctl wait's --for parsing and condition checks against kubectl v1.32's
// behaviour (no server).
#include "kubectl/cmd/wait_condition.h"

#include "gtest/gtest.h"
#include "yaml-cpp/yaml.h"

namespace minik8s::kubectl {
namespace {

jsonpath::Value Obj(const std::string& yaml) { return jsonpath::FromNode(YAML::Load(yaml)); }

TEST(ParseWaitForTest, Kinds) {
  EXPECT_EQ(ParseWaitFor("delete")->kind, WaitFor::Kind::kDelete);
  EXPECT_EQ(ParseWaitFor("create")->kind, WaitFor::Kind::kCreate);
  absl::StatusOr<WaitFor> c = ParseWaitFor("condition=Available");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->kind, WaitFor::Kind::kCondition);
  EXPECT_EQ(c->condition, "Available");
  EXPECT_EQ(c->value, "true");
  c = ParseWaitFor("condition=Ready=False");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->condition, "Ready");
  EXPECT_EQ(c->value, "False");
}

TEST(ParseWaitForTest, JsonPathForms) {
  for (const char* text : {"jsonpath={.status.phase}=Running", "jsonpath=.status.phase=Running",
                           "jsonpath=status.phase=Running", "jsonpath={.status.phase}='Running'"}) {
    absl::StatusOr<WaitFor> w = ParseWaitFor(text);
    ASSERT_TRUE(w.ok()) << text << ": " << w.status();
    EXPECT_EQ(w->jsonpath, "{.status.phase}") << text;
    EXPECT_TRUE(w->has_value);
    EXPECT_EQ(w->value, "Running") << text;
  }
  absl::StatusOr<WaitFor> w = ParseWaitFor("jsonpath={.spec.nodeName}");
  ASSERT_TRUE(w.ok());
  EXPECT_FALSE(w->has_value);
  // A filter's == stays in the expression.
  w = ParseWaitFor("jsonpath={.status.conditions[?(@.type==\"Ready\")].status}=True");
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->jsonpath, "{.status.conditions[?(@.type==\"Ready\")].status}");
  EXPECT_EQ(w->value, "True");
}

TEST(ParseWaitForTest, ErrorsInKubectlWords) {
  EXPECT_EQ(ParseWaitFor("").status().message(), "unrecognized condition: \"\"");
  EXPECT_EQ(ParseWaitFor("delete=x").status().message(), "unrecognized condition: \"delete=x\"");
  EXPECT_EQ(ParseWaitFor("jsonpath=").status().message(), "jsonpath expression cannot be empty");
  EXPECT_EQ(ParseWaitFor("jsonpath={.status.phase}=").status().message(),
            "jsonpath wait has to have a value after equal sign, like "
            "--for=jsonpath='{.status.readyReplicas}'=3");
  EXPECT_EQ(ParseWaitFor("jsonpath={.status.phase").status().message(),
            "unexpected path string, expected a 'name1.name2' or '.name1.name2' or "
            "'{name1.name2}' or '{.name1.name2}'");
}

TEST(WaitConditionMetTest, ConditionTypeAndStatusIgnoreCase) {
  const jsonpath::Value pod =
      Obj("status: {conditions: [{type: Ready, status: 'True'}, {type: X, status: 'False'}]}");
  EXPECT_TRUE(*WaitConditionMet(*ParseWaitFor("condition=Ready"), pod));
  EXPECT_TRUE(*WaitConditionMet(*ParseWaitFor("condition=ready=TRUE"), pod));
  EXPECT_FALSE(*WaitConditionMet(*ParseWaitFor("condition=X"), pod));
  EXPECT_TRUE(*WaitConditionMet(*ParseWaitFor("condition=x=false"), pod));
  EXPECT_FALSE(*WaitConditionMet(*ParseWaitFor("condition=Missing"), pod));
  EXPECT_FALSE(*WaitConditionMet(*ParseWaitFor("condition=Ready"), Obj("status: {}")));
}

TEST(WaitConditionMetTest, StaleObservedGenerationIsNotMet) {
  const std::string conditions = "conditions: [{type: Available, status: 'True'}]";
  EXPECT_FALSE(*WaitConditionMet(
      *ParseWaitFor("condition=Available"),
      Obj("metadata: {generation: 3}\nstatus: {observedGeneration: 2, " + conditions + "}")));
  EXPECT_TRUE(*WaitConditionMet(
      *ParseWaitFor("condition=Available"),
      Obj("metadata: {generation: 3}\nstatus: {observedGeneration: 3, " + conditions + "}")));
  // The condition's own observedGeneration wins over the status's.
  EXPECT_FALSE(*WaitConditionMet(*ParseWaitFor("condition=Available"),
                                 Obj("metadata: {generation: 3}\nstatus: {observedGeneration: 3, "
                                     "conditions: [{type: Available, status: 'True', "
                                     "observedGeneration: 2}]}")));
}

TEST(WaitConditionMetTest, JsonPath) {
  const jsonpath::Value pod =
      Obj("spec: {replicas: 3}\nstatus: {phase: Running, tags: [a, b], conditions: "
          "[{type: Ready, status: 'True'}]}");
  EXPECT_TRUE(*WaitConditionMet(*ParseWaitFor("jsonpath={.status.phase}=Running"), pod));
  EXPECT_FALSE(*WaitConditionMet(*ParseWaitFor("jsonpath={.status.phase}=Pending"), pod));
  EXPECT_TRUE(*WaitConditionMet(*ParseWaitFor("jsonpath={.spec.replicas}=3"), pod));
  EXPECT_TRUE(*WaitConditionMet(*ParseWaitFor("jsonpath={.status.phase}"), pod));
  EXPECT_FALSE(*WaitConditionMet(*ParseWaitFor("jsonpath={.spec.nodeName}"), pod));
  EXPECT_FALSE(*WaitConditionMet(*ParseWaitFor("jsonpath={.spec.nodeName}=n1"), pod));
  EXPECT_TRUE(*WaitConditionMet(
      *ParseWaitFor("jsonpath={.status.conditions[?(@.type==\"Ready\")].status}=True"), pod));
  absl::StatusOr<bool> nested = WaitConditionMet(*ParseWaitFor("jsonpath={.spec}=x"), pod);
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.status().message(),
            "jsonpath leads to a nested object or list which is not supported");
}

}  // namespace
}  // namespace minik8s::kubectl
