package dev.taskbound.core.session;

import dev.taskbound.core.broker.CredentialBroker;
import dev.taskbound.core.broker.IssuedCredential;
import dev.taskbound.core.broker.Revocations;
import dev.taskbound.core.broker.UndoRecorder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The "broker" of a session whose credentials another host issued ({@link CredentialHandoff}): it
 * mints nothing and returns the handed-off credentials. A GitHub installation token is journalled
 * for revocation here too, because revoking it needs only the token itself ({@code DELETE
 * /installation/token}); Vault's child token and leases are revoked by the issuer, which holds the
 * Vault login ({@code taskbound credentials revoke}).
 */
final class HandedOffBroker implements CredentialBroker {
  private final CredentialHandoff handoff;
  private final String githubApi;

  /** {@code githubApi}: this host's GitHub API, where a handed-off token is revoked (never the file's). */
  HandedOffBroker(CredentialHandoff handoff, String githubApi) {
    this.handoff = handoff;
    this.githubApi = githubApi;
  }

  @Override
  public List<IssuedCredential> issue(UndoRecorder undo) {
    for (CredentialHandoff.Entry e : handoff.entries()) {
      if (e.credential().kind().equals("github-token")) {
        Map<String, String> handle = new LinkedHashMap<>();
        handle.put("api_url", githubApi);
        handle.put("token", e.credential().value().reveal());
        undo.register(Revocations.REVOKE_GITHUB_TOKEN, handle);
      }
    }
    return handoff.entries().stream().map(CredentialHandoff.Entry::credential).toList();
  }

  /** What the issuer kept the values of ({@link CredentialHandoff#withheld()}); this broker returns none of them. */
  List<CredentialHandoff.Withheld> withheld() {
    return handoff.withheld();
  }

  @Override
  public String toString() {
    return "HandedOffBroker[" + handoff + "]";
  }
}
