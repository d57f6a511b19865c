#include "runtime/sim_options.h"

#include "gtest/gtest.h"

namespace minik8s::runtime {
namespace {

TEST(ParseSimOptions, ReadsEveryVariable) {
  auto o = ParseSimOptions({{"MINIK8S_SIM_CRASH_AFTER", "5s"},
                            {"MINIK8S_SIM_EXIT_CODE", "3"},
                            {"MINIK8S_SIM_OOM_AFTER", "1m"},
                            {"MINIK8S_SIM_READY_AFTER", "10"},
                            {"MINIK8S_SIM_READINESS", "fail"},
                            {"MINIK8S_SIM_LIVENESS", "fail"},
                            {"MINIK8S_SIM_LIVENESS_FAIL_AFTER", "1.5"},
                            {"MINIK8S_SIM_STARTUP_AFTER", "250ms"},
                            {"MINIK8S_SIM_IGNORE_SIGTERM", "1"},
                            {"PATH", "/bin"}});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(*o->crash_after, absl::Seconds(5));
  EXPECT_EQ(o->exit_code, 3);
  EXPECT_EQ(*o->oom_after, absl::Minutes(1));
  EXPECT_EQ(*o->ready_after, absl::Seconds(10));
  EXPECT_TRUE(o->readiness_fail);
  EXPECT_TRUE(o->liveness_fail);
  EXPECT_EQ(*o->liveness_fail_after, absl::Milliseconds(1500));
  EXPECT_EQ(*o->startup_after, absl::Milliseconds(250));
  EXPECT_TRUE(o->ignore_sigterm);
}

TEST(ParseSimOptions, ExitCodeAloneCrashesAtStart) {
  auto o = ParseSimOptions({{"MINIK8S_SIM_EXIT_CODE", "2"}});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(*o->crash_after, absl::ZeroDuration());
  EXPECT_EQ(o->exit_code, 2);
}

TEST(ParseSimOptions, RejectsMalformedValuesNamingTheVariable) {
  auto bad = ParseSimOptions({{"MINIK8S_SIM_CRASH_AFTER", "soon"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("MINIK8S_SIM_CRASH_AFTER"), std::string::npos);
  EXPECT_FALSE(ParseSimOptions({{"MINIK8S_SIM_EXIT_CODE", "300"}}).ok());
  EXPECT_FALSE(ParseSimOptions({{"MINIK8S_SIM_READINESS", "maybe"}}).ok());
  EXPECT_FALSE(ParseSimOptions({{"MINIK8S_SIM_OOM_AFTER", "-1s"}}).ok());
}

}  // namespace
}  // namespace minik8s::runtime
