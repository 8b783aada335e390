package dev.taskbound.core.session;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskbound.core.ExitCodes;
import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Talks to the supervisor of an open multi-command session, found from its handle (the state
 * directory {@code taskbound session start} printed): {@link #exec} runs one command there,
 * {@link #end} ends the session. Not thread-safe; one request per connection.
 */
public final class SessionClient {
  private final Path stateDir;
  private final SessionRecord record;

  private SessionClient(Path stateDir, SessionRecord record) {
    this.stateDir = stateDir;
    this.record = record;
  }

  /**
   * The session with this handle.
   *
   * @throws SessionException if it has ended (exit 124 when its TTL ended it, else 121, the message
   *     saying when and where its evidence went), or the path is not a session's handle (125)
   */
  public static SessionClient of(Path handle) {
    Path stateDir = handle.toAbsolutePath().normalize();
    Path file = stateDir.resolve("session.json");
    if (!Files.isRegularFile(file)) {
      Optional<Completion.Record> done = Completion.of(stateDir);
      if (done.isPresent()) {
        Completion.Record d = done.get();
        throw new SessionException(
            "session " + d.sessionId() + " has ended" + (d.reason().isEmpty() ? "" : " (" + d.reason() + ")") + " at "
                + d.completedAt() + "; its evidence is in " + d.bundle() + "; start a new one with 'taskbound session start'",
            d.ttlExpired() ? ExitCodes.TTL_EXPIRED : ExitCodes.SANDBOX);
      }
      throw new SessionException("--session: '" + handle + "' is not a session handle (no session.json there);"
          + " accepted: the path 'taskbound session start' printed", ExitCodes.USAGE);
    }
    return new SessionClient(stateDir, SessionRecord.read(file));
  }

  /**
   * Whether the session with this handle has ended (its teardown completed): how and when, and
   * whether its TTL ended it.
   */
  public static Optional<Finished> finished(Path handle) {
    Path stateDir = handle.toAbsolutePath().normalize();
    if (Files.isRegularFile(stateDir.resolve("session.json"))) {
      return Optional.empty();
    }
    return Completion.of(stateDir).map(d -> new Finished(
        d.describe() + (d.reason().isEmpty() ? "" : " (it ended: " + d.reason() + ")"), d.ttlExpired()));
  }

  /** A session that has ended: a one-line description, and whether its TTL ended it. */
  public record Finished(String description, boolean ttlExpired) {}

  /** The session's id. */
  public String sessionId() {
    return record.sessionId();
  }

  /**
   * Runs {@code command} in a fresh sandbox of the session and copies its (masked) output to
   * {@code out} and {@code err} as it comes.
   *
   * @param env the caller's environment; only the variables an agent may inherit are sent
   * @return the command's exit status (124 when the session's TTL stopped it)
   * @throws SessionException when the supervisor refuses (its exit code and message) or is not
   *     running (121)
   */
  public int exec(List<String> command, Path workDir, Map<String, String> env, boolean waitAll, List<Path> readWrite,
      List<Path> readOnly, OutputStream out, OutputStream err) {
    Map<String, String> allowed = new LinkedHashMap<>();
    env.forEach((k, v) -> {
      if (AgentEnvironment.isAllowed(k)) {
        allowed.put(k, v);
      }
    });
    Map<String, Object> request = new LinkedHashMap<>();
    request.put("op", "exec");
    request.put("command", command);
    request.put("workdir", workDir.toAbsolutePath().normalize().toString());
    request.put("env", allowed);
    request.put("wait_all", waitAll);
    request.put("read_write", readWrite.stream().map(Path::toString).toList());
    request.put("read_only", readOnly.stream().map(Path::toString).toList());
    try (ControlChannel c = connect()) {
      c.send(request);
      while (true) {
        ControlChannel.Frame f = c.read();
        if (f == null) {
          throw new SessionException("the supervisor of session " + record.sessionId() + " went away while the command ran"
              + " (killed?); end the session with 'taskbound session end --session " + stateDir + "'", ExitCodes.SANDBOX);
        }
        switch (f.type()) {
          case ControlChannel.STDOUT -> write(out, f.data());
          case ControlChannel.STDERR -> write(err, f.data());
          default -> {
            return result(f.json());
          }
        }
      }
    } catch (IOException e) {
      throw new SessionException("lost the connection to the supervisor of session " + record.sessionId() + ": "
          + e.getMessage(), ExitCodes.SANDBOX, e);
    }
  }

  private static void write(OutputStream sink, byte[] data) {
    try {
      sink.write(data);
      sink.flush();
    } catch (IOException e) {
      // our own output is gone (closed pipe); the command's exit status still matters
    }
  }

  private static int result(JsonNode reply) {
    if (reply.has("exit")) {
      return reply.get("exit").asInt();
    }
    throw new SessionException(reply.path("error").asText("the supervisor refused the request"),
        reply.path("code").asInt(ExitCodes.SANDBOX));
  }

  /**
   * Asks the supervisor to end the session and waits for its teardown.
   *
   * @return the teardown report and why the session ended ({@code session end requested}, {@code ttl
   *     expired}); empty if no supervisor answers (killed): then {@link Session#finish} does it from
   *     the journal
   */
  public Optional<Ended> end() {
    ControlChannel c;
    try {
      c = connect();
    } catch (SessionException e) {
      return Optional.empty();
    }
    try (c) {
      c.send(Map.of("op", "end"));
      ControlChannel.Frame f = c.read();
      if (f == null) {
        return Optional.empty(); // died while tearing down: finish from the journal
      }
      JsonNode reply = f.json();
      if (!reply.has("report")) {
        result(reply);
      }
      TeardownReport report = TeardownReport.parse(reply.get("report").asText())
          .orElseThrow(() -> new IOException("the supervisor's teardown report is unreadable"));
      return Optional.of(new Ended(report, reply.path("cause").asText()));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** What an {@link #end} found: the teardown report and why the session ended. */
  public record Ended(TeardownReport report, String cause) {
    public boolean ttlExpired() {
      return cause.equals("ttl expired");
    }
  }

  private ControlChannel connect() {
    Path socket = SessionSupervisor.controlSocket(record.runtimeDir());
    try {
      SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
      try {
        ch.connect(UnixDomainSocketAddress.of(socket));
      } catch (IOException e) {
        ch.close();
        throw e;
      }
      return new ControlChannel(ch);
    } catch (IOException e) {
      throw new SessionException("the supervisor of session " + record.sessionId() + " is not running (" + socket + ": "
          + e.getMessage() + "); its gateway is gone. End the session with 'taskbound session end --session " + stateDir
          + "'", ExitCodes.SANDBOX, e);
    }
  }
}
