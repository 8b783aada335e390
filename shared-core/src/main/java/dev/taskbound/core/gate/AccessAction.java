package dev.taskbound.core.gate;

/** What the agent asks the agent API for. The wire name is what evidence and policies use. */
public enum AccessAction {
  /** {@code GET /v1/secrets/{name}}: read an on-request secret. */
  SECRET_READ("secret.read"),
  /** {@code POST /v1/github/token}: mint a fresh GitHub token, revoking the one it replaces. */
  GITHUB_TOKEN_REFRESH("github.token.refresh");

  private final String wireName;

  AccessAction(String wireName) {
    this.wireName = wireName;
  }

  /** {@code secret.read} or {@code github.token.refresh}. */
  public String wireName() {
    return wireName;
  }

  @Override
  public String toString() {
    return wireName;
  }
}
