package dev.taskbound.core.egress;

import java.security.KeyStore;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the gateway does for the hosts a policy marks for inspection ({@code egress.inspect}):
 * terminates the agent's TLS with the session's CA, verifies the upstream's TLS fully (hostname,
 * TLS 1.2 or later, the system trust store unless the host configures another), injects the
 * credentials the agent holds only placeholders for, and has every request decided by the
 * {@link RequestGate}. Every other host stays an opaque tunnel. Immutable.
 */
public final class Inspection {
  /** No host is inspected: every tunnel is opaque. */
  public static final Inspection NONE = new Inspection(Set.of(), null, Optional.empty(), InjectedCredentials.NONE,
      RequestGate.ALLOW_ALL);

  private final Set<String> hosts;
  private final Optional<GithubApiPaths> githubEnterprise;
  private final SessionCa ca;
  private final Optional<KeyStore> upstreamTrust;
  private final InjectedCredentials credentials;
  private final RequestGate gate;
  /** Made on first use; a benign race makes at most a few. */
  private volatile javax.net.ssl.SSLContext upstreamContext;

  private Inspection(Set<String> hosts, SessionCa ca, Optional<KeyStore> upstreamTrust,
      InjectedCredentials credentials, RequestGate gate) {
    this(hosts, Optional.empty(), ca, upstreamTrust, credentials, gate);
  }

  private Inspection(Set<String> hosts, Optional<GithubApiPaths> githubEnterprise, SessionCa ca,
      Optional<KeyStore> upstreamTrust, InjectedCredentials credentials, RequestGate gate) {
    this.hosts = Set.copyOf(hosts);
    this.githubEnterprise = githubEnterprise;
    this.ca = ca;
    this.upstreamTrust = upstreamTrust;
    this.credentials = credentials;
    this.gate = gate;
  }

  /**
   * Inspection of {@code hosts} (canonical names) with the session's CA.
   *
   * @param upstreamTrust the trust store upstream certificates are verified against; empty for the
   *     JDK's default (the system's). A host setting for tests with a local upstream, never a policy
   *     field.
   * @throws EgressRuleException if a host is not a valid host name
   */
  public static Inspection of(Set<String> hosts, SessionCa ca, Optional<KeyStore> upstreamTrust,
      InjectedCredentials credentials, RequestGate gate) {
    Objects.requireNonNull(ca, "ca");
    Objects.requireNonNull(upstreamTrust, "upstreamTrust");
    Objects.requireNonNull(credentials, "credentials");
    Objects.requireNonNull(gate, "gate");
    Set<String> canonical = new TreeSet<>();
    for (String h : hosts) {
      canonical.add(RuleSet.canonicalHost(h));
    }
    return new Inspection(canonical, ca, upstreamTrust, credentials, gate);
  }

  /**
   * This inspection, knowing the GitHub API the session's token is for: when {@code apiUrl} names a
   * GitHub Enterprise Server host ({@code https://ghe.example/api/v3}), the action table's entries for
   * {@code api.github.com} and {@code uploads.github.com} apply to that host's {@code /api/v3},
   * {@code /api/graphql} and {@code /api/uploads} paths (when it is inspected). github.com's own API
   * URL changes nothing.
   *
   * @throws EgressRuleException if the URL's host is not a valid host name
   */
  public Inspection withGithubApi(java.net.URI apiUrl) {
    Objects.requireNonNull(apiUrl, "apiUrl");
    return new Inspection(hosts, GithubApiPaths.of(apiUrl), ca, upstreamTrust, credentials, gate);
  }

  /** The GitHub Enterprise host's API paths, when the session's token is for one. */
  Optional<GithubApiPaths> githubEnterprise() {
    return githubEnterprise;
  }

  /** Whether connections to {@code host} (canonical) are inspected. */
  public boolean inspects(String host) {
    return hosts.contains(host);
  }

  /** The inspected hosts, canonical, sorted. */
  public Set<String> hosts() {
    return hosts;
  }

  SessionCa ca() {
    return ca;
  }

  Optional<KeyStore> upstreamTrust() {
    return upstreamTrust;
  }

  /** The client context for upstream TLS, made once: a new one per connection costs milliseconds. */
  javax.net.ssl.SSLContext upstreamContext() throws java.io.IOException {
    javax.net.ssl.SSLContext c = upstreamContext;
    if (c == null) {
      try {
        javax.net.ssl.TrustManagerFactory tmf =
            javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(upstreamTrust.orElse(null)); // null: the JDK's default, the system's CAs
        c = javax.net.ssl.SSLContext.getInstance("TLS");
        c.init(null, tmf.getTrustManagers(), null);
      } catch (java.security.GeneralSecurityException e) {
        throw new java.io.IOException("cannot set up upstream TLS: " + e, e);
      }
      upstreamContext = c;
    }
    return c;
  }

  InjectedCredentials credentials() {
    return credentials;
  }

  RequestGate gate() {
    return gate;
  }
}
