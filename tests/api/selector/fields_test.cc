#include "api/selector/fields.h"

#include <map>
#include <string>

#include "gtest/gtest.h"

namespace minik8s::api {
namespace {

using Fields = std::map<std::string, std::string>;

bool MatchMap(const FieldSelector& s, const Fields& fields) {
  return s.Matches([&fields](std::string_view f) -> std::string {
    auto it = fields.find(std::string(f));
    return it == fields.end() ? "" : it->second;
  });
}

TEST(FieldSelectorParse, Valid) {
  struct Case {
    std::string in;
    std::string out;
  };
  const Case cases[] = {
      {"", ""},
      {"metadata.name=x", "metadata.name=x"},
      {"spec.nodeName==n1", "spec.nodeName=n1"},
      {"status.phase!=Running", "status.phase!=Running"},
      {"status.phase!=Running,metadata.name=x", "metadata.name=x,status.phase!=Running"},
      {"spec.nodeName=", "spec.nodeName="},
      {"a=b,,c=d", "a=b,c=d"},
      {"x=a\\,b", "x=a\\,b"},
      {"x=a\\=b\\\\", "x=a\\=b\\\\"},
  };
  for (const Case& c : cases) {
    auto s = FieldSelector::Parse(c.in);
    ASSERT_TRUE(s.ok()) << c.in << ": " << s.status();
    EXPECT_EQ(s->ToString(), c.out) << c.in;
  }
  auto s = FieldSelector::Parse("x=a\\,b\\=c");
  ASSERT_EQ(s->requirements().size(), 1u);
  EXPECT_EQ(s->requirements()[0].value, "a,b=c");
}

TEST(FieldSelectorParse, Errors) {
  struct Case {
    std::string in;
    std::string error;
  };
  const Case cases[] = {
      {"metadata.name", "invalid selector: 'metadata.name'; can't understand 'metadata.name'"},
      {"a=b,c", "invalid selector: 'a=b,c'; can't understand 'c'"},
      {"x=a\\b", "invalid field selector: invalid escape sequence: \\b"},
      {"x=a\\", "invalid field selector: invalid escape sequence: \\"},
      {"x=a=b", "invalid field selector: unescaped character in value: 61"},
  };
  for (const Case& c : cases) {
    auto s = FieldSelector::Parse(c.in);
    ASSERT_FALSE(s.ok()) << c.in;
    EXPECT_EQ(s.status().message(), c.error);
  }
}

TEST(FieldSelectorMatch, Table) {
  struct Case {
    std::string selector;
    Fields fields;
    bool want;
  };
  const Case cases[] = {
      {"", {}, true},
      {"spec.nodeName=n1", {{"spec.nodeName", "n1"}}, true},
      {"spec.nodeName=n1", {{"spec.nodeName", "n2"}}, false},
      {"spec.nodeName=", {}, true},
      {"spec.nodeName!=", {}, false},
      {"spec.nodeName!=", {{"spec.nodeName", "n1"}}, true},
      {"status.phase!=Running,spec.nodeName=n1",
       {{"spec.nodeName", "n1"}, {"status.phase", "Pending"}},
       true},
      {"status.phase!=Running,spec.nodeName=n1",
       {{"spec.nodeName", "n1"}, {"status.phase", "Running"}},
       false},
  };
  for (const Case& c : cases) {
    auto s = FieldSelector::Parse(c.selector);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(MatchMap(*s, c.fields), c.want) << c.selector;
  }
}

TEST(FieldSelector, RequiresExactMatch) {
  std::string v;
  EXPECT_TRUE(FieldSelector::Parse("spec.nodeName=n1,status.phase!=Failed")
                  ->RequiresExactMatch("spec.nodeName", &v));
  EXPECT_EQ(v, "n1");
  EXPECT_FALSE(FieldSelector::Parse("spec.nodeName!=n1")->RequiresExactMatch("spec.nodeName", &v));
  EXPECT_FALSE(FieldSelector::Parse("")->RequiresExactMatch("spec.nodeName", &v));
  EXPECT_TRUE(FieldSelector::Parse("")->Empty());
  EXPECT_EQ(FieldSelector::OneTermEqual("metadata.name", "a,b").ToString(), "metadata.name=a\\,b");
}

TEST(FieldSelectorKinds, PodFields) {
  minik8s::core::v1::Pod pod;
  pod.mutable_metadata()->set_name("web-1");
  pod.mutable_metadata()->set_namespace_("prod");
  pod.mutable_spec()->set_node_name("node-3");
  pod.mutable_spec()->set_restart_policy("Always");
  pod.mutable_spec()->set_scheduler_name("default-scheduler");
  pod.mutable_status()->set_phase("Running");
  pod.mutable_status()->set_pod_ip("10.0.0.7");
  struct Case {
    std::string field;
    std::string want;
  };
  const Case cases[] = {
      {"metadata.name", "web-1"},
      {"metadata.namespace", "prod"},
      {"spec.nodeName", "node-3"},
      {"spec.restartPolicy", "Always"},
      {"spec.schedulerName", "default-scheduler"},
      {"status.phase", "Running"},
      {"status.podIP", "10.0.0.7"},
      {"spec.hostNetwork", "false"},
  };
  for (const Case& c : cases) {
    auto v = PodFieldValue(pod, c.field);
    ASSERT_TRUE(v.ok()) << c.field;
    EXPECT_EQ(*v, c.want);
    auto g = ObjectFieldValue(pod, c.field);
    ASSERT_TRUE(g.ok());
    EXPECT_EQ(*g, c.want);
  }
  auto bad = PodFieldValue(pod, "spec.containers");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "field label not supported: spec.containers");

  EXPECT_TRUE(
      MatchesObject(*FieldSelector::Parse("spec.nodeName=node-3,status.phase=Running"), pod));
  EXPECT_FALSE(MatchesObject(*FieldSelector::Parse("spec.nodeName=node-4"), pod));
  EXPECT_TRUE(CheckSupportedFields(pod, *FieldSelector::Parse("spec.nodeName=x")).ok());
  absl::Status st = CheckSupportedFields(pod, *FieldSelector::Parse("spec.nodeName=x,foo=bar"));
  EXPECT_EQ(st.message(), "field label not supported: foo");
}

TEST(FieldSelectorKinds, EventNodeNamespaceFields) {
  minik8s::core::v1::Event ev;
  ev.mutable_involved_object()->set_kind("Pod");
  ev.mutable_involved_object()->set_name("web-1");
  ev.mutable_involved_object()->set_namespace_("prod");
  ev.mutable_involved_object()->set_uid("u-1");
  ev.set_reason("Scheduled");
  ev.set_type("Normal");
  ev.mutable_source()->set_component("default-scheduler");
  EXPECT_EQ(*EventFieldValue(ev, "involvedObject.kind"), "Pod");
  EXPECT_EQ(*EventFieldValue(ev, "involvedObject.name"), "web-1");
  EXPECT_EQ(*EventFieldValue(ev, "involvedObject.namespace"), "prod");
  EXPECT_EQ(*EventFieldValue(ev, "involvedObject.uid"), "u-1");
  EXPECT_EQ(*EventFieldValue(ev, "reason"), "Scheduled");
  EXPECT_EQ(*EventFieldValue(ev, "type"), "Normal");
  EXPECT_EQ(*EventFieldValue(ev, "source"), "default-scheduler");
  EXPECT_FALSE(EventFieldValue(ev, "message").ok());

  minik8s::core::v1::Node node;
  node.mutable_metadata()->set_name("n1");
  EXPECT_EQ(*NodeFieldValue(node, "spec.unschedulable"), "false");
  node.mutable_spec()->set_unschedulable(true);
  EXPECT_EQ(*ObjectFieldValue(node, "spec.unschedulable"), "true");
  EXPECT_EQ(*ObjectFieldValue(node, "metadata.name"), "n1");
  EXPECT_FALSE(ObjectFieldValue(node, "status.phase").ok());

  minik8s::core::v1::Namespace ns;
  ns.mutable_status()->set_phase("Active");
  EXPECT_EQ(*ObjectFieldValue(ns, "status.phase"), "Active");

  minik8s::apps::v1::Deployment d;
  d.mutable_metadata()->set_name("web");
  EXPECT_EQ(*ObjectFieldValue(d, "metadata.name"), "web");
  EXPECT_EQ(ObjectFieldValue(d, "spec.replicas").status().message(),
            "field label not supported: spec.replicas");
}

}  // namespace
}  // namespace minik8s::api
