#!/usr/bin/python3
"""The official Kubernetes Python client against a minik8s cluster.

    python_client_e2e.py --kubeconfig PATH [--namespace NS]

Drives the cluster as a Python user would (kubernetes.config, kubernetes.client,
kubernetes.watch), in its own namespace. Prints one "ok: ..." line per check
and exits 0 after "all checks passed"; on the first failure prints
"FAIL: <check>: <why>" and exits 1. Waits are watches with timeout_seconds,
so a cluster that never converges fails the check instead of hanging.
"""

import argparse
import json
import sys

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

TIMEOUT_SECONDS = 120
NAME = "py-web"


class CheckFailed(Exception):
    pass


def ok(text):
    print(f"ok: {text}", flush=True)


def expect(cond, what):
    if not cond:
        raise CheckFailed(what)


def status_reason(err):
    """The reason of the Status object an ApiException carries ("" if none)."""
    try:
        return json.loads(err.body).get("reason", "")
    except (TypeError, ValueError, AttributeError):
        return ""


def deployment(namespace, replicas):
    labels = {"app": NAME}
    return client.V1Deployment(
        api_version="apps/v1",
        kind="Deployment",
        metadata=client.V1ObjectMeta(name=NAME, namespace=namespace, labels=labels),
        spec=client.V1DeploymentSpec(
            replicas=replicas,
            selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(
                    containers=[client.V1Container(name="web", image="nginx:1.25")]),
            ),
        ),
    )


def wait_running_pods(core, namespace, want):
    """Watches the pods of NAME until `want` live ones are Running."""
    running = set()
    w = watch.Watch()
    for event in w.stream(core.list_namespaced_pod, namespace, label_selector=f"app={NAME}",
                          timeout_seconds=TIMEOUT_SECONDS):
        pod = event["object"]
        name = pod.metadata.name
        live = event["type"] != "DELETED" and pod.metadata.deletion_timestamp is None
        if live and pod.status.phase == "Running":
            running.add(name)
        else:
            running.discard(name)
        if len(running) >= want:
            w.stop()
            return running
    raise CheckFailed(f"{len(running)} of {want} pods Running after {TIMEOUT_SECONDS}s "
                      f"(watch ended)")


def wait_deployment(apps, namespace, until):
    """Watches the Deployment until `until(event_type, deployment)` holds."""
    w = watch.Watch()
    for event in w.stream(apps.list_namespaced_deployment, namespace,
                          field_selector=f"metadata.name={NAME}",
                          timeout_seconds=TIMEOUT_SECONDS):
        if until(event["type"], event["object"]):
            w.stop()
            return
    raise CheckFailed(f"the watch of deployment {NAME} ended after {TIMEOUT_SECONDS}s "
                      f"without the expected change")


def run(kubeconfig, namespace):
    config.load_kube_config(config_file=kubeconfig)
    core = client.CoreV1Api()
    apps = client.AppsV1Api()
    ok(f"load_kube_config: {client.Configuration.get_default_copy().host}")

    names = [ns.metadata.name for ns in core.list_namespace().items]
    expect("default" in names, f"list_namespace has no default namespace: {names}")
    ok("list_namespace includes default")

    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=namespace)))
    ok(f"create_namespace {namespace}")
    pods = core.list_namespaced_pod(namespace)
    expect(pods.items == [], f"a new namespace has pods: {[p.metadata.name for p in pods.items]}")
    expect(pods.metadata.resource_version, "the pod list has no resourceVersion")
    ok(f"list_namespaced_pod {namespace}: 0 pods")

    created = apps.create_namespaced_deployment(namespace, deployment(namespace, 2))
    expect(created.metadata.uid, "the created deployment has no uid")
    expect(created.spec.replicas == 2, f"created with replicas {created.spec.replicas}")
    ok(f"create_namespaced_deployment {NAME}")

    running = wait_running_pods(core, namespace, 2)
    ok(f"watch pods until 2 Running: {len(running)}")

    scale = apps.patch_namespaced_deployment_scale(NAME, namespace, {"spec": {"replicas": 3}})
    expect(scale.kind == "Scale", f"the scale subresource answered kind {scale.kind}")
    expect(scale.spec.replicas == 3, f"patched scale has spec.replicas {scale.spec.replicas}")
    ok("patch_namespaced_deployment_scale to 3")
    scale = apps.read_namespaced_deployment_scale(NAME, namespace)
    expect(scale.spec.replicas == 3, f"read back spec.replicas {scale.spec.replicas}")
    ok("read_namespaced_deployment_scale: spec.replicas 3")
    wait_deployment(apps, namespace,
                    lambda t, d: t != "DELETED" and (d.status.ready_replicas or 0) == 3)
    read = apps.read_namespaced_deployment(NAME, namespace)
    expect(read.spec.replicas == 3, f"the deployment has spec.replicas {read.spec.replicas}")
    ok("deployment ready with 3 replicas")

    try:
        core.read_namespaced_pod("no-such-pod", namespace)
        raise CheckFailed("read_namespaced_pod of a missing pod succeeded")
    except ApiException as err:
        expect(err.status == 404, f"missing pod: status {err.status}, want 404")
        expect(status_reason(err) == "NotFound",
               f"missing pod: reason {status_reason(err)!r}, want NotFound; body {err.body}")
    ok("read_namespaced_pod of a missing pod: 404 NotFound")

    try:
        apps.create_namespaced_deployment(namespace, deployment(namespace, 2))
        raise CheckFailed("creating the deployment a second time succeeded")
    except ApiException as err:
        expect(err.status == 409, f"second create: status {err.status}, want 409")
        expect(status_reason(err) == "AlreadyExists",
               f"second create: reason {status_reason(err)!r}, want AlreadyExists; "
               f"body {err.body}")
    ok("create_namespaced_deployment twice: 409 AlreadyExists")

    listed = apps.list_namespaced_deployment(namespace)
    rv = listed.metadata.resource_version
    apps.delete_namespaced_deployment(
        NAME, namespace, body=client.V1DeleteOptions(propagation_policy="Foreground"))
    ok("delete_namespaced_deployment with propagation_policy Foreground")
    # From the list before the delete, so the DELETED event cannot be missed.
    w = watch.Watch()
    gone = False
    for event in w.stream(apps.list_namespaced_deployment, namespace,
                          field_selector=f"metadata.name={NAME}", resource_version=rv,
                          timeout_seconds=TIMEOUT_SECONDS):
        if event["type"] == "DELETED":
            gone = True
            w.stop()
            break
    expect(gone, f"no DELETED event for {NAME} within {TIMEOUT_SECONDS}s")
    try:
        apps.read_namespaced_deployment(NAME, namespace)
        raise CheckFailed("the deployment is still readable after its DELETED event")
    except ApiException as err:
        expect(err.status == 404, f"read after delete: status {err.status}, want 404")
    # Foreground: the Deployment went only after its dependents.
    live = [p.metadata.name
            for p in core.list_namespaced_pod(namespace, label_selector=f"app={NAME}").items
            if p.metadata.deletion_timestamp is None]
    expect(live == [], f"pods still live after the foreground delete: {live}")
    rs = apps.list_namespaced_replica_set(namespace, label_selector=f"app={NAME}").items
    expect(rs == [], f"replica sets left after the foreground delete: "
                     f"{[r.metadata.name for r in rs]}")
    ok("deployment gone, with its replica set and pods")

    core.delete_namespace(namespace)
    ok(f"delete_namespace {namespace}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--namespace", default="pyclient-e2e")
    args = parser.parse_args()
    try:
        run(args.kubeconfig, args.namespace)
    except CheckFailed as err:
        print(f"FAIL: {err}", flush=True)
        return 1
    except ApiException as err:
        print(f"FAIL: unexpected API error {err.status} {err.reason}: {err.body}", flush=True)
        return 1
    except Exception as err:  # pylint: disable=broad-except
        print(f"FAIL: {type(err).__name__}: {err}", flush=True)
        return 1
    print("all checks passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
