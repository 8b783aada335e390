package dev.taskbound.core.session;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.Json;
import dev.taskbound.core.SafeText;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A person's side of a session's approvals ({@code taskbound approve|deny|approvals --session H}, a
 * Jenkins button): lists the waiting requests and answers one, through the session's approvals
 * socket. The session records who answered from the socket's peer credentials. Not thread-safe; one
 * request per connection.
 */
public final class ApprovalClient {
  private final Path stateDir;
  private final SessionRecord record;

  private ApprovalClient(Path stateDir, SessionRecord record) {
    this.stateDir = stateDir;
    this.record = record;
  }

  /** A request waiting for approval, as the session lists it (each field as text). */
  public record Waiting(Map<String, String> fields) {
    public Waiting {
      fields = Map.copyOf(fields);
    }

    public String id() {
      return fields.getOrDefault("request", "");
    }

    /**
     * {@code approval-1  git.push 'refs/heads/main'  (rule git.push: approve)  expires 2026-...}: one
     * line, every field escaped ({@link SafeText#whole}: control, C1, format and bidi characters become
     * visible escapes) and never cut, so the line shows exactly what an approval grants.
     */
    public String describe() {
      String target = fields.getOrDefault("target", "");
      return show("request") + "  " + show("action") + (target.isEmpty() ? "" : " '" + SafeText.whole(target) + "'")
          + requestLine(fields) + "  (rule " + show("rule") + ")  expires " + show("expires_at")
          + (fields.containsKey("tool_call") ? "  tool call " + show("tool_call") : "")
          + (joined() > 1 ? "  " + joined() + " identical requests wait: one answer releases all" : "");
    }

    /** How many callers wait for this request (identical requests join it); 1 if the session did not say. */
    public int joined() {
      try {
        return Integer.parseInt(fields.getOrDefault("callers", "1"));
      } catch (NumberFormatException e) {
        return 1;
      }
    }

    /**
     * {@code   request POST api.github.com/repos/acme/app/labels (template ..., body sha256:...)} for an
     * inspected request, escaped; {@code ""} for others.
     */
    public static String requestLine(Map<String, String> f) {
      if (!f.containsKey("method")) {
        return "";
      }
      return "  request " + SafeText.whole(f.get("method")) + " " + SafeText.whole(f.getOrDefault("host", ""))
          + SafeText.whole(f.getOrDefault("path", "")) + " (template " + SafeText.whole(f.getOrDefault("path_template", ""))
          + (f.containsKey("query_sha256") ? ", query " + SafeText.whole(f.get("query_sha256")) : "")
          + (f.containsKey("body_sha256") ? ", body " + SafeText.whole(f.get("body_sha256")) : "")
          + (f.containsKey("content_type") ? ", content type " + SafeText.whole(f.get("content_type")) : "")
          + (f.containsKey("content_encoding") ? ", content encoding " + SafeText.whole(f.get("content_encoding")) : "") + ")";
    }

    private String show(String field) {
      return SafeText.whole(fields.getOrDefault(field, ""));
    }

    /**
     * Every field as a person is shown it ({@link SafeText#whole}: escaped, never cut), sorted by
     * name: what a host that renders its own page (the Jenkins build page) shows, so no host shows
     * the raw text a target or reason holds.
     */
    public Map<String, String> shown() {
      Map<String, String> out = new java.util.TreeMap<>();
      fields.forEach((k, v) -> out.put(SafeText.whole(k), SafeText.whole(v)));
      return out;
    }

    /** {@link #shown} as one JSON object on one line ({@code taskbound approvals --json}). */
    public String json() {
      try {
        return Json.MAPPER.writeValueAsString(shown());
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalStateException("a map of strings is always JSON", e);
      }
    }
  }

  /** What the session recorded for an answer. */
  public record Answered(String request, String outcome, String who, String channel, String at) {}

  /**
   * The session with this handle (the state directory {@code taskbound run} or {@code session start} printed).
   *
   * @throws SessionException (125) if the path is not a running session's handle
   */
  public static ApprovalClient of(Path handle) {
    Path stateDir = handle.toAbsolutePath().normalize();
    Path file = stateDir.resolve("session.json");
    if (!Files.isRegularFile(file)) {
      throw new SessionException("--session: '" + handle + "' is not the handle of a running session (no session.json there);"
          + " accepted: the 'session:' path 'taskbound run' or 'taskbound session start' printed", ExitCodes.USAGE);
    }
    return new ApprovalClient(stateDir, SessionRecord.read(file));
  }

  /** The requests waiting now, oldest first. */
  public List<Waiting> pending() {
    JsonNode reply = call(Map.of("op", "list"));
    List<Waiting> out = new ArrayList<>();
    reply.path("pending").forEach(n -> {
      Map<String, String> m = new LinkedHashMap<>();
      n.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asText()));
      out.add(new Waiting(m));
    });
    return out;
  }

  /**
   * Grants or denies the waiting request {@code id}.
   *
   * @param channel how the person answered ({@code cli}, {@code jenkins})
   * @param onBehalfOf whom the caller acts for ({@code ""}: itself); recorded beside the peer user
   * @throws SessionException (125) if no such request waits, (121) if the session is not running
   */
  public Answered answer(String id, boolean grant, String reason, String channel, String onBehalfOf) {
    Map<String, Object> request = new LinkedHashMap<>();
    request.put("op", "answer");
    request.put("request", Objects.requireNonNull(id, "id"));
    request.put("grant", grant);
    request.put("reason", Objects.requireNonNull(reason, "reason"));
    request.put("channel", Objects.requireNonNull(channel, "channel"));
    request.put("on_behalf_of", Objects.requireNonNull(onBehalfOf, "onBehalfOf"));
    JsonNode r = call(request);
    return new Answered(r.path("request").asText(), r.path("outcome").asText(), r.path("who").asText(),
        r.path("channel").asText(), r.path("at").asText());
  }

  private JsonNode call(Map<String, ?> request) {
    Path socket = ApprovalSocket.path(record.runtimeDir());
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      try {
        ch.connect(UnixDomainSocketAddress.of(socket));
      } catch (IOException e) {
        throw new SessionException("session " + record.sessionId() + " takes no approvals now (" + socket + ": " + e.getMessage()
            + "); has it ended? Its state is in " + stateDir, ExitCodes.SANDBOX, e);
      }
      ControlChannel c = new ControlChannel(ch);
      c.send(request);
      ControlChannel.Frame f = c.read();
      if (f == null) {
        throw new SessionException("session " + record.sessionId() + " closed its approvals socket without answering",
            ExitCodes.SANDBOX);
      }
      JsonNode reply = f.json();
      if (reply.has("error")) {
        throw new SessionException(reply.path("error").asText(), reply.path("code").asInt(ExitCodes.USAGE));
      }
      return reply;
    } catch (IOException e) {
      throw new SessionException("lost the connection to session " + record.sessionId() + "'s approvals socket: "
          + e.getMessage(), ExitCodes.SANDBOX, e);
    }
  }
}
