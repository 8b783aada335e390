package dev.taskbound.core.session;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.TaskboundException;
import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

/**
 * The small process that owns an open multi-command session ({@code taskbound session start}): it
 * holds the gateway, the evidence log and the TTL, and serves its callers on a Unix socket,
 * {@code control.sock} in the session's runtime directory (0700, this user's; the sandbox hides the
 * whole runtime root and binds back only the gateway's socket). Each connection is checked to come
 * from this user or root ({@code SO_PEERCRED}).
 *
 * <p>Requests, one per connection: {@code exec} runs one command ({@link Session#exec}) and streams
 * its masked output back, then its exit status; {@code end} stops the commands, tears the session
 * down and answers with the teardown report. {@link #awaitEnd} returns after an {@code end}, the
 * TTL's expiry or {@link #requestEnd}, with the session torn down.
 */
public final class SessionSupervisor implements AutoCloseable {
  private final Session session;
  private final ServerSocketChannel server;
  private final Path socket;
  private final CountDownLatch ended = new CountDownLatch(1);
  private final List<ControlChannel> enders = new ArrayList<>();
  private volatile String endCause;
  private final NoticeFanout notices;
  /** Exec requests whose reply is not sent yet: the supervisor waits for them before it exits. */
  private int replying;

  private SessionSupervisor(Session session, ServerSocketChannel server, Path socket, NoticeFanout notices) {
    this.session = session;
    this.server = server;
    this.socket = socket;
    this.notices = notices;
  }

  /** Where the supervisor of the session with this runtime directory listens. */
  public static Path controlSocket(Path runtimeDir) {
    return runtimeDir.resolve("control.sock");
  }

  /**
   * Listens on the session's control socket and starts its TTL. Returns once the socket accepts
   * connections.
   *
   * @throws SessionException (exit 121) if the socket cannot be made
   */
  public static SessionSupervisor serve(Session session) {
    return serve(session, null);
  }

  /**
   * As {@link #serve(Session)}, copying the session's live notices ({@code notices}, the session's
   * {@code denialNotices} writer) to the standard error of each command while it runs.
   */
  public static SessionSupervisor serve(Session session, NoticeFanout notices) {
    Path socket = controlSocket(session.record().runtimeDir());
    ServerSocketChannel server = OwnerSocket.listen(socket, "control");
    SessionSupervisor supervisor = new SessionSupervisor(session, server, socket, notices);
    OwnerSocket.acceptEach(server, "taskbound-control", supervisor::handle);
    session.startTtl(() -> supervisor.requestEnd("ttl expired"));
    return supervisor;
  }

  /** Ends the session as an {@code end} request does (a signal to the supervisor, the TTL). */
  public void requestEnd(String cause) {
    synchronized (this) {
      if (endCause == null) {
        endCause = cause;
      }
    }
    ended.countDown();
  }

  /**
   * Waits for the end (a request, the TTL, {@link #requestEnd}), stops every running command, tears
   * the session down, answers the {@code end} requests with the report and stops listening.
   */
  public TeardownReport awaitEnd() throws InterruptedException {
    ended.await();
    session.endCommands(endCause);
    TeardownReport report = session.teardown();
    List<ControlChannel> waiting;
    synchronized (this) {
      waiting = List.copyOf(enders);
    }
    for (ControlChannel c : waiting) {
      try {
        c.send(Map.of("report", report.toJson(), "cause", endCause));
      } catch (IOException e) {
        // that caller went away; the report is next to the bundle
      } finally {
        c.close();
      }
    }
    awaitReplies(java.time.Duration.ofSeconds(30));
    close();
    return report;
  }

  /**
   * Waits (bounded) until every exec stopped by the end has sent its exit status, so that a caller
   * gets its 124 or 143 rather than a reset connection when this process exits right after.
   */
  private void awaitReplies(java.time.Duration bound) throws InterruptedException {
    long deadline = System.nanoTime() + bound.toNanos();
    synchronized (this) {
      while (replying > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return;
        }
        wait(java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(left) + 1);
      }
    }
  }

  private void handle(ControlChannel c) {
    boolean keep = false;
    try {
      if (!trusted(c.channel())) {
        c.send(Map.of("error", "refused: only the session's own user or root may use its control socket", "code",
            ExitCodes.USAGE));
        return;
      }
      ControlChannel.Frame request = c.read();
      if (request == null) {
        return;
      }
      JsonNode r = request.json();
      switch (r.path("op").asText()) {
        case "exec" -> exec(c, r);
        case "end" -> {
          synchronized (this) {
            enders.add(c);
          }
          keep = true; // answered by awaitEnd
          requestEnd("session end requested");
        }
        default -> c.send(Map.of("error", "unknown request '" + r.path("op").asText() + "'", "code", ExitCodes.USAGE));
      }
    } catch (IOException | RuntimeException e) {
      // the caller went away or sent garbage; a running command was stopped by its own future
    } finally {
      if (!keep) {
        c.close();
      }
    }
  }

  private boolean trusted(SocketChannel ch) {
    return OwnerSocket.peerUser(ch).filter(OwnerSocket::ownOrRoot).isPresent();
  }

  private void exec(ControlChannel c, JsonNode r) throws IOException {
    synchronized (this) {
      replying++;
    }
    try {
      execAndReply(c, r);
    } finally {
      synchronized (this) {
        replying--;
        notifyAll();
      }
    }
  }

  private void execAndReply(ControlChannel c, JsonNode r) throws IOException {
    List<String> command = new ArrayList<>();
    r.path("command").forEach(a -> command.add(a.asText()));
    Map<String, String> env = new LinkedHashMap<>();
    r.path("env").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
    List<Path> readWrite = new ArrayList<>();
    r.path("read_write").forEach(p -> readWrite.add(Path.of(p.asText())));
    List<Path> readOnly = new ArrayList<>();
    r.path("read_only").forEach(p -> readOnly.add(Path.of(p.asText())));
    CompletableFuture<Void> abandoned = new CompletableFuture<>();
    Thread watcher = new Thread(() -> {
      try {
        while (c.read() != null) {
          // nothing else is expected from the caller
        }
      } catch (IOException e) {
        // gone
      }
      abandoned.complete(null);
    }, "taskbound-control-watch");
    watcher.setDaemon(true);
    Map<String, Object> reply = new LinkedHashMap<>();
    java.io.OutputStream stderr = c.stream(ControlChannel.STDERR);
    try {
      SessionExec exec = new SessionExec(command, Path.of(r.path("workdir").asText()), env,
          r.path("wait_all").asBoolean(false), readWrite, readOnly, c.stream(ControlChannel.STDOUT), stderr, abandoned);
      watcher.start();
      if (notices != null) {
        notices.attach(stderr);
      }
      reply.put("exit", session.exec(exec));
    } catch (TaskboundException e) {
      reply.put("error", session.masker().mask(e.getMessage()));
      reply.put("code", e.exitCode());
    } catch (IllegalArgumentException e) {
      reply.put("error", "bad exec request: " + e.getMessage());
      reply.put("code", ExitCodes.USAGE);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      reply.put("error", "the supervisor was interrupted");
      reply.put("code", ExitCodes.SANDBOX);
    } finally {
      if (notices != null) {
        notices.detach(stderr);
      }
    }
    c.send(reply);
  }

  /** Stops listening and removes the socket; the session itself is torn down by {@link #awaitEnd}. */
  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
    try {
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      // the runtime directory goes with the teardown
    }
  }

  @Override
  public String toString() {
    return "SessionSupervisor[" + Objects.toString(socket) + "]";
  }
}
