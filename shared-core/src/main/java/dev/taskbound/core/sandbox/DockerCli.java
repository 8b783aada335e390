package dev.taskbound.core.sandbox;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs the {@code docker} CLI against one daemon endpoint ({@code -H}), never the caller's
 * {@code DOCKER_HOST} or context. Short commands are bounded in time and their output in size.
 * Stateless apart from its settings; thread-safe.
 */
final class DockerCli {
  /** What a finished command printed (standard output and error together, at most 64 KiB). */
  record Result(int status, String output) {
    boolean ok() {
      return status == 0;
    }

    /** The output on one line, for messages. */
    String oneLine() {
      String s = output.strip().replaceAll("\\s*\\n\\s*", "; ").replaceAll("[.\\s]+$", "");
      return s.length() > 500 ? s.substring(0, 500) + "..." : s;
    }
  }

  private static final int MAX_OUTPUT = 64 * 1024;
  private static final String CLI_PATH = "/usr/local/bin:/usr/bin:/bin";

  private final Path binary;
  private final String endpoint;

  DockerCli(Path binary, String endpoint) {
    this.binary = Objects.requireNonNull(binary, "binary");
    this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
  }

  String endpoint() {
    return endpoint;
  }

  /** The full command line: {@code docker -H ENDPOINT ARGS...}. */
  List<String> argv(List<String> args) {
    List<String> a = new ArrayList<>();
    a.add(binary.toString());
    a.add("-H");
    a.add(endpoint);
    a.addAll(args);
    return a;
  }

  /**
   * A process builder for {@code docker ARGS} whose environment is {@code PATH} plus {@code env}
   * only (the CLI passes {@code -e NAME} values on from its own environment).
   */
  ProcessBuilder builder(List<String> args, Map<String, String> env) {
    ProcessBuilder pb = new ProcessBuilder(argv(args));
    pb.environment().clear();
    pb.environment().put("PATH", CLI_PATH);
    pb.environment().putAll(env);
    return pb;
  }

  /**
   * Runs {@code docker ARGS} to completion with an empty environment apart from {@code PATH} and
   * {@code env}.
   *
   * @return its status and output; status -1 when it could not be started or did not finish within
   *     {@code timeout} (it is then killed), with the reason as output
   */
  Result run(Duration timeout, Map<String, String> env, List<String> args) {
    Process p;
    try {
      p = builder(args, env).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
    } catch (IOException e) {
      return new Result(-1, "cannot run " + binary + ": " + e.getMessage());
    }
    CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readBounded(p.getInputStream()));
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        return new Result(-1, "'docker " + String.join(" ", args) + "' did not finish within " + timeout.toSeconds() + " s");
      }
      return new Result(p.exitValue(), new String(out.get(5, TimeUnit.SECONDS), StandardCharsets.UTF_8));
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      return new Result(-1, "interrupted");
    } catch (Exception e) {
      return new Result(p.exitValue(), "");
    }
  }

  Result run(Duration timeout, List<String> args) {
    return run(timeout, Map.of(), args);
  }

  /**
   * Runs each of {@code commands} as {@link #run(Duration, List)} does, all at once: each call is
   * mostly the CLI's start and a round trip to the daemon, so independent queries need not wait for
   * one another.
   *
   * @return the results in the order of {@code commands}
   */
  List<Result> runAll(Duration timeout, List<List<String>> commands) {
    List<CompletableFuture<Result>> running = new ArrayList<>();
    for (List<String> args : commands) {
      running.add(async(timeout, Map.of(), args));
    }
    return running.stream().map(CompletableFuture::join).toList();
  }

  /** {@link #run(Duration, Map, List)} on a thread of its own; the future never completes exceptionally. */
  CompletableFuture<Result> async(Duration timeout, Map<String, String> env, List<String> args) {
    CompletableFuture<Result> result = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        result.complete(run(timeout, env, args));
      } catch (RuntimeException | Error e) {
        result.complete(new Result(-1, "'docker " + String.join(" ", args) + "' failed: " + e));
      }
    }, "taskbound-docker-cli");
    t.setDaemon(true);
    t.start();
    return result;
  }

  private static byte[] readBounded(InputStream in) {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    byte[] chunk = new byte[8192];
    try (in) {
      int n;
      while ((n = in.read(chunk)) >= 0) {
        if (buf.size() < MAX_OUTPUT) {
          buf.write(chunk, 0, Math.min(n, MAX_OUTPUT - buf.size()));
        }
      }
    } catch (IOException e) {
      // the process is gone: keep what was read
    }
    return buf.toByteArray();
  }
}
