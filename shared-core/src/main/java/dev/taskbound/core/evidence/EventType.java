package dev.taskbound.core.evidence;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Every event type a Taskbound session writes, in one place: {@link EvidenceLog} refuses any other
 * type (a programming error), and {@code docs/evidence.md} lists exactly these (a test compares the
 * two). Wire names are dot-separated labels of lower-case letters, digits and underscores.
 *
 * <p>Readers still accept types they do not know: a bundle written by a newer version may hold
 * some.
 */
public enum EventType {
  SESSION_OPENED("session.opened", "the session exists: task, identity, policy digest, sandbox backend, TTL"),
  SESSION_OPEN_FAILED("session.open_failed", "opening the session failed; what was created is torn down"),
  POLICY_ORG_CEILING(
      "policy.org_ceiling",
      "the org ceiling read from GitHub: source, commit SHA, SHA-256 digest, the revoked read token's fingerprint; or that none applied"),
  IDENTITY_MINTED("identity.minted", "the task identity (JWT-SVID) was minted; its fingerprint, never the token"),
  GATEWAY_STARTED("gateway.started", "the egress gateway listens on its Unix socket"),
  GATEWAY_SANDBOX_PORT_TAKEN("gateway.sandbox_port_taken", "the gateway serves the sandbox's proxy port itself (one hop)"),
  GATEWAY_SANDBOX_PORT_FORWARDED(
      "gateway.sandbox_port_forwarded", "the sandbox relays each connection to the gateway's socket (two hops)"),
  AGENT_API_STARTED("agent_api.started", "the agent API listens (on-request secrets, token refresh)"),
  CREDENTIAL_ISSUED("credential.issued", "a broker issued a credential: name, kind, fingerprint, expiry, scope"),
  CREDENTIALS_EXPOSED("credentials.exposed", "which variables, files and on-request secrets the agent gets (names only)"),
  REGISTRIES_CONFIGURED("registries.configured", "the package registries' client configuration was written"),
  SANDBOX_PREPARED("sandbox.prepared", "the sandbox is about to start: backend and gateway socket (written before it starts)"),
  SANDBOX_STARTED(
      "sandbox.started", "the sandbox's confinement: the agent's uid/gid, namespaces, capabilities, filesystem view"),
  AGENT_STARTED("agent.started", "the agent's command is being started (written before it starts, masked)"),
  AGENT_RUNNING("agent.running", "the agent's process exists: its pid"),
  AGENT_START_FAILED("agent.start_failed", "the sandbox could not start the agent"),
  AGENT_EXITED("agent.exited", "the agent's process ended: exit code, duration, what stopped it"),
  SESSION_TTL_EXPIRED("session.ttl_expired", "the TTL expired; the agent is being stopped"),
  SESSION_SIGNAL("session.signal", "Taskbound received a signal; the agent is being stopped"),
  EGRESS_ALLOWED("egress.allowed", "a request matched an allow rule and was dialled (or could not be reached)"),
  EGRESS_DENIED("egress.denied", "a request matched no allow rule, or a deny rule"),
  EGRESS_DENIED_ADDRESS(
      "egress.denied.address", "an allowed name resolved only to addresses the address guard refuses (e.g. loopback, metadata)"),
  EGRESS_DENIED_SNI_MISMATCH(
      "egress.denied.sni_mismatch", "a TLS tunnel's ClientHello named another host than its CONNECT (or was not TLS); closed"),
  EGRESS_DENIED_HOST_MISMATCH("egress.denied.host_mismatch", "a plain HTTP request's Host header differs from its target; 400"),
  EGRESS_DENIED_SMUGGLING("egress.denied.smuggling", "a request's framing is ambiguous (request smuggling); 400"),
  EGRESS_DENIED_MALFORMED(
      "egress.denied.malformed", "a request head held a control character or a target that is not printable ASCII; 400"),
  EGRESS_LIMIT_HEADER_SIZE("egress.limit.header_size", "a request head exceeded the gateway's size limit; 431"),
  EGRESS_LIMIT_HEADER_TIMEOUT("egress.limit.header_timeout", "a request head did not arrive in time; 408"),
  EGRESS_LIMIT_CONNECTIONS("egress.limit.connections", "the gateway's connection limit was reached; 503"),
  EGRESS_LIMIT_IDLE("egress.limit.idle", "a relayed connection was idle too long and was closed"),
  EGRESS_DENIED_CREDENTIAL_MISUSE("egress.denied.credential_misuse",
      "on an inspected host: a credential placeholder sent to a host it is not bound to, or a credential the gateway did not inject; 403, nothing sent"),
  EGRESS_UPSTREAM_TLS("egress.upstream_tls", "on an inspected host: the upstream's TLS failed verification; 502, nothing sent"),
  EGRESS_REQUEST("egress.request",
      "on an inspected host: one request with its method, host, path template, actions, decision and rule (never a body)"),
  EGRESS_INSPECTION_STARTED("egress.inspection.started", "the gateway inspects these hosts with a per-session CA (its certificate's fingerprint)"),
  EGRESS_GATEWAY_FAILED("egress.gateway.failed", "the gateway stopped serving; the agent is cut off and stopped"),
  GATE_DECIDED("gate.decided", "the runtime gate decided an agent action: the action, the decision and the rule (or default)"),
  CONVERSATION_STARTED("conversation.started", "the agent's hooks report a conversation started (Claude Code's SessionStart)"),
  PROMPT_SUBMITTED("prompt.submitted", "a prompt was submitted to the agent: its id, length and text or hash (gate.prompts)"),
  TOOL_CALLED("tool.called", "the agent is about to call a tool: the call's id, the tool, its input summarised, the prompt it answers"),
  TOOL_RESULT("tool.result", "a tool call ended: its id, the tool, ok or error, the prompt it answers"),
  CONVERSATION_STOPPED("conversation.stopped", "the agent's hooks report the agent finished its answer (Claude Code's Stop)"),
  HOOK_BUDGET_EXHAUSTED("hook.budget_exhausted",
      "the session's cap on hook events was reached: later hook events and gate checks are refused (429), so tool calls block"),
  APPROVAL_REQUESTED("approval.requested", "an approve decision waits for a person: request id, action, target, reason, rule, what led to it"),
  APPROVAL_GRANTED("approval.granted", "a person approved a waiting request: id, who, when, channel, reason"),
  APPROVAL_DENIED("approval.denied", "a person (or the host's rule) refused a waiting request: id, who, when, channel, reason"),
  APPROVAL_EXPIRED("approval.expired", "nobody answered a waiting request within gate.approval.timeout; it was denied"),
  APPROVAL_WITHDRAWN("approval.withdrawn", "every caller of a waiting request went away (disconnected) before anyone answered; dropped"),
  SECRET_ACCESSED("secret.accessed", "an on-request secret was handed to the agent: name, fingerprint"),
  SECRET_DENIED("secret.denied", "an on-request secret was refused: unknown name, denied or awaiting approval"),
  SECRET_FAILED("secret.failed", "an on-request secret could not be served: the provider failed"),
  CREDENTIAL_REFRESHED("credential.refreshed", "the agent got a fresh GitHub token: its fingerprint"),
  CREDENTIAL_REFRESH_DENIED("credential.refresh_denied", "a GitHub token refresh was refused: none to refresh, denied or awaiting approval"),
  CREDENTIAL_REFRESH_FAILED("credential.refresh_failed", "a GitHub token refresh, or the old token's revocation, failed"),
  AGENT_API_UNAUTHENTICATED("agent_api.unauthenticated", "a request to the agent API lacked this session's capability; 401"),
  TEARDOWN_STEP("teardown.step", "one teardown step ran (or is scheduled to run after sealing): step, outcome, attempts, error"),
  TEARDOWN_RESUMED("teardown.resumed", "a teardown retried after the bundle was sealed continues the chain"),
  TEARDOWN_COMPLETED("teardown.completed", "the end of a retried teardown, sealed into an addendum"),
  EVIDENCE_REKEYED(
      "evidence.rekeyed",
      "a recovery seals with a new key (the session's key was lost with its process): old kid, new key, chain head"),
  SESSION_CLOSED("session.closed", "the last event before the seal: exit code, reason, whether teardown succeeded");

  private static final Pattern WIRE = Pattern.compile("[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*");
  private static final Map<String, EventType> BY_WIRE_NAME =
      Arrays.stream(values()).collect(Collectors.toUnmodifiableMap(EventType::wireName, Function.identity()));

  static {
    for (EventType t : values()) {
      if (!WIRE.matcher(t.wireName).matches()) {
        throw new ExceptionInInitializerError("event type '" + t.wireName + "' is not dot-separated lower-case labels");
      }
    }
  }

  private final String wireName;
  private final String description;

  EventType(String wireName, String description) {
    this.wireName = wireName;
    this.description = description;
  }

  /** The type as written in {@code events.jsonl}, e.g. {@code egress.denied.address}. */
  public String wireName() {
    return wireName;
  }

  /** One line saying what the event records. */
  public String description() {
    return description;
  }

  /** The type with this wire name; empty for a type this version does not write. */
  public static Optional<EventType> fromWireName(String wireName) {
    return Optional.ofNullable(BY_WIRE_NAME.get(wireName));
  }

  @Override
  public String toString() {
    return wireName;
  }
}
