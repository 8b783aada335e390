package dev.taskbound.core.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The README's first command runs examples/demo.sh on what ships (the shaded jar through
 * bin/taskbound): the run, its evidence verified against the host's record, and nothing of the demo
 * left behind. Its API server and, as root, its scratch workspace each had a cleanup trap that a
 * later trap replaced, so every demo left a server on port 18080 and a directory in /tmp.
 */
@Timeout(300)
class DemoScriptIT {
  private static final Path REPO = Path.of(System.getProperty("taskbound.repo.root")).toAbsolutePath().normalize();
  private static final int DEMO_PORT = 18080;

  @Test
  void theDemoRunsVerifiesItsEvidenceAndLeavesNoServerNorScratchWorkspace() throws Exception {
    assertThat(listening(DEMO_PORT)).as("port %d is free before the demo", DEMO_PORT).isFalse();
    List<Path> before = scratchWorkspaces();

    // to a file, not a pipe: a server the demo left behind would hold a pipe open past its end
    Path log = Files.createTempFile("taskbound-demo-it", ".log");
    Process demo = new ProcessBuilder("bash", "examples/demo.sh").directory(REPO.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    boolean ended = demo.waitFor(240, TimeUnit.SECONDS);
    String output = Files.readString(log, StandardCharsets.UTF_8);
    Files.delete(log);
    assertThat(ended).as(output).isTrue();

    assertThat(demo.exitValue()).as(output).isZero();
    assertThat(output).contains("taskbound: task DEMO-1 finished").contains("signer verified by the host record")
        .doesNotContain("Address already in use");
    assertThat(ProcessHandle.allProcesses().filter(p -> p.info().arguments()
        .map(a -> Arrays.asList(a).contains("examples/DemoServer.java")).orElse(false)).toList())
        .as("the demo's API server is gone").isEmpty();
    assertThat(listening(DEMO_PORT)).as("port %d is free again", DEMO_PORT).isFalse();
    assertThat(scratchWorkspaces()).as("no scratch workspace left").isEqualTo(before);
  }

  private static boolean listening(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The demo's scratch workspaces (made when it runs as root in a root-owned checkout). */
  private static List<Path> scratchWorkspaces() throws IOException {
    try (Stream<Path> tmp = Files.list(Path.of("/tmp"))) {
      return tmp.filter(p -> p.getFileName().toString().startsWith("taskbound-demo.")).sorted().toList();
    }
  }
}
