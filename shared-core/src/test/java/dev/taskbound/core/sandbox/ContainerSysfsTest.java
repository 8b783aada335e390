package dev.taskbound.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContainerSysfsTest {
  @TempDir Path sys;

  @Test
  void everyFilesystemButTheCgroupsIsCoveredAndAMissingNodeDirectoryIsNotBound() throws Exception {
    Files.createDirectories(sys.resolve("fs/cgroup"));
    Files.createDirectories(sys.resolve("fs/ext4/vda"));
    Files.createDirectories(sys.resolve("fs/xfs"));
    Files.createDirectories(sys.resolve("devices/system/cpu"));

    var args = ContainerSysfs.args(sys);

    assertThat(args).containsExactly(
        "--tmpfs", "/sys/block:ro,nosuid,nodev,noexec,mode=0755",
        "--tmpfs", "/sys/bus:ro,nosuid,nodev,noexec,mode=0755",
        "--tmpfs", "/sys/class:ro,nosuid,nodev,noexec,mode=0755",
        "--tmpfs", "/sys/dev:ro,nosuid,nodev,noexec,mode=0755",
        "--tmpfs", "/sys/devices:ro,nosuid,nodev,noexec,mode=0755",
        "--tmpfs", "/sys/fs/ext4:ro,nosuid,nodev,noexec,mode=0755",
        "--tmpfs", "/sys/fs/xfs:ro,nosuid,nodev,noexec,mode=0755",
        "--mount", "type=bind,source=/sys/devices/system/cpu,target=/sys/devices/system/cpu,readonly");
  }
}
