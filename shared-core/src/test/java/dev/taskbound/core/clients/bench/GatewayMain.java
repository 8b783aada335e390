package dev.taskbound.core.clients.bench;

import dev.taskbound.core.egress.EgressListener;
import dev.taskbound.core.egress.EgressRule;
import dev.taskbound.core.egress.Gateway;
import dev.taskbound.core.egress.GatewayConfig;
import dev.taskbound.core.egress.GatewayOptions;
import dev.taskbound.core.egress.RuleSet;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
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
 *     SOCKET MAX_CONNECTIONS RULE... [--pin NAME=IP]... [--tcp PORT]
 * </pre>
 *
 * {@code --tcp PORT} also accepts on 127.0.0.1:PORT and hands each connection to
 * {@link Gateway#serve}: the one-hop path the benchmark compares with (what a sandbox that passed
 * the agent's sockets to the gateway would give), not a way Taskbound runs.
 *
 * Prints {@code ready <pid>} on stdout once the socket accepts connections. The ports of the rules
 * are TLS ports: the gateway checks each tunnel's ClientHello there, as it does on 443 in a session.
 */
public final class GatewayMain {
  private GatewayMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: GatewayMain SOCKET MAX_CONNECTIONS RULE... [--pin NAME=IP]... [--tcp PORT]");
      System.exit(2);
    }
    List<EgressRule> allow = new ArrayList<>();
    Map<String, String> pins = new LinkedHashMap<>();
    int tcpPort = -1;
    for (int i = 2; i < args.length; i++) {
      if (args[i].equals("--tcp")) {
        tcpPort = Integer.parseInt(args[++i]);
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
    Gateway gateway =
        Gateway.start(new GatewayConfig(Path.of(args[0]), RuleSet.of(allow, List.of()), pins, EgressListener.NONE, options));
    if (tcpPort >= 0) {
      ServerSocketChannel tcp = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), tcpPort), 2048);
      Thread acceptor = new Thread(() -> {
        while (tcp.isOpen()) {
          try {
            SocketChannel client = tcp.accept();
            client.setOption(StandardSocketOptions.TCP_NODELAY, true);
            gateway.serve(client);
          } catch (IOException e) {
            return;
          }
        }
      }, "one-hop-acceptor");
      acceptor.setDaemon(true);
      acceptor.start();
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
}
