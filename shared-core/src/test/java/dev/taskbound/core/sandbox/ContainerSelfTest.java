package dev.taskbound.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ContainerSelfTest {
  /** The shape `docker container inspect --format` gives for a GitHub container action's own container. */
  private static final String ACTION_CONTAINER = """
      {"image":"sha256:5b0e3c1f","mounts":[
       {"Type":"bind","Source":"/var/run/docker.sock","Destination":"/var/run/docker.sock","Mode":"","RW":true,"Propagation":"rprivate"},
       {"Type":"bind","Source":"/home/runner/work/_temp/_github_home","Destination":"/github/home","Mode":"","RW":true,"Propagation":"rprivate"},
       {"Type":"bind","Source":"/home/runner/work/repo/repo","Destination":"/github/workspace","Mode":"","RW":true,"Propagation":"rprivate"},
       {"Type":"bind","Source":"/mnt/cache","Destination":"/github/workspace/.cache","Mode":"","RW":true,"Propagation":"rprivate"},
       {"Type":"volume","Name":"tools","Source":"/var/lib/docker/volumes/tools/_data","Destination":"/opt/tools","Driver":"local","RW":true},
       {"Type":"tmpfs","Source":"","Destination":"/scratch","RW":true}]}
      """;

  @Test
  void mapsAPathThroughTheMountThatCoversIt() {
    ContainerSelf self = ContainerSelf.parse("abc", ACTION_CONTAINER);

    assertThat(self.image()).isEqualTo("sha256:5b0e3c1f");
    assertThat(self.hostPath(Path.of("/github/home/.taskbound/sessions/s1/run")))
        .contains(Path.of("/home/runner/work/_temp/_github_home/.taskbound/sessions/s1/run"));
    assertThat(self.hostPath(Path.of("/github/workspace"))).contains(Path.of("/home/runner/work/repo/repo"));
    assertThat(self.hostPath(Path.of("/opt/tools/bin"))).contains(Path.of("/var/lib/docker/volumes/tools/_data/bin"));
  }

  @Test
  void theDeepestMountWins() {
    ContainerSelf self = ContainerSelf.parse("abc", ACTION_CONTAINER);

    assertThat(self.hostPath(Path.of("/github/workspace/.cache/npm"))).contains(Path.of("/mnt/cache/npm"));
    assertThat(self.hostPath(Path.of("/github/workspace/src"))).contains(Path.of("/home/runner/work/repo/repo/src"));
  }

  @Test
  void matchesWholePathSegmentsOnly() {
    ContainerSelf self = ContainerSelf.parse("abc", ACTION_CONTAINER);

    assertThat(self.hostPath(Path.of("/github/homework"))).isEmpty();
    assertThat(self.hostPath(Path.of("/github/home/../workspace/x"))).contains(Path.of("/home/runner/work/repo/repo/x"));
  }

  @Test
  void aPathOnNoMountOrOnATmpfsIsRefusedWithTheMountsThereAre() {
    ContainerSelf self = ContainerSelf.parse("abc", ACTION_CONTAINER);

    assertThat(self.hostPath(Path.of("/scratch/x"))).isEmpty();
    assertThatThrownBy(() -> self.requireHostPath("workspace", Path.of("/tmp/work")))
        .isInstanceOf(SandboxException.class)
        .hasMessage("the workspace /tmp/work is not on a mount of the container Taskbound runs in (abc), so the Docker"
            + " daemon cannot mount it into the sandbox's containers; accepted: paths under [/var/run/docker.sock,"
            + " /github/workspace/.cache, /github/home, /github/workspace, /opt/tools]");
  }

  @Test
  void refusesAnAnswerWithoutImageOrNotJson() {
    assertThatThrownBy(() -> ContainerSelf.parse("abc", "{\"mounts\":[]}"))
        .isInstanceOf(SandboxException.class)
        .hasMessage("the Docker daemon did not name the image of container 'abc'");
    assertThatThrownBy(() -> ContainerSelf.parse("abc", "Error: No such container"))
        .isInstanceOf(SandboxException.class)
        .hasMessageStartingWith("cannot read the Docker daemon's description of container 'abc': ");
  }
}
