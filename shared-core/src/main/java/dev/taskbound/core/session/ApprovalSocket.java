package dev.taskbound.core.session;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.gate.ApprovalBroker;
import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The session's approval channel for people (docs/gate.md, "Approvals"): a Unix socket,
 * {@code approvals.sock} in the session's runtime directory (0700, the session user's; the sandbox
 * hides the whole runtime root), mode 0600, each connection checked with {@code SO_PEERCRED} to come
 * from the session's own user or root. That peer is who answers: the client cannot claim another
 * user, only add whom it acts for ({@code on_behalf_of}, a Jenkins user behind the controller).
 * The agent API serves no approvals, so the agent cannot answer its own requests.
 *
 * <p>Requests, one JSON frame per connection ({@link ControlChannel}): {@code {"op":"list"}} and
 * {@code {"op":"answer","request":"approval-1","grant":true,"reason":"...","channel":"cli"}}.
 */
final class ApprovalSocket implements AutoCloseable {
  static final String NAME = "approvals.sock";

  private final ServerSocketChannel server;
  private final Path socket;
  private final ApprovalBroker broker;
  private final String owner = System.getProperty("user.name");
  private final UnaryOperator<String> mask;

  private ApprovalSocket(ServerSocketChannel server, Path socket, ApprovalBroker broker, UnaryOperator<String> mask) {
    this.server = server;
    this.socket = socket;
    this.broker = broker;
    this.mask = mask;
  }

  /** Where the session with this runtime directory takes approvals. */
  static Path path(Path runtimeDir) {
    return runtimeDir.resolve(NAME);
  }

  /**
   * Listens on {@code approvals.sock} in {@code runtimeDir}.
   *
   * @throws SessionException (exit 121) if the socket cannot be made
   */
  static ApprovalSocket serve(Path runtimeDir, ApprovalBroker broker, UnaryOperator<String> mask) {
    Path socket = path(runtimeDir);
    ServerSocketChannel server = OwnerSocket.listen(socket, "approvals");
    ApprovalSocket s = new ApprovalSocket(server, socket, broker, mask);
    OwnerSocket.acceptEach(server, "taskbound-approvals", s::handle);
    return s;
  }

  private void handle(ControlChannel c) {
    try (c) {
      Optional<String> peer = OwnerSocket.peerUser(c.channel());
      if (peer.isEmpty() || !OwnerSocket.ownOrRoot(peer.get())) {
        c.send(Map.of("error", "refused: only the session's own user (" + owner + ", uid " + OwnerSocket.effectiveUid()
            + ") or root may answer its approvals",
            "code", ExitCodes.USAGE));
        return;
      }
      ControlChannel.Frame f = c.read();
      if (f == null) {
        return;
      }
      JsonNode r = f.json();
      switch (r.path("op").asText()) {
        case "list" -> c.send(Map.of("pending", listing()));
        case "answer" -> c.send(answer(r, peer.get()));
        default -> c.send(Map.of("error", "unknown request '" + ascii(r.path("op").asText()) + "'; accepted: list, answer",
            "code", ExitCodes.USAGE));
      }
    } catch (IOException | RuntimeException e) {
      // the caller went away or sent garbage; nothing was answered
    }
  }

  private List<Map<String, Object>> listing() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (ApprovalBroker.Pending p : broker.pending()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("request", p.id());
      m.put("action", p.request().action());
      m.put("target", p.request().target());
      m.put("rule", p.request().rule());
      m.put("reason", p.request().reason());
      m.put("requested_at", p.requestedAt().toString());
      m.put("expires_at", p.expiresAt().toString());
      m.put("callers", Integer.toString(broker.callersOf(p.id())));
      m.putAll(p.request().links());
      out.add(m);
    }
    return out;
  }

  private Map<String, Object> answer(JsonNode r, String peer) {
    String id = ascii(r.path("request").asText(""));
    String channel = r.path("channel").asText("cli");
    if (!channel.matches("[a-z][a-z0-9-]{0,31}")) {
      return Map.of("error", "channel '" + ascii(channel) + "' is not accepted; accepted: lower-case letters, digits, '-'",
          "code", ExitCodes.USAGE);
    }
    String behalf = ascii(r.path("on_behalf_of").asText(""));
    String who = behalf.isEmpty() || behalf.equals(peer) ? peer : behalf + " (via " + peer + ")";
    String reason = mask.apply(ascii(r.path("reason").asText("")));
    Optional<ApprovalBroker.Answer> a = broker.answer(id, r.path("grant").asBoolean(false), who, channel, reason);
    if (a.isEmpty()) {
      List<String> ids = broker.pending().stream().map(ApprovalBroker.Pending::id).toList();
      return Map.of("error", "no request '" + id + "' waits for approval (unknown, answered or expired); waiting: "
          + (ids.isEmpty() ? "none" : String.join(", ", ids)), "code", ExitCodes.USAGE);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("request", a.get().id());
    out.put("outcome", a.get().outcome().name().toLowerCase(java.util.Locale.ROOT));
    out.put("who", a.get().who());
    out.put("channel", a.get().channel());
    out.put("at", a.get().at().toString());
    return out;
  }

  /** Text from the caller: printable ASCII, at most 300 characters. */
  private static String ascii(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && b.length() < 300; i++) {
      char c = s.charAt(i);
      b.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return b.toString();
  }

  /** Stops listening and removes the socket. Idempotent. */
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
}
