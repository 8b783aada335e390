package dev.taskbound.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OwnContainerIdTest {

  private static final String ID = "8751f4e498eaef31ee68c9c72319fbf869aaf0e6c2ced5c83a87c08bac40bd75";
  private static final String OTHER = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

  /** Lines as Docker 20.10 on cgroup v1 leaves them in a container (shortened overlay options). */
  private static final String DOCKER_MOUNTINFO =
      """
      103 51 0:41 / / rw,relatime master:2 - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/M4OT,upperdir=/var/lib/docker/overlay2/3fae/diff
      104 103 0:44 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
      109 108 0:29 /docker/%1$s /sys/fs/cgroup/cpu ro,nosuid,nodev,noexec,relatime - cgroup cgroup rw,cpu
      120 103 254:0 /var/lib/docker/containers/%1$s/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/vda rw,discard
      121 103 254:0 /var/lib/docker/containers/%1$s/hostname /etc/hostname rw,relatime - ext4 /dev/vda rw,discard
      122 103 254:0 /var/lib/docker/containers/%1$s/hosts /etc/hosts rw,relatime - ext4 /dev/vda rw,discard
      """
          .formatted(ID);

  @TempDir Path root;

  @Test
  void findsIdInDockersOwnFileMounts() {
    assertThat(OwnContainerId.idFromMountinfo(DOCKER_MOUNTINFO)).contains(ID);
  }

  @Test
  void findsIdWhenDataRootIsItsOwnFilesystem() {
    // /var/lib/docker on its own device: the root field starts at that filesystem's root.
    String mountinfo = "1234 1200 254:1 /containers/" + ID + "/hostname /etc/hostname rw,relatime - ext4 /dev/vdb rw\n";

    assertThat(OwnContainerId.idFromMountinfo(mountinfo)).contains(ID);
  }

  @Test
  void prefersDockersFilesOverAUserBindMountOfAnotherContainersDirectory() {
    String mountinfo =
        "200 103 254:0 /var/lib/docker/containers/" + OTHER + "/logs /mnt/logs rw - ext4 /dev/vda rw\n" + DOCKER_MOUNTINFO;

    assertThat(OwnContainerId.idFromMountinfo(mountinfo)).contains(ID);
  }

  @Test
  void findsNothingOnAHostOrInAnotherRuntime() {
    String host =
        """
        22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
        23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
        """;
    String podman =
        "300 290 0:50 /containers/storage/overlay-containers/" + ID + "/userdata/hostname /etc/hostname rw - tmpfs tmpfs rw\n";
    String shortId = "121 103 254:0 /var/lib/docker/containers/8751f4e498ea/hostname /etc/hostname rw - ext4 /dev/vda rw\n";

    assertThat(OwnContainerId.idFromMountinfo(host)).isEmpty();
    assertThat(OwnContainerId.idFromMountinfo(podman)).isEmpty();
    assertThat(OwnContainerId.idFromMountinfo(shortId)).isEmpty();
    assertThat(OwnContainerId.idFromMountinfo("garbage\n\n- - -\n")).isEmpty();
  }

  @Test
  void readsIdFromProcSelfMountinfo() throws IOException {
    write("proc/self/mountinfo", DOCKER_MOUNTINFO);
    write("etc/hostname", "custom-name\n");

    assertThat(new OwnContainerId(root).id()).contains(ID);
  }

  @Test
  void fallsBackToHostnameInsideDocker() throws IOException {
    write("proc/self/mountinfo", "22 1 254:0 / / rw - ext4 /dev/vda rw\n");
    write(".dockerenv", "");
    write("etc/hostname", "8751f4e498ea\n");

    assertThat(new OwnContainerId(root).id()).contains("8751f4e498ea");
  }

  @Test
  void findsNothingOutsideAContainer() throws IOException {
    write("proc/self/mountinfo", "22 1 254:0 / / rw - ext4 /dev/vda rw\n");
    write("etc/hostname", "build-host\n");

    assertThat(new OwnContainerId(root).id()).isEmpty();
  }

  @Test
  void refusesHostnameThatIsNoContainerName() throws IOException {
    write(".dockerenv", "");
    write("etc/hostname", "-H tcp://evil\n");

    assertThat(new OwnContainerId(root).id()).isEmpty();
  }

  @Test
  void theSettingNamesTheContainerTurnsTranslationOffOrLeavesItToDetection() throws IOException {
    write("proc/self/mountinfo", DOCKER_MOUNTINFO);
    OwnContainerId detector = new OwnContainerId(root);

    assertThat(detector.resolve(null)).contains(ID);
    assertThat(detector.resolve("  ")).contains(ID);
    assertThat(detector.resolve(" my-action ")).contains("my-action");
    assertThat(detector.resolve("none")).isEmpty();
  }

  @Test
  void anUnsetSettingTrustsTheMountsOnlyNotADockerenvAndAHostname() throws IOException {
    // A VM built from a container image can keep /.dockerenv; its hostname names no container.
    write("proc/self/mountinfo", "22 1 254:0 / / rw - ext4 /dev/vda rw\n");
    write(".dockerenv", "");
    write("etc/hostname", "vm\n");

    assertThat(new OwnContainerId(root).resolve(null)).isEmpty();
  }

  private void write(String relative, String text) throws IOException {
    Path file = root.resolve(relative);
    Files.createDirectories(file.getParent());
    Files.writeString(file, text);
  }
}
