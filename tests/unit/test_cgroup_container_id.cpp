// Container ids from cgroup paths, in the layouts engines and cgroup drivers actually use.
#include <gtest/gtest.h>

#include "core/cgroup_container_id.h"

using namespace edgeguard;

namespace {
const std::string kId = "52e50525ce75cb99adc552074c14b6c201c486a9c6e6f42b3374a6d2df4e7874";
const std::string kOther = "0809993cbcab7f93169c44f35aaf37b9f7562604d28720740fe0c9862e64a70f";
}  // namespace

TEST(CgroupContainerId, EngineAndDriverLayouts) {
  EXPECT_EQ(container_id_from_cgroup_path("/docker/" + kId), kId);                        // cgroupfs
  EXPECT_EQ(container_id_from_cgroup_path("/edgeguard-test-x1/" + kId), kId);             // --cgroup-parent
  EXPECT_EQ(container_id_from_cgroup_path("/system.slice/docker-" + kId + ".scope"), kId);  // systemd
  EXPECT_EQ(container_id_from_cgroup_path("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234_5678"
                                          ".slice/cri-containerd-" + kId + ".scope"),
            kId);
  EXPECT_EQ(container_id_from_cgroup_path("/kubepods/besteffort/pod0b1c2d3e-aaaa-bbbb-cccc-1234567890ab/" + kId), kId);
  EXPECT_EQ(container_id_from_cgroup_path("/machine.slice/libpod-" + kId + ".scope/container"), kId);
  EXPECT_EQ(container_id_from_cgroup_path("/system.slice/crio-" + kId + ".scope"), kId);
  EXPECT_EQ(container_id_from_cgroup_path("/system.slice/containerd.service/kubepods-pod12.slice:cri-containerd:" + kId),
            kId);
  EXPECT_EQ(container_id_from_cgroup_path("/docker/" + kId + "/init.scope"), kId);  // systemd inside a container
  // Nested: the outer container is the one the host's engine knows.
  EXPECT_EQ(container_id_from_cgroup_path("/docker/" + kId + "/docker/" + kOther), kId);
}

TEST(CgroupContainerId, NotAContainer) {
  EXPECT_EQ(container_id_from_cgroup_path("/"), "");
  EXPECT_EQ(container_id_from_cgroup_path(""), "");
  EXPECT_EQ(container_id_from_cgroup_path("/user.slice/user-1000.slice/session-3.scope"), "");
  EXPECT_EQ(container_id_from_cgroup_path("/system.slice/containerd.service"), "");
  EXPECT_EQ(container_id_from_cgroup_path("/machine.slice/libpod-conmon-" + kId + ".scope"), "");
  EXPECT_EQ(container_id_from_cgroup_path("/kubepods.slice/crio-conmon-" + kId + ".scope"), "");
  EXPECT_EQ(container_id_from_cgroup_path("/docker/" + kId.substr(1)), "");        // 63 digits
  EXPECT_EQ(container_id_from_cgroup_path("/docker/" + kId + "0"), "");            // 65 digits
  std::string upper = kId;
  upper[0] = 'A';
  EXPECT_EQ(container_id_from_cgroup_path("/docker/" + upper), "");
}

TEST(CgroupContainerId, ProcFileOfCgroupV1V2AndHybrid) {
  // cgroup v1 as this machine's dockerd writes it.
  const std::string v1 = "9:name=systemd:/docker/" + kId + "\n8:pids:/docker/" + kId + "\n0::/docker/" + kId + "\n";
  EXPECT_EQ(container_id_from_proc_cgroup(v1), kId);
  EXPECT_EQ(container_id_from_proc_cgroup("0::/system.slice/docker-" + kId + ".scope\n"), kId);
  // Hybrid: the unified line says nothing, a v1 controller line does.
  EXPECT_EQ(container_id_from_proc_cgroup("1:name=systemd:/user.slice\n0::/\n4:memory:/docker/" + kId + "\n"), kId);
  EXPECT_EQ(container_id_from_proc_cgroup("4:memory:/process_api/be4a66c71804f85983f9d3115e367ca5\n0::/\n"), "");
  EXPECT_EQ(container_id_from_proc_cgroup("garbage\n::\n"), "");
  // A path with ':' in it.
  EXPECT_EQ(container_id_from_proc_cgroup("0::/odd:dir/docker-" + kId + ".scope"), kId);
}
