package dev.taskbound.core.testing;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A stand-in for GitHub's git smart HTTP: {@code git http-backend} (through {@link GitCgi}) behind
 * an HTTPS front on 127.0.0.1 whose certificate names {@code github.com} (a throw-away test CA,
 * {@link #caPem()}). Like GitHub, it answers 401 with a {@code Basic} challenge unless the request
 * carries {@code x-access-token:<token>} as Basic credentials, with the one token it was given.
 * Repositories live under {@code <dir>/repos}, served at {@code /git/<owner>/<name>.git}; pushes
 * are accepted ({@code http.receivepack}).
 */
public final class GitHttpsFront implements AutoCloseable {
  private final StandInTls.Started tls;
  private final Path root;
  private final String expected;
  private final List<String> requests = new CopyOnWriteArrayList<>();

  private GitHttpsFront(StandInTls.Started tls, Path root, String token) {
    this.tls = tls;
    this.root = root;
    this.expected = "Basic " + Base64.getEncoder().encodeToString(("x-access-token:" + token).getBytes(StandardCharsets.UTF_8));
  }

  /** Starts on any free port; keys, the CA and the repositories go to {@code dir}. */
  public static GitHttpsFront start(Path dir, String token) throws Exception {
    Path root = Files.createDirectories(dir.resolve("repos"));
    Path scratch = Files.createDirectories(dir.resolve("scratch"));
    StandInTls.Started tls = StandInTls.start(Files.createDirectories(dir.resolve("tls")), "github.com", 0, "git-https-front");
    GitHttpsFront front = new GitHttpsFront(tls, root, token);
    tls.server().createContext("/git/", ex -> front.handle(ex, scratch));
    return front;
  }

  private void handle(HttpExchange ex, Path scratch) throws IOException {
    try (ex) {
      String authorization = ex.getRequestHeaders().getFirst("Authorization");
      String who = authorization == null ? "no-auth" : authorization.equals(expected) ? "token" : "other-auth";
      requests.add(ex.getRequestMethod() + " " + ex.getRequestURI() + " " + who);
      if (!who.equals("token")) {
        ex.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"GitHub\"");
        ex.sendResponseHeaders(401, -1);
        return;
      }
      GitCgi.serve(ex, root, scratch);
    }
  }

  /** A bare clone of {@code source} at {@code /git/<owner>/<name>.git}, accepting pushes. */
  public void cloneBare(Path source, String ownerAndName) throws Exception {
    Path bare = root.resolve(ownerAndName + ".git");
    Files.createDirectories(bare.getParent());
    git(null, "clone", "-q", "--bare", source.toString(), bare.toString());
    git(bare, "config", "http.receivepack", "true");
  }

  /** {@code <sha> <ref>} of every ref of the repository, sorted by ref. */
  public List<String> refs(String ownerAndName) throws Exception {
    String out = git(root.resolve(ownerAndName + ".git"), "for-each-ref", "--format=%(objectname) %(refname)");
    return out.lines().sorted((a, b) -> a.substring(41).compareTo(b.substring(41))).toList();
  }

  /** {@code METHOD /path?query who} of every request, who being {@code token}, {@code no-auth} or {@code other-auth}. */
  public List<String> requests() {
    return List.copyOf(requests);
  }

  public int port() {
    return tls.server().getAddress().getPort();
  }

  public Path caPem() {
    return tls.caPem();
  }

  @Override
  public void close() {
    tls.server().stop(0);
  }

  private static String git(Path dir, String... args) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(new java.util.ArrayList<>(List.of("git")));
    pb.command().addAll(List.of(args));
    pb.redirectErrorStream(true);
    if (dir != null) {
      pb.directory(dir.toFile());
    }
    pb.environment().putAll(Map.of("GIT_CONFIG_NOSYSTEM", "1"));
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException("git " + String.join(" ", args) + " failed: " + out);
    }
    return out;
  }
}
