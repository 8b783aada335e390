package dev.taskbound.core.clients;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real verdaccio npm registry on 127.0.0.1, installed once by
 * {@code clients/install-verdaccio.sh} into {@code /var/cache/taskbound/verdaccio} (or
 * {@code TASKBOUND_VERDACCIO_DIR}), with storage in the test's directory and no uplinks: it never
 * contacts another registry.
 */
final class Verdaccio implements AutoCloseable {
  private final Process process;
  private final int port;
  private final String token;

  private Verdaccio(Process process, int port, String token) {
    this.process = process;
    this.port = port;
    this.token = token;
  }

  static Verdaccio start(Path dir) throws Exception {
    Path installDir = Path.of(System.getenv().getOrDefault("TASKBOUND_VERDACCIO_DIR", "/var/cache/taskbound/verdaccio"));
    URL script = Verdaccio.class.getResource("/clients/install-verdaccio.sh");
    ClientsHarness.exec(List.of("sh", Path.of(script.toURI()).toString(), installDir.toString()), null, Map.of(), Duration.ofMinutes(5));
    Path home = Files.createDirectories(dir.resolve("verdaccio"));
    Path config = home.resolve("config.yaml");
    Files.writeString(
        config,
        String.join(
            "\n",
            "storage: " + home.resolve("storage"),
            "auth:",
            "  htpasswd:",
            "    file: " + home.resolve("htpasswd"),
            "    max_users: 10",
            "uplinks: {}",
            "packages:",
            "  '**':",
            "    access: $all",
            "    publish: $authenticated",
            "log: { type: stdout, format: pretty, level: warn }",
            ""));
    int port = freePort();
    Process p =
        new ProcessBuilder(installDir.resolve("node_modules/.bin/verdaccio").toString(), "--config", config.toString(),
                "--listen", "127.0.0.1:" + port)
            .redirectErrorStream(true)
            .start();
    try {
      awaitListening(p);
      return new Verdaccio(p, port, addUser(port));
    } catch (Exception e) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw e;
    }
  }

  int port() {
    return port;
  }

  /** Publishes a package whose {@code index.js} exports {@code exported}, from the host, straight to 127.0.0.1. */
  void publish(Path dir, String name, String version, String exported) throws Exception {
    Path pkg = Files.createDirectories(dir.resolve("publish-" + name));
    Files.writeString(pkg.resolve("package.json"),
        "{\"name\":\"" + name + "\",\"version\":\"" + version + "\",\"main\":\"index.js\",\"license\":\"MIT\"}\n");
    Files.writeString(pkg.resolve("index.js"), "module.exports = " + quote(exported) + ";\n");
    Path npmrc = pkg.resolve(".npmrc-publish");
    Files.writeString(npmrc, "//127.0.0.1:" + port + "/:_authToken=" + token + "\n");
    ClientsHarness.exec(
        List.of("npm", "publish", "--registry", "http://127.0.0.1:" + port + "/"),
        pkg,
        Map.of("HOME", pkg.toString(), "npm_config_userconfig", npmrc.toString(), "npm_config_update_notifier", "false",
            "npm_config_cache", dir.resolve("npm-publish-cache").toString()));
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  /** Waits (30 s at most) for verdaccio's "http address" line, which it prints once it listens. */
  private static void awaitListening(Process p) throws Exception {
    CompletableFuture<Void> ready = new CompletableFuture<>();
    StringBuilder log = new StringBuilder();
    Thread reader =
        new Thread(() -> {
          try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
              synchronized (log) {
                log.append(line).append('\n');
              }
              if (line.contains("http address")) {
                ready.complete(null);
              }
            }
            ready.completeExceptionally(new IOException("verdaccio exited"));
          } catch (IOException e) {
            ready.completeExceptionally(e);
          }
        }, "verdaccio-log");
    reader.setDaemon(true);
    reader.start();
    try {
      ready.get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      synchronized (log) {
        throw new IOException("verdaccio did not start: " + log, e);
      }
    }
  }

  private static String addUser(int port) throws IOException, InterruptedException, URISyntaxException {
    HttpClient client = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();
    HttpResponse<String> r =
        client.send(
            HttpRequest.newBuilder(new URI("http://127.0.0.1:" + port + "/-/user/org.couchdb.user:tb"))
                .timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"name\":\"tb\",\"password\":\"tb-test-password\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    Matcher m = Pattern.compile("\"token\"\\s*:\\s*\"([^\"]+)\"").matcher(r.body());
    if (r.statusCode() != 201 || !m.find()) {
      throw new IOException("verdaccio refused the test user: " + r.statusCode());
    }
    return m.group(1);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() {
    process.descendants().forEach(ProcessHandle::destroy);
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
