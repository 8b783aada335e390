package dev.taskbound.core.egress;

import java.util.List;
import java.util.Objects;

/**
 * Decides and records the requests the inspecting gateway reads on hosts marked for inspection
 * ({@code egress.inspect}). The gateway maps each request to named actions ({@link RequestActions});
 * the session answers with the policy's {@code gate.rules}. Called on gateway worker threads, possibly
 * many at once: implementations must be thread-safe.
 *
 * <p>Nothing is dropped: if {@link #onRequest} throws, the request is not relayed and the gateway
 * fails closed.
 */
public interface RequestGate {
  /** Allows every action and records nothing (tests of the relay alone). */
  RequestGate ALLOW_ALL = new RequestGate() {
    @Override
    public Verdict decide(RequestAction action) {
      return new Verdict(Verdict.Kind.ALLOW, "default", "no gate");
    }

    @Override
    public void onRequest(InspectedRequest request) {}
  };

  /**
   * One action a request would perform.
   *
   * @param name the action, e.g. {@code git.push}, {@code github.pr.merge}, {@code http.request}
   * @param target what it acts on, e.g. {@code refs/heads/main}; {@code ""} when nothing is named
   */
  record RequestAction(String name, String target) {
    public RequestAction {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(target, "target");
    }

    @Override
    public String toString() {
      return target.isEmpty() ? name : name + " " + target;
    }
  }

  /**
   * The request an action comes from, as a person asked to approve it is shown it and the approval
   * request is told apart by (docs/gate.md, "Approvals"): two different requests are never one
   * approval. Never a header value (but Content-Type and Content-Encoding, which say how the body is read), a
   * query value or a body: those only as digests.
   *
   * @param method the request method
   * @param host the canonical host
   * @param path the concrete path as sent, without its query
   * @param pathTemplate the path with its variable segments named, as {@link InspectedRequest} records it
   * @param querySha256 {@code sha256:<hex>} of the query, {@code ""} for none
   * @param bodySha256 {@code sha256:<hex>} of the (de-chunked) body when the gateway read it whole:
   *     to find the target (a JSON field, a GraphQL operation), and always for a request it holds for
   *     a person ({@link #holds}); {@code ""} when it did not read it
   * @param contentType the {@code Content-Type} as sent (escaped; several joined with {@code ", "}), {@code ""} for
   *     none: the same bytes are another request when a server would read them as another type
   * @param contentEncoding the {@code Content-Encoding} as sent (escaped; several joined with {@code ", "}),
   *     {@code ""} for none: the same bytes decode to another body under another encoding
   */
  record RequestLine(String method, String host, String path, String pathTemplate, String querySha256, String bodySha256,
      String contentType, String contentEncoding) {
    /** A request line without a {@code Content-Type} or {@code Content-Encoding}. */
    public RequestLine(String method, String host, String path, String pathTemplate, String querySha256, String bodySha256) {
      this(method, host, path, pathTemplate, querySha256, bodySha256, "", "");
    }

    public RequestLine {
      Objects.requireNonNull(contentType, "contentType");
      Objects.requireNonNull(contentEncoding, "contentEncoding");
      Objects.requireNonNull(method, "method");
      Objects.requireNonNull(host, "host");
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(pathTemplate, "pathTemplate");
      Objects.requireNonNull(querySha256, "querySha256");
      Objects.requireNonNull(bodySha256, "bodySha256");
    }

    /**
     * The fields an approval request carries: {@code method}, {@code host}, {@code path}, {@code path_template},
     * digests, {@code content_type}, {@code content_encoding}.
     */
    public java.util.Map<String, String> fields() {
      java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
      m.put("method", method);
      m.put("host", host);
      m.put("path", path);
      m.put("path_template", pathTemplate);
      if (!querySha256.isEmpty()) {
        m.put("query_sha256", querySha256);
      }
      if (!bodySha256.isEmpty()) {
        m.put("body_sha256", bodySha256);
      }
      if (!contentType.isEmpty()) {
        m.put("content_type", contentType);
      }
      if (!contentEncoding.isEmpty()) {
        m.put("content_encoding", contentEncoding);
      }
      return m;
    }
  }

  /**
   * What the gate decided about one action.
   *
   * @param kind allow, deny, or approval needed (which fails closed: a session settles approvals in
   *     {@link #decide} itself and answers allow or deny)
   * @param rule the deciding rule as the evidence names it ({@code git.push: deny}, {@code default})
   * @param reason one line for the agent's 403 and the evidence; never a secret
   */
  record Verdict(Kind kind, String rule, String reason) {
    /** The three outcomes. */
    public enum Kind { ALLOW, DENY, APPROVE }

    public Verdict {
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(rule, "rule");
      Objects.requireNonNull(reason, "reason");
    }

    public boolean allowed() {
      return kind == Kind.ALLOW;
    }
  }

  /**
   * One request read on an inspected connection, as the evidence records it: never a body, a
   * header value or a query value.
   *
   * @param method the request method
   * @param host the canonical host (the CONNECT target)
   * @param pathTemplate the path with its variable segments named ({@code /repos/{owner}/{repo}/pulls}),
   *     or the path without its query for a request no table entry names
   * @param actions the actions, each with its target
   * @param decision {@code allowed}, {@code denied} or {@code approval_required}
   * @param rule the rule that decided (the strictest, for several actions)
   * @param status the upstream's status code, or 0 when the request was not sent
   */
  record InspectedRequest(String method, String host, String pathTemplate, List<RequestAction> actions,
      String decision, String rule, int status) {
    public InspectedRequest {
      actions = List.copyOf(actions);
    }
  }

  /** Decides one action. */
  Verdict decide(RequestAction action);

  /**
   * Decides one action of {@code request}; a gate that asks a person must show and key the approval
   * by {@code request} too. By default as {@link #decide(RequestAction)}.
   */
  default Verdict decide(RequestAction action, RequestLine request) {
    return decide(action);
  }

  /**
   * Whether deciding {@code action} would hold the request for a person (an {@code approve} rule in
   * a session that takes approvals). The gateway then reads the body whole before asking, so that
   * the request carries its digest and two requests with different bodies are never one approval.
   * By default none is held.
   */
  default boolean holds(RequestAction action) {
    return false;
  }

  /**
   * As {@link #decide(RequestAction, RequestLine)}; a request held for a person is withdrawn once
   * {@code callerGone} says the agent's connection has closed (asked about once a second while it
   * waits, on the calling thread). By default {@code callerGone} is not asked.
   */
  default Verdict decide(RequestAction action, RequestLine request, java.util.function.BooleanSupplier callerGone) {
    return decide(action, request);
  }

  /**
   * Records one request, once it is decided (and, when sent, answered).
   *
   * @throws RuntimeException if it cannot be recorded; the gateway then fails closed
   */
  void onRequest(InspectedRequest request);
}
