package dev.taskbound.core.escape;

import dev.taskbound.core.sandbox.InitCommand;
import dev.taskbound.core.sandbox.NetnsSandbox;
import dev.taskbound.core.sandbox.Sandbox;
import dev.taskbound.core.sandbox.SandboxTools;
import dev.taskbound.core.testing.AgentOwner;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Issue 3's escape suite ({@link EscapeSuite}) on the netns backend: the agent works in the test's
 * directory; the gateway's socket sits there too and is reachable by design (it is the only way
 * out); the Docker socket stand-in is masked like {@link NetnsSandbox#MASKED_BY_DEFAULT}.
 */
class NetnsEscapeTest extends EscapeSuite {
  @Override
  Sandbox sandbox(Path dir) {
    List<Path> masked = new ArrayList<>(NetnsSandbox.MASKED_BY_DEFAULT);
    masked.add(dir.resolve("docker.sock"));
    return new NetnsSandbox(SandboxTools.defaultSearchPath(System.getenv("PATH")), masked, InitCommand.current());
  }

  @Override
  Path workspace(Path dir) {
    return AgentOwner.own(dir); // the agent runs as the workspace's owner, never root
  }

  @Override
  Path gatewaySocket(Path dir) {
    return dir.resolve("gw.sock");
  }

  @Override
  boolean gatewaySocketVisible() {
    return true;
  }

  @Override
  boolean gatewayHoldsTheAgentsPort() {
    return true;
  }
}
