package dev.taskbound.core.session;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.egress.InjectedCredentials;
import dev.taskbound.core.egress.Inspection;
import dev.taskbound.core.egress.RequestGate;
import dev.taskbound.core.egress.SessionCa;
import dev.taskbound.core.egress.TrustFiles;
import dev.taskbound.core.evidence.EventType;
import dev.taskbound.core.gate.ActionRules;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The session's side of {@code egress.inspect} (issue 15): makes the per-session CA (its key stays
 * in the gateway's memory), writes what the sandbox needs to trust it (the CA certificate, a
 * bundle of the system's CAs plus it, a JVM trust store, all public) to {@code <runtime>/inspect},
 * decides each inspected request with the gate's {@link ActionRules}, and records it. The directory
 * goes with the session's runtime directory.
 */
final class SessionInspection implements RequestGate {
  private volatile dev.taskbound.core.gate.ApprovalBroker approvals;
  private final Inspection inspection;
  private final InjectedCredentials credentials;
  private final TrustFiles trust;
  private final ActionRules rules;
  private final BiConsumer<String, Map<String, ?>> events;

  private SessionInspection(Inspection inspection, InjectedCredentials credentials, TrustFiles trust, ActionRules rules,
      BiConsumer<String, Map<String, ?>> events) {
    this.inspection = inspection;
    this.credentials = credentials;
    this.trust = trust;
    this.rules = rules;
    this.events = events;
  }

  /**
   * Makes the CA and writes the trust files.
   *
   * @param upstreamTrust the host's PEM file of upstream CAs, for tests; empty for the system's
   * @throws SessionException (exit 121) if the files cannot be written or the PEM file not read
   */
  static SessionInspection start(List<String> hosts, String sessionId, Clock clock, Path dir,
      Optional<Path> upstreamTrust, ActionRules rules, BiConsumer<String, Map<String, ?>> events) {
    SessionCa ca = SessionCa.generate(sessionId, clock);
    InjectedCredentials credentials = InjectedCredentials.create();
    try {
      TrustFiles trust = TrustFiles.write(ca, dir);
      Optional<KeyStore> upstream = upstreamTrust.isPresent() ? Optional.of(readPem(upstreamTrust.get())) : Optional.empty();
      SessionInspection[] self = new SessionInspection[1];
      RequestGate gate = new RequestGate() {
        @Override
        public Verdict decide(RequestAction action) {
          return self[0].decide(action);
        }

        @Override
        public Verdict decide(RequestAction action, RequestLine request) {
          return self[0].decide(action, request);
        }

        @Override
        public Verdict decide(RequestAction action, RequestLine request, java.util.function.BooleanSupplier callerGone) {
          return self[0].decide(action, request, callerGone);
        }

        @Override
        public boolean holds(RequestAction action) {
          return self[0].holds(action);
        }

        @Override
        public void onRequest(InspectedRequest request) {
          self[0].onRequest(request);
        }
      };
      Inspection inspection = Inspection.of(Set.copyOf(hosts), ca, upstream, credentials, gate);
      self[0] = new SessionInspection(inspection, credentials, trust, rules, events);
      Map<String, Object> data = new LinkedHashMap<>();
      data.put("hosts", List.copyOf(inspection.hosts()));
      data.put("ca_fingerprint", fingerprint(ca.certificate()));
      data.put("ca_file", dir.resolve("ca.pem").toString());
      data.put("upstream_trust", upstreamTrust.map(p -> "host file " + p).orElse("system"));
      events.accept(EventType.EGRESS_INSPECTION_STARTED.wireName(), data);
      return self[0];
    } catch (IOException | GeneralSecurityException e) {
      ca.close();
      throw new SessionException("cannot set up inspection in " + dir + ": " + e.getMessage(), ExitCodes.SANDBOX, e);
    }
  }

  /** What the gateway is given. */
  Inspection inspection() {
    return inspection;
  }

  /** Where the session binds credentials to inspected hosts. */
  InjectedCredentials credentials() {
    return credentials;
  }

  /** The directory the sandbox must see (read-only). */
  Path dir() {
    return trust.dir();
  }

  /**
   * The combined bundle bound read-only over the distribution's own bundle path inside the sandbox
   * (sandbox path to host file), so a client that ignores the CA variables and reads the system's
   * trust trusts the session CA too. Nothing when the host's bundle path is missing or a symbolic
   * link (a mount would follow it).
   */
  Map<Path, Path> placed() {
    Optional<Path> system = TrustFiles.SYSTEM_BUNDLES.stream().filter(Files::isRegularFile).findFirst();
    if (system.isEmpty() || !Files.isRegularFile(system.get(), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return Map.of();
    }
    return Map.of(system.get(), trust.bundle());
  }

  /** The variables that point the agent's clients at the trust files ({@link TrustFiles#environment()}). */
  Map<String, String> agentEnvironment() {
    return trust.environment();
  }

  /** Issue 16: lets {@code approve} verdicts wait for a person on {@code broker} (null: refused). */
  void approvals(dev.taskbound.core.gate.ApprovalBroker broker) {
    this.approvals = broker;
  }

  /** Without the request it comes from, an action that needs approval is refused: a person must see what is released. */
  @Override
  public Verdict decide(RequestAction action) {
    return decide(action, null);
  }

  /**
   * Decides {@code action}; one that needs approval waits as a request that names {@code request}
   * (method, host, concrete path, template, digests), so two different requests are never one approval.
   */
  @Override
  public Verdict decide(RequestAction action, RequestLine request) {
    return decide(action, request, () -> false);
  }

  /** An action an {@code approve} rule decides, in a session that takes approvals, waits for a person. */
  @Override
  public boolean holds(RequestAction action) {
    return approvals != null
        && rules.decide(action.name(), action.target()).decision() == dev.taskbound.core.policy.GateDecision.APPROVE;
  }

  /** As above; the request waiting for a person is withdrawn once {@code callerGone} says the agent has gone. */
  @Override
  public Verdict decide(RequestAction action, RequestLine request, java.util.function.BooleanSupplier callerGone) {
    ActionRules.Outcome o = rules.decide(action.name(), action.target());
    if (o.decision() == dev.taskbound.core.policy.GateDecision.APPROVE && approvals != null && request == null) {
      return new Verdict(Verdict.Kind.DENY, o.rule(), o.reason() + "; the request it comes from is unknown, so it is refused");
    }
    if (o.decision() == dev.taskbound.core.policy.GateDecision.APPROVE && approvals != null) {
      Map<String, String> links = new LinkedHashMap<>();
      links.put("source", "egress.request");
      links.putAll(request.fields());
      ApprovalGate.Settled settled = ApprovalGate.settle(approvals, action.name(), action.target(), o.rule(), o.reason(),
          links, callerGone);
      return new Verdict(settled.granted() ? Verdict.Kind.ALLOW : Verdict.Kind.DENY, o.rule(), settled.line());
    }
    Verdict.Kind kind = switch (o.decision()) {
      case ALLOW -> Verdict.Kind.ALLOW;
      case DENY -> Verdict.Kind.DENY;
      case APPROVE -> Verdict.Kind.APPROVE;
    };
    return new Verdict(kind, o.rule(), o.reason());
  }

  @Override
  public void onRequest(InspectedRequest request) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("method", request.method());
    data.put("host", request.host());
    data.put("path", request.pathTemplate());
    data.put("actions", request.actions().stream().map(a -> {
      Map<String, String> m = new LinkedHashMap<>();
      m.put("name", a.name());
      m.put("target", a.target());
      return m;
    }).toList());
    data.put("decision", request.decision());
    data.put("rule", request.rule());
    data.put("status", request.status());
    events.accept(EventType.EGRESS_REQUEST.wireName(), data);
  }

  private static KeyStore readPem(Path pem) throws IOException, GeneralSecurityException {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    try (InputStream in = Files.newInputStream(pem)) {
      int i = 0;
      for (var cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        ks.setCertificateEntry("upstream-" + i++, cert);
      }
      if (i == 0) {
        throw new IOException(pem + " holds no PEM certificate; accepted: a PEM file of CA certificates");
      }
    }
    return ks;
  }

  static String fingerprint(X509Certificate cert) throws GeneralSecurityException {
    return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
  }
}
