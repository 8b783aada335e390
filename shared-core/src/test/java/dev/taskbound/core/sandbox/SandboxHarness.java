package dev.taskbound.core.sandbox;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.taskbound.core.egress.EgressDecision;
import dev.taskbound.core.egress.EgressRule;
import dev.taskbound.core.egress.Gateway;
import dev.taskbound.core.egress.GatewayConfig;
import dev.taskbound.core.egress.RuleSet;
import dev.taskbound.core.testing.AgentOwner;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.ProcessBuilder.Redirect;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A loopback HTTPS server for {@code api.test} (self-signed, made with keytool), a gateway that
 * pins {@code api.test} to 127.0.0.1 and allows only it, and a way to run a command in a sandbox
 * and collect its output.
 */
final class SandboxHarness implements AutoCloseable {
  record Seen(EgressDecision decision, String method, Optional<InetAddress> dialled) {}

  record Result(int status, String out, String err) {}

  static final String BODY = "hello from api.test\n";

  final Path dir;
  final Path certPem;
  final Path trustStore;
  final HttpsServer server;
  final AtomicInteger requests = new AtomicInteger();
  final Gateway gateway;
  final List<Seen> seen = new CopyOnWriteArrayList<>();
  private int runs;

  SandboxHarness(Path dir) throws Exception {
    requireHostDevNull();
    this.dir = dir;
    Path keyStore = dir.resolve("server.p12");
    certPem = dir.resolve("api.pem");
    trustStore = dir.resolve("trust.p12");
    keytool("-genkeypair", "-keystore", keyStore.toString(), "-storetype", "PKCS12", "-storepass", "changeit",
        "-alias", "api", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=api.test",
        "-ext", "SAN=dns:api.test", "-validity", "2");
    keytool("-exportcert", "-rfc", "-alias", "api", "-keystore", keyStore.toString(), "-storepass", "changeit", "-file", certPem.toString());
    keytool("-importcert", "-noprompt", "-alias", "api", "-file", certPem.toString(), "-keystore", trustStore.toString(),
        "-storetype", "PKCS12", "-storepass", "changeit");
    server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(sslContext(keyStore)));
    server.createContext(
        "/hello",
        exchange -> {
          requests.incrementAndGet();
          byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    server.start();
    gateway =
        Gateway.start(
            new GatewayConfig(
                dir.resolve("gw.sock"),
                RuleSet.of(List.of(EgressRule.parse("api.test:" + port())), List.of()),
                Map.of("api.test", "127.0.0.1"),
                (d, m, a) -> seen.add(new Seen(d, m, a))));
    AgentOwner.own(dir); // the agent runs as the workspace's owner, never root
  }

  /**
   * Every sandbox binds the host's {@code /dev/null} into its minimal {@code /dev}, and these tests
   * redirect the agent's input from it. When it is not the character device (a stray script once
   * replaced it with a regular file on the shared test machine, and the unprivileged agent could not
   * open it), every case that uses it fails for a reason outside the sandbox: say so once, first.
   */
  static void requireHostDevNull() throws IOException {
    int mode = (Integer) Files.getAttribute(Path.of("/dev/null"), "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS);
    if ((mode & 0170000) != 0020000 || (mode & 0666) != 0666) {
      throw new IllegalStateException(String.format("the host's /dev/null is not a character device readable and writable"
          + " by everyone (mode %o): the machine is broken, not the sandbox; restore it (mknod -m 666 /dev/null c 1 3)", mode));
    }
  }

  int port() {
    return server.getAddress().getPort();
  }

  String url() {
    return "https://api.test:" + port() + "/hello";
  }

  private static SSLContext sslContext(Path keyStore) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = new FileInputStream(keyStore.toFile())) {
      ks.load(in, "changeit".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, "changeit".toCharArray());
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), null, null);
    return ctx;
  }

  private static void keytool(String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("keytool failed: " + out);
    }
  }

  SandboxLaunch launch(List<String> command, List<Path> hidden) {
    return launch(command, hidden, Map.of());
  }

  SandboxLaunch launch(List<String> command, List<Path> hidden, Map<String, String> extraEnv) {
    runs++;
    Map<String, String> env = new java.util.HashMap<>(Map.of("PATH", "/usr/bin:/bin", "HOME", dir.toString()));
    env.putAll(extraEnv);
    return new SandboxLaunch(
        command,
        dir,
        env,
        gateway.socketPath(),
        hidden,
        Duration.ofSeconds(20),
        new SandboxIo(Redirect.from(Path.of("/dev/null").toFile()),
            Redirect.to(dir.resolve("out" + runs).toFile()), Redirect.to(dir.resolve("err" + runs).toFile())))
        .withListenerSink(gateway::serveFrom); // as the session does
  }

  /** Where the last launch's stderr goes (read it after a start that failed). */
  Path lastErr() {
    return dir.resolve("err" + runs);
  }

  /** Runs a command to completion in a new sandbox; the sandbox is destroyed in any case. */
  Result run(Sandbox sandbox, List<String> command, List<Path> hidden) throws Exception {
    return run(sandbox.start(launch(command, hidden)));
  }

  /** Waits for a started sandbox and collects its output; the sandbox is destroyed in any case. */
  Result run(SandboxProcess p) throws Exception {
    try {
      if (!p.waitFor(Duration.ofSeconds(60))) {
        throw new AssertionError("the sandbox did not finish within 60 s: pid " + p.pid() + "; out so far: "
            + Files.readString(dir.resolve("out" + runs)) + "; err so far: " + Files.readString(dir.resolve("err" + runs)));
      }
      return new Result(p.waitFor(), Files.readString(dir.resolve("out" + runs)), Files.readString(dir.resolve("err" + runs)));
    } finally {
      p.destroyTree();
    }
  }

  @Override
  public void close() {
    gateway.close();
    server.stop(0);
  }
}
