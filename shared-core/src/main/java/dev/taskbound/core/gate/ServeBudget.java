package dev.taskbound.core.gate;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many secret reads and token refreshes one agent API serves: each is recorded in the evidence,
 * and each refresh mints an installation token on the GitHub App's rate limit, which other sessions
 * share. Thread-safe.
 */
final class ServeBudget {
  private final int maxSecretReads;
  private final int maxRefreshes;
  private final AtomicInteger secretReads = new AtomicInteger();
  private final AtomicInteger refreshes = new AtomicInteger();
  private final AtomicBoolean firstReadRefused = new AtomicBoolean();
  private final AtomicBoolean firstRefreshRefused = new AtomicBoolean();

  ServeBudget(int maxSecretReads, int maxRefreshes) {
    this.maxSecretReads = maxSecretReads;
    this.maxRefreshes = maxRefreshes;
  }

  /** Why one more {@code action} is refused, if the budget is spent. */
  Optional<Spent> spend(AccessAction action) {
    boolean read = action == AccessAction.SECRET_READ;
    int max = read ? maxSecretReads : maxRefreshes;
    // stops counting one past the budget: refused requests never wrap the count round to "within"
    int n = (read ? secretReads : refreshes).updateAndGet(v -> v > max ? v : v + 1);
    if (n <= max) {
      return Optional.empty();
    }
    boolean first = !(read ? firstReadRefused : firstRefreshRefused).getAndSet(true);
    return Optional.of(new Spent("this session serves at most " + max + (read ? " secret reads" : " token refreshes")
        + "; the budget is spent (later requests are refused and not recorded)", first));
  }

  /**
   * @param message what the refusal says
   * @param first whether this is the first request refused for it (the one recorded)
   */
  record Spent(String message, boolean first) {}
}
