package dev.taskbound.core.sandbox;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The one exchange between the launcher and {@link SandboxInit} over a private Unix socket: the
 * launcher sends what to run (the environment may hold credentials, so it never goes on a command
 * line or into a file); init answers once the forwarder listens and the agent has been started.
 */
final class InitProtocol {
  private static final int VERSION = 4;
  private static final int MAX_STRING = 1 << 20;
  private static final int MAX_ITEMS = 100_000;

  /**
   * What to run.
   *
   * @param handoffSocket where to send the listening socket ({@link ListenerHandoff}); empty, or
   *     when the hand-off fails: run the forwarder to {@code gatewaySocket} instead
   */
  record Request(
      List<String> command,
      Path workDir,
      Map<String, String> environment,
      Path gatewaySocket,
      boolean waitForAll,
      Optional<Path> handoffSocket) {}

  /**
   * Init's answer.
   *
   * @param port the forwarder's port
   * @param agentPid the agent's pid inside the sandbox, or -1 when it could not be executed
   * @param init the init itself, for the launcher to find it from the host ({@link InitIdentity})
   */
  record Reply(int port, long agentPid, InitIdentity init) {}

  private InitProtocol() {}

  static void write(DataOutputStream out, Request r) throws IOException {
    out.writeInt(VERSION);
    out.writeInt(r.command().size());
    for (String s : r.command()) {
      writeString(out, s);
    }
    writeString(out, r.workDir().toString());
    out.writeInt(r.environment().size());
    for (Map.Entry<String, String> e : r.environment().entrySet()) {
      writeString(out, e.getKey());
      writeString(out, e.getValue());
    }
    writeString(out, r.gatewaySocket().toString());
    out.writeBoolean(r.waitForAll());
    writeString(out, r.handoffSocket().map(Path::toString).orElse(""));
    out.flush();
  }

  static Request readRequest(DataInputStream in) throws IOException {
    int version = in.readInt();
    if (version != VERSION) {
      throw new IOException("protocol version " + version + ", expected " + VERSION);
    }
    int n = count(in);
    List<String> command = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      command.add(readString(in));
    }
    Path workDir = Path.of(readString(in));
    int m = count(in);
    Map<String, String> env = new LinkedHashMap<>();
    for (int i = 0; i < m; i++) {
      env.put(readString(in), readString(in));
    }
    Path gatewaySocket = Path.of(readString(in));
    boolean waitForAll = in.readBoolean();
    String handoff = readString(in);
    return new Request(command, workDir, env, gatewaySocket, waitForAll, handoff.isEmpty() ? Optional.empty() : Optional.of(Path.of(handoff)));
  }

  static void write(DataOutputStream out, Reply r) throws IOException {
    out.writeInt(r.port());
    out.writeLong(r.agentPid());
    out.writeLong(r.init().pid());
    out.writeLong(r.init().startTicks());
    out.flush();
  }

  static Reply readReply(DataInputStream in) throws IOException {
    int port = in.readInt();
    long agentPid = in.readLong();
    return new Reply(port, agentPid, new InitIdentity(in.readLong(), in.readLong()));
  }

  private static int count(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > MAX_ITEMS) {
      throw new IOException("bad item count " + n);
    }
    return n;
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static String readString(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > MAX_STRING) {
      throw new IOException("bad string length " + n);
    }
    return new String(in.readNBytes(n), StandardCharsets.UTF_8);
  }
}
