// Golden tests of `describe` for pods and deployments; key lines of replica
// sets and nodes.
#include "kubectl/printers/describe.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/kubectl/test_objects.h"

namespace minik8s::kubectl {
namespace {

using testing::Ago;
using testing::FromYaml;
using testing::Now;

core::v1::Event ScheduledEvent() {
  return FromYaml<core::v1::Event>(absl::StrCat(R"(apiVersion: v1
kind: Event
metadata:
  name: web-1.1
  namespace: default
involvedObject:
  kind: Pod
  name: web-1
  namespace: default
reason: Scheduled
message: Successfully assigned default/web-1 to node-1
source:
  component: default-scheduler
type: Normal
count: 1
firstTimestamp: )",
                                                Ago(absl::Minutes(5)),
                                                "\nlastTimestamp: ", Ago(absl::Minutes(5)), "\n"));
}

TEST(DescribePod, Golden) {
  auto pod = FromYaml<core::v1::Pod>(absl::StrCat(R"(apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: default
  labels:
    app: web
    pod-template-hash: abc
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"skipped":true}'
  ownerReferences:
  - apiVersion: apps/v1
    kind: ReplicaSet
    name: web-abc
    uid: u1
    controller: true
spec:
  priority: 0
  serviceAccountName: default
  nodeName: node-1
  containers:
  - name: nginx
    image: nginx:1.25
    ports:
    - containerPort: 80
      protocol: TCP
  tolerations:
  - key: node.kubernetes.io/not-ready
    operator: Exists
    effect: NoExecute
    tolerationSeconds: 300
  - key: node.kubernetes.io/unreachable
    operator: Exists
    effect: NoExecute
    tolerationSeconds: 300
status:
  phase: Running
  hostIP: 10.0.0.1
  podIP: 10.244.1.5
  podIPs:
  - ip: 10.244.1.5
  startTime: )",
                                                  Ago(absl::Minutes(5)), R"(
  conditions:
  - type: PodScheduled
    status: "True"
  - type: Ready
    status: "True"
  containerStatuses:
  - name: nginx
    containerID: fake://123
    image: nginx:1.25
    imageID: fake://nginx@sha256:1
    ready: true
    state:
      running:
        startedAt: )",
                                                  Ago(absl::Seconds(298)), "\n"));
  EXPECT_EQ(DescribePod(pod, {ScheduledEvent()}, Now()),
            "Name:             web-1\n"
            "Namespace:        default\n"
            "Priority:         0\n"
            "Service Account:  default\n"
            "Node:             node-1/10.0.0.1\n"
            "Start Time:       Tue, 14 Nov 2023 22:08:20 +0000\n"
            "Labels:           app=web\n"
            "                  pod-template-hash=abc\n"
            "Annotations:      <none>\n"
            "Status:           Running\n"
            "IP:               10.244.1.5\n"
            "IPs:\n"
            "  IP:           10.244.1.5\n"
            "Controlled By:  ReplicaSet/web-abc\n"
            "Containers:\n"
            "  nginx:\n"
            "    Container ID:   fake://123\n"
            "    Image:          nginx:1.25\n"
            "    Image ID:       fake://nginx@sha256:1\n"
            "    Port:           80/TCP\n"
            "    Host Port:      0/TCP\n"
            "    State:          Running\n"
            "      Started:      Tue, 14 Nov 2023 22:08:22 +0000\n"
            "    Ready:          True\n"
            "    Restart Count:  0\n"
            "    Environment:    <none>\n"
            "    Mounts:         <none>\n"
            "Conditions:\n"
            "  Type           Status\n"
            "  PodScheduled   True \n"
            "  Ready          True \n"
            "Volumes:         <none>\n"
            "QoS Class:       BestEffort\n"
            "Node-Selectors:  <none>\n"
            "Tolerations:     node.kubernetes.io/not-ready:NoExecute op=Exists for 300s\n"
            "                 node.kubernetes.io/unreachable:NoExecute op=Exists for 300s\n"
            "Events:\n"
            "  Type    Reason     Age   From               Message\n"
            "  ----    ------     ----  ----               -------\n"
            "  Normal  Scheduled  5m    default-scheduler  Successfully assigned default/web-1 to "
            "node-1\n");
}

// The ServiceAccount volume every pod of a TLS cluster gets, and a
// downwardAPI volume, as kubectl describes them.
TEST(DescribePod, ProjectedAndDownwardApiVolumes) {
  auto pod = FromYaml<core::v1::Pod>(R"(apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: default
spec:
  containers:
  - name: app
    image: busybox
    volumeMounts:
    - name: kube-api-access-x7k2p
      mountPath: /var/run/secrets/kubernetes.io/serviceaccount
      readOnly: true
    - name: podinfo
      mountPath: /etc/podinfo
  volumes:
  - name: kube-api-access-x7k2p
    projected:
      defaultMode: 420
      sources:
      - serviceAccountToken:
          expirationSeconds: 3607
          path: token
      - configMap:
          name: kube-root-ca.crt
          items:
          - key: ca.crt
            path: ca.crt
      - downwardAPI:
          items:
          - path: namespace
            fieldRef:
              apiVersion: v1
              fieldPath: metadata.namespace
      - secret:
          name: extra
          optional: true
  - name: podinfo
    downwardAPI:
      items:
      - path: labels
        fieldRef:
          fieldPath: metadata.labels
      - path: cpu_limit
        resourceFieldRef:
          containerName: app
          resource: limits.cpu
)");
  const std::string out = DescribePod(pod, {}, Now());
  EXPECT_NE(out.find("    Mounts:\n"
                     "      /var/run/secrets/kubernetes.io/serviceaccount from "
                     "kube-api-access-x7k2p (ro)\n"
                     "      /etc/podinfo from podinfo (rw)\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("Volumes:\n"
                     "  kube-api-access-x7k2p:\n"
                     "    Type:                    Projected (a volume that contains injected data "
                     "from multiple sources)\n"
                     "    TokenExpirationSeconds:  3607\n"
                     "    ConfigMapName:           kube-root-ca.crt\n"
                     "    ConfigMapOptional:       <nil>\n"
                     "    DownwardAPI:             true\n"
                     "    SecretName:              extra\n"
                     "    SecretOptionalName:      true\n"
                     "  podinfo:\n"
                     // A line without a tab ends a column block (Go's tabwriter).
                     "    Type:  DownwardAPI (a volume populated by information about the pod)\n"
                     "    Items:\n"
                     "      metadata.labels -> labels\n"
                     "      limits.cpu -> cpu_limit\n"),
            std::string::npos)
      << out;
}

apps::v1::ReplicaSet Rs(const std::string& name, int replicas, absl::Duration age,
                        const std::string& image) {
  return FromYaml<apps::v1::ReplicaSet>(absl::StrCat(R"(apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: )",
                                                     name, R"(
  namespace: default
  creationTimestamp: )",
                                                     Ago(age), R"(
spec:
  replicas: )",
                                                     replicas, R"(
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
        pod-template-hash: h)",
                                                     name, R"(
    spec:
      containers:
      - name: nginx
        image: )",
                                                     image, R"(
        ports:
        - containerPort: 80
          protocol: TCP
status:
  replicas: )",
                                                     replicas, "\n"));
}

TEST(DescribePod, TopologySpreadConstraintsSortedByKey) {
  auto pod = FromYaml<core::v1::Pod>(R"(apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: default
spec:
  containers:
  - name: app
    image: nginx
  topologySpreadConstraints:
  - maxSkew: 2
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: ScheduleAnyway
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: DoNotSchedule
    labelSelector:
      matchLabels: {app: web}
)");
  const std::string out = DescribePod(pod, {}, Now());
  EXPECT_NE(
      out.find("Tolerations:                  <none>\n"
               "Topology Spread Constraints:  kubernetes.io/hostname:DoNotSchedule when max "
               "skew 1 is exceeded for selector app=web\n"
               "                              topology.kubernetes.io/zone:ScheduleAnyway when "
               "max skew 2 is exceeded\n"),
      std::string::npos)
      << out;
}

TEST(DescribePod, ReadinessGatesWithTheirConditions) {
  auto pod = FromYaml<core::v1::Pod>(R"(apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: default
spec:
  containers:
  - name: app
    image: nginx
  readinessGates:
  - conditionType: example.com/lb
  - conditionType: example.com/dns
status:
  phase: Running
  conditions:
  - type: example.com/lb
    status: "False"
  - type: Ready
    status: "False"
)");
  const std::string out = DescribePod(pod, {}, Now());
  // Each table is its own tabwriter block: a line without a tab ends one.
  EXPECT_NE(out.find("Readiness Gates:\n"
                     "  Type              Status\n"
                     "  example.com/lb    False \n"
                     "  example.com/dns   <none> \n"
                     "Conditions:\n"
                     "  Type             Status\n"
                     "  example.com/lb   False \n"
                     "  Ready            False \n"),
            std::string::npos)
      << out;
}

TEST(DescribePod, EnvironmentVariablesFromConfigMapsAndSecrets) {
  auto pod = FromYaml<core::v1::Pod>(R"(apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: default
spec:
  containers:
  - name: app
    image: busybox
    envFrom:
    - configMapRef:
        name: app-env
    - prefix: DB_
      secretRef:
        name: db
        optional: true
    resources:
      limits: {memory: 128Mi}
    env:
    - name: MODE
      valueFrom:
        configMapKeyRef:
          name: app-env
          key: mode
    - name: POD
      valueFrom:
        fieldRef: {apiVersion: v1, fieldPath: metadata.name}
    - name: MEM
      valueFrom:
        resourceFieldRef: {resource: limits.memory, divisor: 1Mi}
    - name: CPU
      valueFrom:
        resourceFieldRef: {resource: limits.cpu}
)");
  const std::string out = DescribePod(pod, {}, Now());
  // kubectl's lines: the object, its kind (and prefix), whether optional.
  EXPECT_NE(out.find("    Environment Variables from:\n"
                     "      app-env  ConfigMap                 Optional: false\n"
                     "      db       Secret with prefix 'DB_'  Optional: true\n"
                     "    Environment:\n"
                     "      MODE:      <set to the key 'mode' of config map 'app-env'>  "
                     "Optional: false\n"
                     // A pod's field with its value; a resource divided, or the
                     // node's allocatable when the limit is unset.
                     "      POD:       web-1 (v1:metadata.name)\n"
                     "      MEM:       128 (limits.memory)\n"
                     "      CPU:       node allocatable (limits.cpu)\n"),
            std::string::npos)
      << out;
}

TEST(DescribeDeployment, Golden) {
  auto d = FromYaml<apps::v1::Deployment>(absl::StrCat(R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx
  namespace: default
  creationTimestamp: )",
                                                       Ago(absl::Minutes(10)), R"(
  annotations:
    deployment.kubernetes.io/revision: "2"
spec:
  replicas: 3
  selector:
    matchLabels:
      app: nginx
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 25%
      maxSurge: 25%
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        ports:
        - containerPort: 80
          protocol: TCP
status:
  replicas: 3
  updatedReplicas: 3
  availableReplicas: 2
  unavailableReplicas: 1
  conditions:
  - type: Available
    status: "True"
    reason: MinimumReplicasAvailable
  - type: Progressing
    status: "True"
    reason: NewReplicaSetAvailable
)"));
  apps::v1::ReplicaSet old_rs = Rs("nginx-old", 0, absl::Minutes(10), "nginx:1.24");
  apps::v1::ReplicaSet new_rs = Rs("nginx-new", 3, absl::Minutes(2), "nginx:1.25");
  std::vector<const apps::v1::ReplicaSet*> olds;
  const apps::v1::ReplicaSet* found = nullptr;
  SplitReplicaSets(d, {&new_rs, &old_rs}, &olds, &found);
  ASSERT_EQ(found, &new_rs);
  ASSERT_EQ(olds.size(), 1u);
  EXPECT_EQ(
      DescribeDeployment(d, olds, found, {}, Now()),
      "Name:                   nginx\n"
      "Namespace:              default\n"
      "CreationTimestamp:      Tue, 14 Nov 2023 22:03:20 +0000\n"
      "Labels:                 <none>\n"
      "Annotations:            deployment.kubernetes.io/revision: 2\n"
      "Selector:               app=nginx\n"
      "Replicas:               3 desired | 3 updated | 3 total | 2 available | 1 unavailable\n"
      "StrategyType:           RollingUpdate\n"
      "MinReadySeconds:        0\n"
      "RollingUpdateStrategy:  25% max unavailable, 25% max surge\n"
      "Pod Template:\n"
      "  Labels:  app=nginx\n"
      "  Containers:\n"
      "   nginx:\n"
      "    Image:         nginx:1.25\n"
      "    Port:          80/TCP\n"
      "    Host Port:     0/TCP\n"
      "    Environment:   <none>\n"
      "    Mounts:        <none>\n"
      "  Volumes:         <none>\n"
      "  Node-Selectors:  <none>\n"
      "  Tolerations:     <none>\n"
      "Conditions:\n"
      "  Type           Status  Reason\n"
      "  ----           ------  ------\n"
      "  Available      True    MinimumReplicasAvailable\n"
      "  Progressing    True    NewReplicaSetAvailable\n"
      "OldReplicaSets:  nginx-old (0/0 replicas created)\n"
      "NewReplicaSet:   nginx-new (3/3 replicas created)\n"
      "Events:          <none>\n");
}

TEST(DescribeReplicaSet, PodsStatusAndController) {
  apps::v1::ReplicaSet rs = Rs("nginx-new", 3, absl::Minutes(2), "nginx:1.25");
  auto* ref = rs.mutable_metadata()->add_owner_references();
  ref->set_kind("Deployment");
  ref->set_name("nginx");
  ref->set_controller(true);
  core::v1::Pod running, pending;
  running.mutable_status()->set_phase("Running");
  pending.mutable_status()->set_phase("Pending");
  const std::string text = DescribeReplicaSet(rs, {&running, &running, &pending}, {}, Now());
  EXPECT_NE(text.find("Controlled By:  Deployment/nginx\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Replicas:       3 current / 3 desired\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Pods Status:    2 Running / 1 Waiting / 0 Succeeded / 0 Failed\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Selector:       app=nginx\n"), std::string::npos) << text;
}

TEST(DescribeNode, ConditionsCapacityAndPods) {
  auto node = FromYaml<core::v1::Node>(absl::StrCat(R"(apiVersion: v1
kind: Node
metadata:
  name: node-1
  creationTimestamp: )",
                                                    Ago(absl::Hours(1)), R"(
spec:
  unschedulable: true
  taints:
  - key: node.kubernetes.io/unschedulable
    effect: NoSchedule
status:
  capacity:
    cpu: "4"
    memory: 8Gi
    pods: "110"
  allocatable:
    cpu: "4"
    memory: 8Gi
    pods: "110"
  conditions:
  - type: Ready
    status: "True"
    reason: KubeletReady
    message: kubelet is posting ready status
  addresses:
  - type: InternalIP
    address: 10.0.0.1
  nodeInfo:
    kubeletVersion: v1.32.0
)"));
  auto pod = FromYaml<core::v1::Pod>(absl::StrCat(R"(apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: default
  creationTimestamp: )",
                                                  Ago(absl::Minutes(5)), R"(
spec:
  nodeName: node-1
  containers:
  - name: c
    image: nginx
    resources:
      requests:
        cpu: 500m
        memory: 1Gi
)"));
  const std::string text = DescribeNode(node, nullptr, {&pod}, {}, Now());
  EXPECT_NE(text.find("Taints:             node.kubernetes.io/unschedulable:NoSchedule\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Unschedulable:      true\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  Type    Status  LastHeartbeatTime                 LastTransitionTime"),
            std::string::npos)
      << text;
  // Unset times print as Go's zero time, as kubectl does.
  EXPECT_NE(
      text.find(
          "  Ready   True    Mon, 01 Jan 0001 00:00:00 +0000   Mon, 01 Jan 0001 00:00:00 +0000   "
          "KubeletReady   kubelet is posting ready status\n"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("  InternalIP:  10.0.0.1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("(1 in total)"), std::string::npos) << text;
  EXPECT_NE(text.find("500m (12%)"), std::string::npos) << text;
  EXPECT_NE(text.find("1Gi (12%)"), std::string::npos) << text;
  EXPECT_NE(text.find("Events:"), std::string::npos) << text;
}

TEST(DescribeEvents, RepeatedEventsShowInterval) {
  core::v1::Event e = ScheduledEvent();
  e.set_count(3);
  *e.mutable_last_timestamp() = api::ToProtoTime(Now() - absl::Seconds(20));
  EXPECT_EQ(DescribeEvents({e}, Now()),
            "Events:\n"
            "  Type    Reason     Age               From               Message\n"
            "  ----    ------     ----              ----               -------\n"
            "  Normal  Scheduled  20s (x3 over 5m)  default-scheduler  Successfully assigned "
            "default/web-1 to node-1\n");
}

}  // namespace
}  // namespace minik8s::kubectl
