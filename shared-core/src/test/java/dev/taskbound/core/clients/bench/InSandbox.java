package dev.taskbound.core.clients.bench;

import dev.taskbound.core.sandbox.NetnsSandbox;
import dev.taskbound.core.sandbox.SandboxIo;
import dev.taskbound.core.sandbox.SandboxLaunch;
import dev.taskbound.core.sandbox.SandboxProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Not a test: runs one command in a real netns sandbox whose forwarder relays to an already
 * running gateway (see {@link GatewayMain}), with the caller's standard streams; exits with the
 * command's status. The command sees exactly what an agent sees ({@code HTTPS_PROXY} etc.).
 *
 * <pre>
 * java -cp target/classes:target/test-classes dev.taskbound.core.clients.bench.InSandbox SOCKET COMMAND...
 * </pre>
 */
public final class InSandbox {
  private InSandbox() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: InSandbox SOCKET COMMAND...");
      System.exit(2);
    }
    Map<String, String> env = new HashMap<>();
    env.put("PATH", "/usr/local/bin:/usr/bin:/bin");
    env.put("HOME", System.getProperty("java.io.tmpdir"));
    List<String> command = Arrays.asList(args).subList(1, args.length);
    SandboxProcess p =
        new NetnsSandbox()
            .start(new SandboxLaunch(command, Path.of("").toAbsolutePath(), env, Path.of(args[0]), List.of(),
                Duration.ofSeconds(30), SandboxIo.INHERIT));
    try {
      if (!p.waitFor(Duration.ofMinutes(10))) {
        System.err.println("InSandbox: the command did not finish within 10 minutes");
        System.exit(124);
      }
      System.exit(p.waitFor());
    } finally {
      p.destroyTree();
    }
  }
}
