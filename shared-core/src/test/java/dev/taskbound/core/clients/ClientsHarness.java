package dev.taskbound.core.clients;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.taskbound.core.egress.EgressDecision;
import dev.taskbound.core.egress.EgressRule;
import dev.taskbound.core.egress.Gateway;
import dev.taskbound.core.egress.GatewayConfig;
import dev.taskbound.core.egress.RuleSet;
import dev.taskbound.core.sandbox.NetnsSandbox;
import dev.taskbound.core.sandbox.SandboxIo;
import dev.taskbound.core.sandbox.SandboxLaunch;
import dev.taskbound.core.sandbox.SandboxProcess;
import dev.taskbound.core.testing.AgentOwner;
import dev.taskbound.core.testing.GitCgi;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.ProcessBuilder.Redirect;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * One loopback HTTPS origin for several pinned names ({@code api.test}: a greeting,
 * {@code git.test}: git smart HTTP through {@code git http-backend}, {@code repo.test}: a static
 * Maven repository), a gateway that allows exactly those names on that port (plus any extra
 * allow rules) and pins them and {@link #BLOCKED} to 127.0.0.1, and a way to run one command in a
 * real netns sandbox. {@link #BLOCKED} is pinned but never allowed, so a client that reaches it
 * was let through by something other than the rules.
 */
final class ClientsHarness implements AutoCloseable {
  record Seen(EgressDecision decision, String method, Optional<InetAddress> dialled) {}

  record Result(int status, String out, String err) {}

  static final String BODY = "hello from api.test\n";
  static final String BLOCKED = "blocked.test";
  static final List<String> HTTPS_NAMES = List.of("api.test", "git.test", "repo.test");

  final Path dir;
  final Path certPem;
  final Path trustStore;
  final Path gitRoot;
  final Path mavenRoot;
  final HttpsServer server;
  /** The {@code Host} header of every request the origin served. */
  final List<String> served = new CopyOnWriteArrayList<>();
  /** {@code METHOD /path} of every request the origin served (the query left out). */
  final List<String> servedRequests = new CopyOnWriteArrayList<>();
  final List<Seen> seen = new CopyOnWriteArrayList<>();
  final Gateway gateway;
  private final NetnsSandbox sandbox = new NetnsSandbox();
  private int runs;

  /**
   * @param extraAllow more allow rules, e.g. {@code npm.test:4873}
   * @param extraPins more names pinned to 127.0.0.1
   */
  ClientsHarness(Path dir, List<String> extraAllow, List<String> extraPins) throws Exception {
    this(dir, extraAllow, extraPins, upstreamTrust -> dev.taskbound.core.egress.Inspection.NONE);
  }

  /**
   * As above, with the gateway inspecting what {@code inspection} says; it is given a trust store
   * holding the origin's certificate, for the gateway's upstream verification (issue 15).
   */
  ClientsHarness(Path dir, List<String> extraAllow, List<String> extraPins,
      java.util.function.Function<KeyStore, dev.taskbound.core.egress.Inspection> inspection) throws Exception {
    this.dir = dir;
    gitRoot = Files.createDirectories(dir.resolve("git"));
    mavenRoot = Files.createDirectories(dir.resolve("maven"));
    Path keyStore = dir.resolve("server.p12");
    certPem = dir.resolve("origin.pem");
    trustStore = dir.resolve("trust.p12");
    String san = "SAN=" + String.join(",", HTTPS_NAMES.stream().map(n -> "dns:" + n).toList()) + ",dns:" + BLOCKED;
    keytool("-genkeypair", "-keystore", keyStore.toString(), "-storetype", "PKCS12", "-storepass", "changeit",
        "-alias", "origin", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=api.test", "-ext", san,
        "-validity", "2");
    keytool("-exportcert", "-rfc", "-alias", "origin", "-keystore", keyStore.toString(), "-storepass", "changeit",
        "-file", certPem.toString());
    keytool("-importcert", "-noprompt", "-alias", "origin", "-file", certPem.toString(), "-keystore",
        trustStore.toString(), "-storetype", "PKCS12", "-storepass", "changeit");
    server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(sslContext(keyStore)));
    server.createContext("/hello", ex -> {
      record(ex);
      respond(ex, 200, BODY.getBytes(StandardCharsets.UTF_8));
    });
    server.createContext("/git/", ex -> {
      record(ex);
      GitCgi.serve(ex, gitRoot, dir);
    });
    server.createContext("/maven/", ex -> {
      record(ex);
      serveFile(ex, mavenRoot, ex.getRequestURI().getPath().substring("/maven/".length()));
    });
    server.start();
    List<EgressRule> allow = new ArrayList<>();
    Map<String, String> pins = new LinkedHashMap<>();
    for (String name : HTTPS_NAMES) {
      allow.add(EgressRule.parse(name + ":" + port()));
      pins.put(name, "127.0.0.1");
    }
    extraAllow.forEach(r -> allow.add(EgressRule.parse(r)));
    extraPins.forEach(n -> pins.put(n, "127.0.0.1"));
    pins.put(BLOCKED, "127.0.0.1");
    gateway =
        Gateway.start(
            new GatewayConfig(dir.resolve("gw.sock"), RuleSet.of(allow, List.of()), pins,
                (d, m, a) -> seen.add(new Seen(d, m, a))).withInspection(inspection.apply(loadTrustStore(trustStore))));
  }

  private static KeyStore loadTrustStore(Path file) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (var in = Files.newInputStream(file)) {
      ks.load(in, "changeit".toCharArray());
    }
    return ks;
  }

  int port() {
    return server.getAddress().getPort();
  }

  /** {@code https://<host>:<port><path>} on the origin. */
  String url(String host, String path) {
    return "https://" + host + ":" + port() + path;
  }

  /** Forgets what the gateway and the origin saw. */
  void forget() {
    seen.clear();
    served.clear();
    servedRequests.clear();
  }

  /**
   * Runs a command to completion in a new netns sandbox (working directory {@code workDir}) with
   * {@code PATH}, {@code HOME} and {@code extraEnv}; the sandbox is destroyed in any case.
   */
  Result run(Path workDir, Map<String, String> extraEnv, List<String> command) throws Exception {
    int n = ++runs;
    Path home = Files.createDirectories(dir.resolve("home"));
    Map<String, String> env = new HashMap<>(Map.of("PATH", "/usr/local/bin:/usr/bin:/bin", "HOME", home.toString()));
    env.putAll(extraEnv);
    Path out = dir.resolve("out" + n);
    Path err = dir.resolve("err" + n);
    AgentOwner.own(workDir); // the agent runs as the workspace's owner, never root
    // it reads the fixtures here (certificates, tool jar): traversable, still root's (git serves them)
    java.nio.file.Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    SandboxProcess p =
        sandbox.start(
            new SandboxLaunch(command, workDir, env, gateway.socketPath(), List.of(), Duration.ofSeconds(20),
                new SandboxIo(Redirect.from(Path.of("/dev/null").toFile()), Redirect.to(out.toFile()), Redirect.to(err.toFile())))
                .withAgentPaths(List.of(dir))); // the certificates, the tool jar, the git and Maven fixtures
    try {
      if (!p.waitFor(Duration.ofSeconds(90))) {
        throw new AssertionError("the sandbox did not finish within 90 s: " + command);
      }
      return new Result(p.waitFor(), Files.readString(out), Files.readString(err));
    } finally {
      p.destroyTree();
    }
  }

  private void record(HttpExchange ex) {
    served.add(String.valueOf(ex.getRequestHeaders().getFirst("Host")));
    servedRequests.add(ex.getRequestMethod() + " " + ex.getRequestURI().getPath());
  }

  static void respond(HttpExchange ex, int status, byte[] body) throws IOException {
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(body);
    }
  }

  private static void serveFile(HttpExchange ex, Path root, String relative) throws IOException {
    Path file = root.resolve(relative).normalize();
    if (!file.startsWith(root) || !Files.isRegularFile(file)) {
      respond(ex, 404, new byte[0]);
      return;
    }
    if (ex.getRequestMethod().equals("HEAD")) {
      ex.getResponseHeaders().set("Content-Length", String.valueOf(Files.size(file)));
      ex.sendResponseHeaders(200, -1);
      ex.close();
      return;
    }
    respond(ex, 200, Files.readAllBytes(file));
  }

  private static SSLContext sslContext(Path keyStore) throws Exception {
    char[] password = "changeit".toCharArray();
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(KeyStore.getInstance(keyStore.toFile(), password), password);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(kmf.getKeyManagers(), null, null);
    return tls;
  }

  private static void keytool(String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(List.of(args));
    exec(cmd, null, Map.of());
  }

  /** Runs a host-side helper command to completion (60 s at most); fails with its output otherwise. */
  static String exec(List<String> cmd, Path workDir, Map<String, String> env) throws Exception {
    return exec(cmd, workDir, env, Duration.ofSeconds(60));
  }

  /** Runs a host-side helper command to completion within {@code limit}; fails with its output otherwise. */
  static String exec(List<String> cmd, Path workDir, Map<String, String> env, Duration limit) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    if (workDir != null) {
      pb.directory(workDir.toFile());
    }
    pb.environment().putAll(env);
    Path log = Files.createTempFile("tb-exec", ".log");
    try {
      Process p = pb.redirectOutput(log.toFile()).start();
      if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IOException(cmd + " did not finish within " + limit + ": " + Files.readString(log));
      }
      String out = Files.readString(log);
      if (p.exitValue() != 0) {
        throw new IOException(cmd + " exited with " + p.exitValue() + ": " + out);
      }
      return out;
    } finally {
      Files.deleteIfExists(log);
    }
  }

  @Override
  public void close() {
    gateway.close();
    server.stop(0);
  }
}
