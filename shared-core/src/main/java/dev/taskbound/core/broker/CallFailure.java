package dev.taskbound.core.broker;

import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Optional;

/**
 * One failed attempt of a remote call, classified for {@link Retry}: transient failures
 * (connection refused, timeouts, 5xx, 429) are retried, others end the call at once. Carries no
 * stack trace and no cause, so nothing a client library put in its exception can leak.
 */
public final class CallFailure extends Exception {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final boolean transientFailure;
  private final transient Optional<Duration> retryAfter;

  private CallFailure(int status, boolean transientFailure, Optional<Duration> retryAfter, String detail) {
    super(detail, null, false, false);
    this.status = status;
    this.transientFailure = transientFailure;
    this.retryAfter = retryAfter;
  }

  /**
   * A response with an error status: 429 and 5xx are transient, others permanent.
   *
   * @param detail what the service said; must not contain a secret value
   */
  public static CallFailure ofStatus(int status, Optional<Duration> retryAfter, String detail) {
    boolean retriable = status == 429 || status >= 500;
    return new CallFailure(status, retriable, retryAfter, detail);
  }

  /** No response: connection refused, reset or timed out. Always transient. */
  public static CallFailure ofNoResponse(Throwable e) {
    return new CallFailure(-1, true, Optional.empty(), describe(e));
  }

  /** A permanent failure without a response (bad local input, an unusable answer). */
  public static CallFailure permanent(String detail) {
    return new CallFailure(-1, false, Optional.empty(), detail);
  }

  /** Names an I/O failure by its kind, without its message (which may quote a URL or body). */
  public static String describe(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ConnectException) {
        return "connection refused or unreachable";
      }
      if (t instanceof HttpTimeoutException
          || t instanceof SocketTimeoutException
          || t instanceof InterruptedIOException) {
        return "timed out";
      }
    }
    return "I/O error (" + e.getClass().getSimpleName() + ")";
  }

  /** Parses a {@code Retry-After} header given in seconds; an HTTP date or garbage gives empty. */
  public static Optional<Duration> parseRetryAfter(String header) {
    if (header == null) {
      return Optional.empty();
    }
    try {
      long seconds = Long.parseLong(header.strip());
      return seconds >= 0 ? Optional.of(Duration.ofSeconds(seconds)) : Optional.empty();
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** The HTTP status, or -1 when no response was received. */
  public int status() {
    return status;
  }

  public boolean isTransient() {
    return transientFailure;
  }

  public Optional<Duration> retryAfter() {
    return retryAfter;
  }
}
