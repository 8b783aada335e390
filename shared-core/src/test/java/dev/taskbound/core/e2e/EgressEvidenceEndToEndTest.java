package dev.taskbound.core.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.taskbound.core.evidence.BundleVerifier;
import dev.taskbound.core.evidence.VerificationResult;
import dev.taskbound.core.testing.CliProcess;
import dev.taskbound.core.testing.RunArtifacts;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10, reproductions 3 and 4 through a real {@code taskbound run} (child JVM, netns sandbox,
 * gateway): refusals the gateway makes after the rules allowed a destination (a Host header naming
 * another host, a TLS tunnel whose SNI names another host, a name resolving to loopback) reach the
 * evidence as denials and are counted as denials in every summary.
 */
@Timeout(180)
class EgressEvidenceEndToEndTest {
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path work;
  private Path home;
  private Path runtime;
  private Path out;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @BeforeEach
  void directories() throws IOException {
    home = Files.createDirectories(work.resolve("home"));
    runtime = Files.createDirectories(work.resolve("rt"));
    out = work.resolve("evidence");
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  @Test
  void aHostHeaderNamingAnotherHostGets400AndIsRecordedAsADenial() throws Exception {
    AtomicInteger served = new AtomicInteger();
    HttpServer stub = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
    stub.createContext("/", exchange -> {
      served.incrementAndGet();
      byte[] body = "stub\n".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    stub.start();
    closeables.add(() -> stub.stop(0));
    int port = stub.getAddress().getPort();
    Path policy = policy("example.test:" + port, "example.test: 127.0.0.1", false);
    String agent = String.join("\n",
        "curl -s -o /dev/null -w 'good=%{http_code}\\n' http://example.test:" + port + "/",
        "curl -s -o /dev/null -w 'evil=%{http_code}\\n' -H 'Host: evil.test' http://example.test:" + port + "/",
        "");

    try (CliProcess run = taskbound("run", "--task", "T-10-3", "--policy", policy.toString(), "--out", out.toString(),
        "--", "sh", "-c", agent)) {
      int status = run.waitFor(WAIT);

      assertThat(status).as(run.stderr()).isZero();
      assertThat(run.stdout()).contains("good=200").contains("evil=400");
      assertThat(run.stderr()).contains("egress: 1 allowed, 1 denied")
          .contains("denied example.test:" + port + " (1x): the request itself was refused");
    }

    assertThat(served).hasValue(1);
    JsonNode mismatch = onlyEvent("egress.denied.host_mismatch");
    assertThat(mismatch.get("host").asText()).isEqualTo("example.test");
    assertThat(mismatch.get("port").asInt()).isEqualTo(port);
    assertThat(mismatch.get("detail").asText()).contains("the Host header 'evil.test' does not match");
    assertThat(RunArtifacts.bundleText(out, "summary.md"))
        .contains("| example.test | " + port + " | 1 | 1 |");
    assertVerifies();
  }

  @Test
  void aTlsTunnelWhoseSniNamesAnotherHostIsRecordedAsADenial() throws Exception {
    List<Integer> upstreamBytes = new CopyOnWriteArrayList<>();
    String address = tlsUpstream(upstreamBytes);
    Path policy = policy("example.test:443", "example.test: " + address, false);
    String agent = String.join("\n",
        "openssl s_client -proxy \"${HTTPS_PROXY#http://}\" -connect example.test:443 -servername evil.test"
            + " </dev/null >/dev/null 2>&1",
        "echo \"openssl=$?\"",
        "");

    try (CliProcess run = taskbound("run", "--task", "T-10-3b", "--policy", policy.toString(), "--out", out.toString(),
        "--", "sh", "-c", agent)) {
      int status = run.waitFor(WAIT);

      assertThat(status).as(run.stderr()).isZero();
      assertThat(run.stdout()).contains("openssl=1");
      assertThat(run.stderr()).contains("egress: 1 allowed, 1 denied");
    }

    assertThat(upstreamBytes).allMatch(n -> n == 0);
    JsonNode refused = onlyEvent("egress.denied.sni_mismatch");
    assertThat(refused.get("host").asText()).isEqualTo("example.test");
    assertThat(refused.get("detail").asText()).isEqualTo("SNI 'evil.test' differs from CONNECT host example.test; tunnel closed");
    String summary = RunArtifacts.bundleText(out, "summary.md");
    assertThat(summary).contains("| example.test | 443 | 1 | 1 |");
    assertThat(RunArtifacts.bundleText(out, "report.html")).contains("egress.denied.sni_mismatch");
    assertVerifies();
  }

  @Test
  void aNameThatResolvesToLoopbackIsRefusedAndRecordedAsAnAddressDenial() throws Exception {
    AtomicInteger accepted = new AtomicInteger();
    ServerSocket upstream = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
    closeables.add(upstream);
    Thread acceptor = new Thread(() -> {
      try (Socket s = upstream.accept()) {
        accepted.incrementAndGet();
      } catch (IOException closed) {
        // the test is over
      }
    }, "loopback-upstream");
    acceptor.setDaemon(true);
    acceptor.start();
    int port = upstream.getLocalPort();
    // No pin and no allowPrivate: the system resolver answers 127.0.0.1 (or ::1), which the guard refuses.
    Path policy = policy("localhost:" + port, null, false);

    try (CliProcess run = taskbound("run", "--task", "T-10-4", "--policy", policy.toString(), "--out", out.toString(),
        "--", "sh", "-c", "curl -s -o /dev/null -w 'status=%{http_code}\\n' http://localhost:" + port + "/")) {
      int status = run.waitFor(WAIT);

      assertThat(status).as(run.stderr()).isZero();
      assertThat(run.stdout()).contains("status=403");
      assertThat(run.stderr()).contains("egress: 0 allowed, 1 denied")
          .contains("denied localhost:" + port + " (1x): the name resolved to a loopback address: to allow it, pin the"
              + " name in spec.egress.hosts");
    }

    assertThat(accepted).hasValue(0);
    List<JsonNode> events = events();
    assertThat(events).noneMatch(e -> e.get("type").asText().equals("egress.allowed")
        && e.get("data").path("host").asText().equals("localhost"));
    JsonNode refused = onlyEvent("egress.denied.address");
    assertThat(refused.get("host").asText()).isEqualTo("localhost");
    assertThat(refused.get("address_class").asText()).isEqualTo("loopback");
    assertThat(refused.get("rule").asText()).isEqualTo("localhost:" + port);
    assertThat(refused.get("hint").asText()).contains("spec.egress.allowPrivate: true");
    String summary = RunArtifacts.bundleText(out, "summary.md");
    assertThat(summary).contains("| localhost | " + port + " | 0 | 1 |")
        .contains("the name resolved to a loopback address");
    assertThat(RunArtifacts.bundleText(out, "report.html")).contains("<tr class=\"denied\"><td><code>localhost</code>");
    assertVerifies();
  }

  /**
   * Issue 10: no event is ever dropped. The session's events.jsonl is made immutable ({@code chattr
   * +i}: every write to it fails) before the agent's request: the decision cannot be recorded, so
   * the request is not relayed, the gateway fails and the agent is stopped. The log stays unwritable
   * until the run ends, so it cannot be sealed (exit 123, one line); once it is writable again,
   * {@code taskbound teardown --session} seals what was recorded.
   */
  @Test
  void aDecisionThatCannotBeRecordedStopsTheAgentAndIsNeverRelayed() throws Exception {
    AtomicInteger served = new AtomicInteger();
    HttpServer stub = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
    stub.createContext("/", exchange -> {
      served.incrementAndGet();
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
    });
    stub.start();
    closeables.add(() -> stub.stop(0));
    int port = stub.getAddress().getPort();
    Path policy = policy("example.test:" + port, "example.test: 127.0.0.1", false);
    String agent = String.join("\n",
        "echo agent-ready",
        waitFor("go"),
        "curl -s -o /dev/null -w 'status=%{http_code}\\n' http://example.test:" + port + "/",
        "sleep 120",
        "echo survived",
        "");

    Path stateDir;
    Path events = null;
    try {
      try (CliProcess run = taskbound("run", "--task", "T-10-2", "--policy", policy.toString(), "--out",
          out.toString(), "--", "sh", "-c", agent)) {
        stateDir = RunArtifacts.stateDir(run, WAIT);
        events = stateDir.resolve("events.jsonl");
        run.awaitLine("agent-ready"::equals, WAIT);
        awaitRecorded(events, "\"agent.started\"");
        chattr("+i", events);
        Files.createFile(work.resolve("go"));

        int status = run.waitFor(WAIT);

        assertThat(status).as(run.stderr()).isEqualTo(123);
        assertThat(run.stdout()).doesNotContain("status=204").doesNotContain("survived");
        assertThat(run.stderr()).contains("taskbound: error: cannot append to evidence log " + events
            + ": Operation not permitted").contains("teardown stop-gateway").contains("teardown seal-evidence")
            .doesNotContain("\tat ");
      }
      assertThat(served).hasValue(0);
      chattr("-i", events);

      try (CliProcess retry = taskbound("teardown", "--session", stateDir.toString())) {
        assertThat(retry.waitFor(WAIT)).as(retry.stderr()).isZero();
      }
    } finally {
      if (events != null && Files.exists(events)) {
        chattr("-i", events);
      }
    }

    assertVerifies();
    assertThat(events()).extracting(e -> e.get("type").asText())
        .contains("agent.started", "session.closed").doesNotContain("egress.allowed", "agent.exited");
  }

  /** Waits until the log holds {@code text}: the run records asynchronously to the agent's output. */
  private static void awaitRecorded(Path log, String text) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!Files.readString(log).contains(text)) {
      assertThat(System.nanoTime()).as("%s never recorded %s", log, text).isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  private static String waitFor(String file) {
    return "i=0; while [ ! -e " + file + " ] && [ $i -lt 900 ]; do sleep 0.1; i=$((i+1)); done";
  }

  private static void chattr(String flag, Path file) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("chattr", flag, file.toString()).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as("chattr " + flag + " " + file + ": " + output).isZero();
  }

  /** A listener on 127.0.0.N:443 (a free N), recording how many bytes each connection sent. */
  private String tlsUpstream(List<Integer> bytesPerConnection) throws IOException {
    IOException last = null;
    for (int attempt = 0; attempt < 8; attempt++) {
      String address = "127.0.0." + ThreadLocalRandom.current().nextInt(2, 250);
      ServerSocket server = new ServerSocket();
      try {
        server.bind(new InetSocketAddress(InetAddress.getByName(address), 443), 8);
      } catch (IOException taken) {
        server.close();
        last = taken;
        continue;
      }
      closeables.add(server);
      Thread t = new Thread(() -> {
        while (!server.isClosed()) {
          try (Socket s = server.accept()) {
            bytesPerConnection.add(s.getInputStream().readAllBytes().length);
          } catch (IOException closed) {
            return;
          }
        }
      }, "tls-upstream");
      t.setDaemon(true);
      t.start();
      return address;
    }
    throw last;
  }

  private Path policy(String allow, String pin, boolean allowPrivate) throws IOException {
    List<String> lines = new ArrayList<>(List.of(
        "apiVersion: taskbound.dev/v1",
        "kind: Task",
        "spec:",
        "  ttl: 10m",
        "  sandbox:",
        "    backends: [netns]",
        "  egress:",
        "    allow: [\"" + allow + "\"]"));
    if (pin != null) {
      lines.add("    hosts:");
      lines.add("      " + pin);
    }
    if (allowPrivate) {
      lines.add("    allowPrivate: true");
    }
    return Files.writeString(work.resolve("task.yml"), String.join("\n", lines) + "\n");
  }

  private CliProcess taskbound(String... args) throws IOException {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("TASKBOUND_HOME", home.toString());
    env.put("TASKBOUND_RUNTIME_DIR", runtime.toString());
    return CliProcess.start(work, env, args);
  }

  private List<JsonNode> events() throws IOException {
    List<JsonNode> events = new ArrayList<>();
    for (String line : RunArtifacts.bundleText(out, "events.jsonl").split("\n")) {
      events.add(JSON.readTree(line));
    }
    return events;
  }

  /** The data of the one event of {@code type}. */
  private JsonNode onlyEvent(String type) throws IOException {
    List<JsonNode> found = events().stream().filter(e -> e.get("type").asText().equals(type)).toList();
    assertThat(found).as(type).hasSize(1);
    return found.get(0).get("data");
  }

  private void assertVerifies() throws IOException {
    VerificationResult verified = BundleVerifier.verify(RunArtifacts.onlyBundle(out));
    assertThat(verified.valid()).as(verified.message()).isTrue();
  }
}
