package dev.taskbound.core.clients.bench;

import dev.taskbound.core.sandbox.HandoffAcrossJvms;
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
 * Not a test: runs one command in a real netns sandbox served by an already running gateway (see
 * {@link GatewayMain}), with the caller's standard streams; exits with the command's status. The
 * command sees exactly what an agent sees ({@code HTTPS_PROXY} etc.). With {@code --handoff PATH}
 * the sandbox's listening socket goes to the gateway's JVM (one hop, as in a session); without,
 * the sandbox forwards each connection to {@code SOCKET} (the fallback).
 *
 * <pre>
 * java -cp target/classes:target/test-classes dev.taskbound.core.clients.bench.InSandbox SOCKET [--handoff PATH] COMMAND...
 * </pre>
 */
public final class InSandbox {
  private InSandbox() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: InSandbox SOCKET [--handoff PATH] COMMAND...");
      System.exit(2);
    }
    Map<String, String> env = new HashMap<>();
    env.put("PATH", "/usr/local/bin:/usr/bin:/bin");
    env.put("HOME", System.getProperty("java.io.tmpdir"));
    String samples = System.getenv("TUNNELBENCH_SAMPLES_DIR"); // TunnelBench's, passed on to the client
    if (samples != null) {
      env.put("TUNNELBENCH_SAMPLES_DIR", samples);
    }
    boolean handOff = args[1].equals("--handoff");
    List<String> command = Arrays.asList(args).subList(handOff ? 3 : 1, args.length);
    SandboxLaunch launch =
        new SandboxLaunch(command, Path.of("").toAbsolutePath(), env, Path.of(args[0]), List.of(),
            Duration.ofSeconds(30), SandboxIo.INHERIT);
    if (handOff) {
      launch = launch.withListenerSink(HandoffAcrossJvms.sink(Path.of(args[2])));
    }
    SandboxProcess p = new NetnsSandbox().start(launch);
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
