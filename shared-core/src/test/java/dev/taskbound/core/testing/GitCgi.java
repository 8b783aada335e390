package dev.taskbound.core.testing;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Git smart HTTP for tests: runs {@code git http-backend} as a CGI program for one request under
 * {@code /git/}, serving every repository below the project root. The request body is buffered in
 * a file (so the backend's output cannot block our write), the response is buffered in memory:
 * fine for the small repositories of a test.
 */
public final class GitCgi {
  private GitCgi() {}

  public static void serve(HttpExchange ex, Path projectRoot, Path scratch) throws IOException {
    Path body = Files.createTempFile(scratch, "git-req", ".bin");
    try {
      try (InputStream in = ex.getRequestBody()) {
        Files.copy(in, body, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      ProcessBuilder pb = new ProcessBuilder("git", "http-backend").redirectInput(body.toFile()).redirectError(Redirect.DISCARD);
      Map<String, String> env = pb.environment();
      env.clear();
      env.put("PATH", "/usr/bin:/bin");
      env.put("GIT_PROJECT_ROOT", projectRoot.toString());
      env.put("GIT_HTTP_EXPORT_ALL", "1");
      env.put("GATEWAY_INTERFACE", "CGI/1.1");
      env.put("SERVER_PROTOCOL", "HTTP/1.1");
      env.put("REMOTE_ADDR", "127.0.0.1");
      env.put("REQUEST_METHOD", ex.getRequestMethod());
      env.put("PATH_INFO", ex.getRequestURI().getRawPath().substring("/git".length()));
      env.put("QUERY_STRING", ex.getRequestURI().getRawQuery() == null ? "" : ex.getRequestURI().getRawQuery());
      env.put("CONTENT_LENGTH", String.valueOf(Files.size(body)));
      String type = ex.getRequestHeaders().getFirst("Content-Type");
      if (type != null) {
        env.put("CONTENT_TYPE", type);
      }
      ex.getRequestHeaders().forEach((name, values) ->
          env.put("HTTP_" + name.toUpperCase(Locale.ROOT).replace('-', '_'), String.join(", ", values)));
      Process p = pb.start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        respondWith(ex, 504, new byte[0]);
        return;
      }
      respond(ex, out);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      respondWith(ex, 500, new byte[0]);
    } finally {
      Files.deleteIfExists(body);
    }
  }

  /** Splits the CGI output into its header block (with an optional {@code Status}) and body. */
  private static void respond(HttpExchange ex, byte[] cgi) throws IOException {
    int split = -1;
    int sepLen = 0;
    for (int i = 0; i + 1 < cgi.length; i++) {
      if (cgi[i] == '\n' && cgi[i + 1] == '\n') {
        split = i;
        sepLen = 2;
        break;
      }
      if (i + 3 < cgi.length && cgi[i] == '\r' && cgi[i + 1] == '\n' && cgi[i + 2] == '\r' && cgi[i + 3] == '\n') {
        split = i;
        sepLen = 4;
        break;
      }
    }
    if (split < 0) {
      respondWith(ex, 502, new byte[0]);
      return;
    }
    int status = 200;
    for (String line : new String(cgi, 0, split, StandardCharsets.ISO_8859_1).split("\r?\n")) {
      int colon = line.indexOf(':');
      if (colon <= 0) {
        continue;
      }
      String name = line.substring(0, colon).strip();
      String value = line.substring(colon + 1).strip();
      if (name.equalsIgnoreCase("Status")) {
        status = Integer.parseInt(value.split(" ")[0]);
      } else {
        ex.getResponseHeaders().add(name, value);
      }
    }
    byte[] body = java.util.Arrays.copyOfRange(cgi, split + sepLen, cgi.length);
    respondWith(ex, status, body);
  }

  /** Creates {@code <root>/<name>.git}, a bare repository with one commit holding {@code README} = {@code content}. */
  public static void createRepository(Path root, String name, String content, Path scratch) throws Exception {
    Path work = Files.createDirectories(scratch.resolve(name + "-work"));
    Files.writeString(work.resolve("README"), content);
    Map<String, String> env =
        Map.of("GIT_AUTHOR_NAME", "t", "GIT_AUTHOR_EMAIL", "t@t.test", "GIT_COMMITTER_NAME", "t", "GIT_COMMITTER_EMAIL", "t@t.test");
    exec(List.of("git", "init", "-q", "-b", "main", "."), work, env);
    exec(List.of("git", "add", "README"), work, env);
    exec(List.of("git", "commit", "-q", "-m", "init"), work, env);
    exec(List.of("git", "clone", "-q", "--bare", work.toString(), root.resolve(name + ".git").toString()), null, env);
  }

  private static void respondWith(HttpExchange ex, int status, byte[] body) throws IOException {
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (java.io.OutputStream os = ex.getResponseBody()) {
      os.write(body);
    }
  }

  private static void exec(List<String> cmd, Path workDir, Map<String, String> env) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    if (workDir != null) {
      pb.directory(workDir.toFile());
    }
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException(cmd + " failed: " + out);
    }
  }
}
