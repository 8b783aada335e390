package dev.taskbound.core.session;

import dev.taskbound.core.SafeText;
import dev.taskbound.core.broker.BrokerException;
import dev.taskbound.core.broker.IssuedCredential;
import dev.taskbound.core.broker.github.GithubBroker;
import dev.taskbound.core.policy.EffectivePolicy;
import dev.taskbound.core.policy.VaultSecretPolicy;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The variable and file names the effective policy's brokers give each credential: the GitHub token
 * {@code GH_TOKEN}, {@code GITHUB_TOKEN} and the git configuration fragment; a Vault secret its
 * {@code env} or its {@code file}; an on-request secret and the Vault child token nothing. A
 * credential handed off by another host must name exactly these, so a hand-off can neither set
 * another variable for the agent (a loader's or interpreter's, such as {@code LD_PRELOAD}, {@code
 * BASH_ENV} or {@code NODE_OPTIONS}) nor write another file.
 */
final class PolicyExposure {
  private PolicyExposure() {}

  /**
   * @param gitHost the host git talks to for this host's GitHub API ({@code github.com} for the public one)
   * @throws BrokerException (exit 122) naming the first variable or file of {@code handed} that the
   *     policy does not give it, or that it gives and {@code handed} lacks, and what is accepted; or a
   *     git configuration fragment other than the one this host's broker would write
   */
  static void check(EffectivePolicy policy, IssuedCredential handed, String gitHost) {
    compare(handed, "variable", handed.environment().keySet(), variables(policy, handed));
    compare(handed, "file", handed.files().keySet(), files(policy, handed));
    // git reads the fragment as configuration (core.fsmonitor, a credential helper run by the shell):
    // only the one this host's broker would write is taken (final review)
    if (handed.kind().equals("github-token")
        && !handed.files().get(GithubBroker.GITCONFIG_FILE).reveal().equals(GithubBroker.gitConfig(gitHost))) {
      throw refused("'" + handed.name() + "' (github-token) hands off a " + GithubBroker.GITCONFIG_FILE
          + " other than the one taskbound writes for https://" + gitHost + " (content not shown); accepted: the"
          + " fragment 'taskbound credentials issue' writes, with the same TASKBOUND_GITHUB_API_URL on both hosts");
    }
  }

  private static Set<String> variables(EffectivePolicy policy, IssuedCredential c) {
    if (c.kind().equals("github-token")) {
      return Set.copyOf(GithubBroker.TOKEN_VARIABLES);
    }
    return secret(policy, c).flatMap(VaultSecretPolicy::env).map(Set::of).orElse(Set.of());
  }

  private static Set<String> files(EffectivePolicy policy, IssuedCredential c) {
    if (c.kind().equals("github-token")) {
      return Set.of(GithubBroker.GITCONFIG_FILE);
    }
    return secret(policy, c).flatMap(VaultSecretPolicy::file).map(Set::of).orElse(Set.of());
  }

  /** The policy's secret of that name, for a {@code vault-secret}; the child token is exposed nowhere. */
  private static Optional<VaultSecretPolicy> secret(EffectivePolicy policy, IssuedCredential c) {
    if (!c.kind().equals("vault-secret")) {
      return Optional.empty();
    }
    return policy.vault().flatMap(v -> v.secrets().stream().filter(s -> s.name().equals(c.name())).findFirst());
  }

  private static void compare(IssuedCredential c, String what, Set<String> handed, Set<String> wanted) {
    Set<String> accepted = new TreeSet<>(wanted);
    String expected = accepted.isEmpty() ? "no " + what + "s for it" : "exactly the " + what + "s " + accepted;
    for (String name : new TreeSet<>(handed)) {
      if (!wanted.contains(name)) {
        throw refused("'" + c.name() + "' (" + c.kind() + ") sets the " + what + " " + SafeText.quoted(name)
            + ", which the effective policy does not give it; accepted: " + expected);
      }
    }
    for (String name : accepted) {
      if (!handed.contains(name)) {
        throw refused("'" + c.name() + "' (" + c.kind() + ") lacks the " + what + " '" + name
            + "' the effective policy gives it; accepted: " + expected);
      }
    }
  }

  private static BrokerException refused(String detail) {
    return new BrokerException("handoff", "plan the session's credentials", -1, detail);
  }
}
