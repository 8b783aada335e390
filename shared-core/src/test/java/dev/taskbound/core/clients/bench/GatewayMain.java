package dev.taskbound.core.clients.bench;

import dev.taskbound.core.egress.EgressListener;
import dev.taskbound.core.egress.EgressRule;
import dev.taskbound.core.egress.Gateway;
import dev.taskbound.core.egress.GatewayConfig;
import dev.taskbound.core.egress.GatewayOptions;
import dev.taskbound.core.egress.RuleSet;
import dev.taskbound.core.sandbox.HandoffAcrossJvms;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
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
 *     SOCKET MAX_CONNECTIONS RULE... [--pin NAME=IP]... [--handoff PATH] [--tcp PORT]
 * </pre>
 *
 * {@code --inspect HOST --upstream-ca PEM --ca-out PATH} (issue 15's bench): HOST is inspected with
 * a fresh session CA (its certificate written to PATH for the clients), the gate allows every
 * request, and upstream TLS is verified against the CA in PEM (the bench origin's).
 *
 * {@code --handoff PATH} takes sandboxes' listening sockets from {@link InSandbox} in another JVM
 * ({@link HandoffAcrossJvms}) and serves them with {@link Gateway#serveFrom}, as a session's
 * gateway does with its own sandbox's. {@code --tcp PORT} also serves a listener on the host's
 * 127.0.0.1:PORT the same way: one hop for a client outside any sandbox (a diagnostic path).
 *
 * Prints {@code ready <pid>} on stdout once the socket accepts connections. The ports of the rules
 * are TLS ports: the gateway checks each tunnel's ClientHello there, as it does on 443 in a session.
 */
public final class GatewayMain {
  private GatewayMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: GatewayMain SOCKET MAX_CONNECTIONS RULE... [--pin NAME=IP]... [--handoff PATH] [--tcp PORT]");
      System.exit(2);
    }
    List<EgressRule> allow = new ArrayList<>();
    Map<String, String> pins = new LinkedHashMap<>();
    Path handoff = null;
    int tcpPort = -1;
    Set<String> inspect = new java.util.TreeSet<>();
    Path upstreamCa = null;
    Path caOut = null;
    for (int i = 2; i < args.length; i++) {
      if (args[i].equals("--tcp")) {
        tcpPort = Integer.parseInt(args[++i]);
      } else if (args[i].equals("--inspect")) {
        inspect.add(args[++i]);
      } else if (args[i].equals("--upstream-ca")) {
        upstreamCa = Path.of(args[++i]);
      } else if (args[i].equals("--ca-out")) {
        caOut = Path.of(args[++i]);
      } else if (args[i].equals("--handoff")) {
        handoff = Path.of(args[++i]);
      } else if (args[i].equals("--pin")) {
        String[] kv = args[++i].split("=", 2);
        pins.put(kv[0], kv[1]);
      } else {
        allow.add(EgressRule.parse(args[i]));
      }
    }
    // Every benchmark origin speaks TLS: check its ClientHello as a session does on port 443.
    Set<Integer> tlsPorts = allow.stream().map(EgressRule::port).collect(Collectors.toSet());
    GatewayOptions options = GatewayOptions.DEFAULTS.withMaxConnections(Integer.parseInt(args[1])).withTlsPorts(tlsPorts);
    GatewayConfig config = new GatewayConfig(Path.of(args[0]), RuleSet.of(allow, List.of()), pins, EgressListener.NONE, options);
    if (!inspect.isEmpty()) {
      config = config.withInspection(inspection(inspect, upstreamCa, caOut));
    }
    Gateway gateway = Gateway.start(config);
    if (handoff != null) {
      HandoffAcrossJvms.serve(handoff, gateway::serveFrom);
    }
    if (tcpPort >= 0) {
      gateway.serveFrom(ServerSocketChannel.open(java.net.StandardProtocolFamily.INET).bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), tcpPort), 2048));
    }
    CountDownLatch done = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      gateway.close();
      done.countDown();
    }));
    System.out.println("ready " + ProcessHandle.current().pid());
    System.out.flush();
    done.await();
  }

  private static dev.taskbound.core.egress.Inspection inspection(Set<String> hosts, Path upstreamCa, Path caOut)
      throws Exception {
    if (upstreamCa == null || caOut == null) {
      throw new IllegalArgumentException("--inspect needs --upstream-ca PEM and --ca-out PATH");
    }
    dev.taskbound.core.egress.SessionCa ca = dev.taskbound.core.egress.SessionCa.generate("bench", java.time.Clock.systemUTC());
    java.nio.file.Files.writeString(caOut, ca.certificatePem());
    java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (java.io.InputStream in = java.nio.file.Files.newInputStream(upstreamCa)) {
      trust.setCertificateEntry("origin", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    return dev.taskbound.core.egress.Inspection.of(hosts, ca, java.util.Optional.of(trust),
        dev.taskbound.core.egress.InjectedCredentials.create(), dev.taskbound.core.egress.RequestGate.ALLOW_ALL);
  }
}
