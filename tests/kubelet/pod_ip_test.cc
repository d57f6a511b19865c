// One pod IP allocator: the kubelet's (one per node, from the node's
// podCIDR). The runtime allocates nothing and reports the IP it was given,
// also when one in-process runtime serves many simulated nodes (scale mode).
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "kubelet/ip_allocator.h"
#include "kubelet/pod_worker.h"
#include "runtime/runtime.h"
#include "runtime/runtime_client.h"

namespace minik8s::kubelet {
namespace {

namespace cri = ::minik8s::cri::v1;

TEST(PodIp, KubeletAndRuntimeUseOneAnnotation) {
  EXPECT_STREQ(kAnnotationPodIp, runtime::kPodIpAnnotation);
}

TEST(PodIp, RuntimeReportsWhatEachNodesAllocatorGave) {
  auto rt = runtime::Runtime::Create({});
  ASSERT_TRUE(rt.ok()) << rt.status();
  std::vector<IpAllocator> nodes;
  for (int i = 0; i < 3; ++i) {
    auto a = IpAllocator::Create(DerivedPodCidr(i));
    ASSERT_TRUE(a.ok()) << a.status();
    nodes.push_back(*std::move(a));
  }
  for (int pod = 0; pod < 2; ++pod) {
    for (int i = 0; i < 3; ++i) {
      auto ip = nodes[i].Allocate();
      ASSERT_TRUE(ip.ok()) << ip.status();
      cri::RunPodSandboxRequest req;
      auto* md = req.mutable_config()->mutable_metadata();
      md->set_name("pod-" + std::to_string(pod));
      md->set_namespace_("default");
      md->set_uid("uid-" + std::to_string(i) + "-" + std::to_string(pod));
      (*req.mutable_config()->mutable_annotations())[kAnnotationPodIp] = *ip;
      auto sb = (*rt)->RunPodSandbox(req);
      ASSERT_TRUE(sb.ok()) << sb.status();
      cri::PodSandboxStatusRequest sreq;
      sreq.set_pod_sandbox_id(sb->pod_sandbox_id());
      auto st = (*rt)->PodSandboxStatus(sreq);
      ASSERT_TRUE(st.ok()) << st.status();
      EXPECT_EQ(st->status().network().ip(), *ip);
      // Node i's pods are in node i's range: 10.128.<i>.<2 + pod>.
      EXPECT_EQ(*ip, "10.128." + std::to_string(i) + "." + std::to_string(2 + pod));
    }
  }
}

}  // namespace
}  // namespace minik8s::kubelet
