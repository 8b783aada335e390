package dev.taskbound.core.sandbox;

import dev.taskbound.core.egress.EgressListener;
import dev.taskbound.core.egress.Gateway;
import dev.taskbound.core.egress.GatewayConfig;
import dev.taskbound.core.egress.RuleSet;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Not a test: prints the median wall time of starting and finishing a sandbox whose agent is
 * {@code true}, next to running {@code true} directly. Run with the test class path:
 * {@code java -cp target/classes:target/test-classes dev.taskbound.core.sandbox.SandboxStartBench [netns|proxy] [runs]}.
 */
public final class SandboxStartBench {
  private SandboxStartBench() {}

  public static void main(String[] args) throws Exception {
    String backend = args.length > 0 ? args[0] : "netns";
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    Path dir = Files.createTempDirectory("tb-bench");
    try (Gateway g = Gateway.start(new GatewayConfig(dir.resolve("gw.sock"), RuleSet.of(List.of(), List.of()), Map.of(), EgressListener.NONE))) {
      Sandbox sandbox = backend.equals("proxy") ? new ProxySandbox() : new NetnsSandbox();
      SandboxLaunch launch =
          new SandboxLaunch(List.of("true"), dir, Map.of("PATH", "/usr/bin:/bin"), g.socketPath(), List.of(dir.resolve("hidden")),
              Duration.ofSeconds(20), new SandboxIo(Redirect.INHERIT, Redirect.INHERIT, Redirect.INHERIT))
              .withListenerSink(g::serveFrom); // as a session does (needs --add-opens java.base/sun.nio.ch=ALL-UNNAMED)
      Files.createDirectories(dir.resolve("hidden"));
      sandbox.start(launch).waitFor(); // warm-up: preflight, class loading in this JVM
      long[] sandboxed = new long[runs];
      long[] direct = new long[runs];
      for (int i = 0; i < runs; i++) {
        long t0 = System.nanoTime();
        SandboxProcess p = sandbox.start(launch);
        long started = System.nanoTime();
        int status = p.waitFor();
        sandboxed[i] = System.nanoTime() - t0;
        if (status != 0) {
          throw new IllegalStateException("status " + status);
        }
        if (i == 0) {
          System.out.printf("first run: start() returned after %.1f ms%n", (started - t0) / 1e6);
        }
        t0 = System.nanoTime();
        new ProcessBuilder("true").start().waitFor();
        direct[i] = System.nanoTime() - t0;
      }
      System.out.printf("%s sandbox with 'true': median %.1f ms; 'true' directly: median %.1f ms (%d runs)%n",
          backend, median(sandboxed), median(direct), runs);
    }
  }

  private static double median(long[] nanos) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    return (s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0) / 1e6;
  }
}
