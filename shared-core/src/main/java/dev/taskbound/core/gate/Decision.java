package dev.taskbound.core.gate;

import java.util.Objects;

/** What an {@link AccessPolicy} decided about one {@link AccessRequest}. */
public sealed interface Decision {
  /** Serve the request. */
  Decision ALLOW = new Allow();

  /** Serve the request. */
  record Allow() implements Decision {}

  /**
   * Refuse the request: the agent gets {@code 403} with {@code reason}.
   *
   * @param reason one line the agent (and the evidence) will show; never a secret value
   */
  record Deny(String reason) implements Decision {
    public Deny {
      Objects.requireNonNull(reason, "reason");
    }
  }

  /**
   * A person must approve first, and this policy cannot wait for one: the agent API answers
   * {@code 403} with error {@code approval_required} and {@code reason}, so the request fails
   * closed. A session's policy waits for the answer itself and returns allow or deny.
   *
   * @param reason what needs approval and why; never a secret value
   */
  record NeedsApproval(String reason) implements Decision {
    public NeedsApproval {
      Objects.requireNonNull(reason, "reason");
    }
  }

  /** @see Deny */
  static Decision deny(String reason) {
    return new Deny(reason);
  }

  /** @see NeedsApproval */
  static Decision needsApproval(String reason) {
    return new NeedsApproval(reason);
  }
}
