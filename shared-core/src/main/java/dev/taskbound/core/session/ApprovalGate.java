package dev.taskbound.core.session;

import dev.taskbound.core.gate.ApprovalBroker;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Turns an {@code approve} verdict into allow or deny by asking the {@link ApprovalBroker}, for the
 * session's decision call sites (the agent's hooks, {@code gate check}, inspected requests). Without
 * a broker, or when the wait cannot be recorded, the action is refused: fail closed.
 */
final class ApprovalGate {
  private ApprovalGate() {}

  /**
   * How an approval ended.
   *
   * @param granted whether the action may go on
   * @param request the request's id ({@code ""} when none was made)
   * @param line one line for the agent: what needed approval and who decided
   */
  record Settled(boolean granted, String request, String line) {}

  static Settled settle(ApprovalBroker broker, String action, String target, String rule, String reason,
      Map<String, String> links) {
    return settle(broker, action, target, target.length(), rule, reason, links, () -> false);
  }

  /** As above, withdrawn once {@code callerGone} says the caller went away. */
  static Settled settle(ApprovalBroker broker, String action, String target, String rule, String reason,
      Map<String, String> links, BooleanSupplier callerGone) {
    return settle(broker, action, target, target.length(), rule, reason, links, callerGone);
  }

  /**
   * As above, for a target that was masked after it was summarised: {@code unmaskedLength} is the
   * summary's length before masking (a mask can shorten a cut summary below the limit).
   */
  static Settled settle(ApprovalBroker broker, String action, String target, int unmaskedLength, String rule,
      String reason, Map<String, String> links) {
    return settle(broker, action, target, unmaskedLength, rule, reason, links, () -> false);
  }

  /** As above, withdrawn once {@code callerGone} says the caller went away. */
  static Settled settle(ApprovalBroker broker, String action, String target, int unmaskedLength, String rule,
      String reason, Map<String, String> links, BooleanSupplier callerGone) {
    if (broker == null) {
      return new Settled(false, "", reason + "; this session takes no approvals, so it is refused");
    }
    if (Math.max(target.length(), unmaskedLength) > dev.taskbound.core.gate.ToolCall.SUMMARY_LIMIT) {
      // a person is shown the whole target or is not asked: a cut text would hide what is granted
      return new Settled(false, "", reason + "; its target is longer than " + dev.taskbound.core.gate.ToolCall.SUMMARY_LIMIT
          + " characters, too long to show a person whole, so it is refused without asking");
    }
    if (links.getOrDefault("path", "").length() > dev.taskbound.core.gate.ToolCall.SUMMARY_LIMIT) {
      return new Settled(false, "", reason + "; its request path is longer than " + dev.taskbound.core.gate.ToolCall.SUMMARY_LIMIT
          + " characters, too long to show a person whole, so it is refused without asking");
    }
    ApprovalBroker.Answer a;
    try {
      a = broker.await(new ApprovalBroker.Request(action, target, reason, rule, links), callerGone);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Settled(false, "", reason + "; the wait for approval was interrupted, so it is refused");
    }
    return new Settled(a.granted(), a.id(), reason + "; " + a.describe());
  }
}
