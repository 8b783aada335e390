package dev.taskbound.core.clients.bench;

import dev.taskbound.core.egress.EgressListener;
import dev.taskbound.core.egress.EgressRule;
import dev.taskbound.core.egress.Gateway;
import dev.taskbound.core.egress.GatewayConfig;
import dev.taskbound.core.egress.GatewayOptions;
import dev.taskbound.core.egress.RuleSet;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.concurrent.CountDownLatch;

/**
 * Not a test: a standalone gateway process for the benchmarks (its RSS is the gateway's alone).
 * Runs until SIGTERM/SIGINT, then closes the gateway (which deletes the socket).
 *
 * <pre>
 * java -cp target/classes:target/test-classes dev.taskbound.core.clients.bench.GatewayMain \
 *     SOCKET MAX_CONNECTIONS RULE... [--pin NAME=IP]...
 * </pre>
 *
 * Prints {@code ready <pid>} on stdout once the socket accepts connections. The ports of the rules
 * are TLS ports: the gateway checks each tunnel's ClientHello there, as it does on 443 in a session.
 */
public final class GatewayMain {
  private GatewayMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: GatewayMain SOCKET MAX_CONNECTIONS RULE... [--pin NAME=IP]...");
      System.exit(2);
    }
    List<EgressRule> allow = new ArrayList<>();
    Map<String, String> pins = new LinkedHashMap<>();
    for (int i = 2; i < args.length; i++) {
      if (args[i].equals("--pin")) {
        String[] kv = args[++i].split("=", 2);
        pins.put(kv[0], kv[1]);
      } else {
        allow.add(EgressRule.parse(args[i]));
      }
    }
    // Every benchmark origin speaks TLS: check its ClientHello as a session does on port 443.
    Set<Integer> tlsPorts = allow.stream().map(EgressRule::port).collect(Collectors.toSet());
    GatewayOptions options = GatewayOptions.DEFAULTS.withMaxConnections(Integer.parseInt(args[1])).withTlsPorts(tlsPorts);
    Gateway gateway =
        Gateway.start(new GatewayConfig(Path.of(args[0]), RuleSet.of(allow, List.of()), pins, EgressListener.NONE, options));
    CountDownLatch done = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      gateway.close();
      done.countDown();
    }));
    System.out.println("ready " + ProcessHandle.current().pid());
    System.out.flush();
    done.await();
  }
}
